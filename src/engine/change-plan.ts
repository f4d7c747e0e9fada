import { contractBreaches } from '../checks/contract-check.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import { ColumnLineage } from '../graph/column-lineage.js'
import { contractColumns } from '../model/contract.js'
import type { SqlAnalyzer } from '../sql/sql-analysis.js'
import type { ColumnInfo } from '../store/records.js'

/** What is deployed of one asset: its last published materialization. */
export interface DeployedAsset {
  readonly codeVersion: string
  readonly columns: readonly ColumnInfo[] | null
  readonly durationMs: number
}

/** A downstream column that reads a column the change removes. */
export interface BrokenReader {
  readonly asset: string
  readonly column: string
  readonly owner: string | null
  readonly kind: 'copy' | 'transform' | 'filter' | 'asset'
  /** False for TypeScript readers: they read the asset, and may or may not use the column. */
  readonly certain: boolean
}

/** What `tributary plan` reports: the working tree against what is deployed. */
export interface ChangePlan {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly {
    readonly key: string
    readonly owner: string | null
    readonly deployedVersion: string
    readonly version: string
    /** Columns added and removed against the published schema; null when they cannot be known before a build (TypeScript). */
    readonly columns: { readonly added: readonly string[]; readonly removed: readonly string[] } | null
  }[]
  /** Each removed column with the downstream columns that read it. */
  readonly breaks: readonly { readonly asset: string; readonly column: string; readonly readers: readonly BrokenReader[] }[]
  readonly contractBreaches: readonly { readonly asset: string; readonly owner: string | null; readonly reasons: readonly string[] }[]
  /** What must be rebuilt, upstream first, with the duration of its last build. */
  readonly rebuild: readonly { readonly key: string; readonly why: 'new' | 'code changed' | 'upstream changed'; readonly lastDurationMs: number | null }[]
  /** Sum of the last build durations of what must be rebuilt (new assets count 0). */
  readonly expectedMs: number
  /** True when a reader certainly breaks or a contract is breached: `tributary plan` exits 1. */
  readonly breaking: boolean
}

/**
 * Compares the project in the working tree with what is deployed. Pure: `deployed` holds the
 * last published materialization of each asset, `observed` the columns of each source;
 * `analyzer` is the warehouse's SQL parser, which predicts changed SQL's columns (Default: DuckDB's).
 */
export function changePlan(graph: AssetGraph, deployed: ReadonlyMap<string, DeployedAsset>, observed: ReadonlyMap<string, readonly string[]> = new Map(), analyzer?: SqlAnalyzer): ChangePlan {
  const produced = graph.order.filter((key) => graph.get(key).def.type !== 'source')
  const added = produced.filter((key) => !deployed.has(key))
  const removed = [...deployed.keys()].filter((key) => !graph.nodes.has(key)).sort()
  const changedKeys = produced.filter((key) => deployed.has(key) && deployed.get(key)!.codeVersion !== graph.get(key).codeVersion)
  const changedSql = new Set(changedKeys.filter((key) => graph.get(key).def.type === 'sql'))
  // What changed SQL will output is predicted from its query; everything else is as published.
  const schemas = new Map<string, readonly string[]>(observed)
  for (const [key, asset] of deployed) if (asset.columns && graph.nodes.has(key) && !changedSql.has(key)) schemas.set(key, asset.columns.map((c) => c.name))
  const lineage = ColumnLineage.build(graph, schemas, new Map(), analyzer)
  const owner = (key: string) => graph.get(key).def.owner ?? null

  const changed = changedKeys.map((key) => {
    const published = deployed.get(key)!.columns?.map((c) => c.name)
    const predicted = changedSql.has(key) ? lineage.outputsOf(key) : undefined
    const known = published && predicted && !predicted.includes('*')
    const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()))
    return {
      key, owner: owner(key), deployedVersion: deployed.get(key)!.codeVersion, version: graph.get(key).codeVersion,
      columns: known ? { added: predicted.filter((c) => !lower(published).has(c.toLowerCase())), removed: published.filter((c) => !lower(predicted).has(c.toLowerCase())) } : null,
    }
  })

  const breaks = changed.flatMap((change) => (change.columns?.removed ?? []).map((column) => {
    const readers = lineage.downstream(change.key, column, false)
      .filter((edge) => edge.to.asset !== change.key)
      .map((edge) => ({ asset: edge.to.asset, column: edge.to.column, owner: owner(edge.to.asset), kind: edge.kind, certain: edge.kind !== 'asset' }))
    return { asset: change.key, column, readers: dedupeReaders(readers) }
  })).filter((b) => b.readers.length > 0)

  const contractBreachList = produced.flatMap((key) => {
    const contract = graph.get(key).def.contract
    if (!contract) return []
    const predicted = changedSql.has(key) ? lineage.outputsOf(key) : undefined
    // Changed SQL: names only (types are known once built); otherwise the published schema with its types.
    const actual = predicted && !predicted.includes('*') ? undefined : deployed.get(key)?.columns ?? undefined
    const resolved = { columns: contractColumns(contract), exact: contract.exact ?? false }
    let reasons: string[] = []
    if (actual) reasons = contractBreaches(resolved, actual).map((b) => b.reason)
    else if (predicted && !predicted.includes('*')) {
      const names = new Set(predicted.map((n) => n.toLowerCase()))
      const listed = new Set(resolved.columns.map((c) => c.name.toLowerCase()))
      reasons = [
        ...resolved.columns.filter((c) => !names.has(c.name.toLowerCase())).map((c) => `${c.name} is missing; the contract guarantees it (${c.type})`),
        ...(resolved.exact ? predicted.filter((n) => !listed.has(n.toLowerCase())).map((n) => `${n} is not in the exact contract`) : []),
      ]
    }
    return reasons.length > 0 ? [{ asset: key, owner: owner(key), reasons }] : []
  })

  const direct = new Map<string, 'new' | 'code changed'>([...added.map((k) => [k, 'new'] as const), ...changedKeys.map((k) => [k, 'code changed'] as const)])
  const affected = new Set(direct.keys())
  for (const key of direct.keys()) for (const down of graph.downstreamOf(key)) affected.add(down)
  const rebuild = graph.sort([...affected]).filter((key) => graph.get(key).def.type !== 'source').map((key) => ({
    key, why: direct.get(key) ?? ('upstream changed' as const), lastDurationMs: deployed.get(key)?.durationMs ?? null,
  }))
  return {
    added, removed, changed, breaks, contractBreaches: contractBreachList, rebuild,
    expectedMs: rebuild.reduce((sum, r) => sum + (r.lastDurationMs ?? 0), 0),
    breaking: breaks.some((b) => b.readers.some((r) => r.certain)) || contractBreachList.length > 0,
  }
}

function dedupeReaders(readers: readonly BrokenReader[]): BrokenReader[] {
  const seen = new Set<string>()
  return readers.filter((r) => (seen.has(`${r.asset}.${r.column}`) ? false : (seen.add(`${r.asset}.${r.column}`), true)))
}
