import { bindPartitionParams } from '../sql/partition-params.js'
import { analyzeStatements } from '../sql/referenced-tables.js'
import type { SqlAnalyzer } from '../sql/sql-analysis.js'
import type { OutputColumn } from '../sql/sql-analysis.js'
import type { AssetGraph } from './asset-graph.js'
import { fileSourceFor } from './sql-dependencies.js'

/** How an output column uses an input column; `asset` when only the asset is known to read it (TypeScript code). */
export type ColumnEdgeKind = 'copy' | 'transform' | 'filter' | 'asset'

/** One edge of column lineage: `to` (an asset's column) derives from `from`. Column `*` means the whole asset. */
export interface ColumnEdge {
  readonly from: { readonly asset: string; readonly column: string }
  readonly to: { readonly asset: string; readonly column: string }
  readonly kind: ColumnEdgeKind
}

/** Known column names per asset or source key (from published schemas, observations or contracts). */
export type SchemaMap = ReadonlyMap<string, readonly string[]>

/** The known columns of one asset or source, with types, and where they are known from. */
export interface KnownColumns {
  readonly from: 'published' | 'observed' | 'contract'
  readonly columns: readonly { readonly name: string; readonly type: string }[]
}

/**
 * Column lineage of a whole project: SQL assets from their analysis (with `*` expanded and
 * unqualified columns placed by the schemas known), TypeScript assets at asset granularity
 * (each of their columns from every column of every input: `asset` edges, since their code
 * is not traced).
 */
export class ColumnLineage {
  private readonly into = new Map<string, ColumnEdge[]>()
  private readonly outOf = new Map<string, ColumnEdge[]>()
  private readonly intoAsset = new Map<string, ColumnEdge[]>()
  private readonly outOfAsset = new Map<string, ColumnEdge[]>()

  private constructor(
    readonly edges: readonly ColumnEdge[], private readonly schemas: SchemaMap, private readonly outputs: ReadonlyMap<string, readonly string[]>,
    private readonly typed: ReadonlyMap<string, KnownColumns>,
  ) {
    for (const edge of edges) {
      push(this.into, id(edge.to.asset, edge.to.column), edge)
      push(this.outOf, id(edge.from.asset, edge.from.column), edge)
      push(this.intoAsset, edge.to.asset, edge)
      push(this.outOfAsset, edge.from.asset, edge)
    }
  }

  /**
   * Builds the lineage of every asset of the graph; `typed` (default: none) says where each known schema comes from, with types;
   * `analyzer` is the warehouse's parser (Default: DuckDB's).
   */
  static build(graph: AssetGraph, schemas: SchemaMap, typed: ReadonlyMap<string, KnownColumns> = new Map(), analyzer?: SqlAnalyzer): ColumnLineage {
    const relations = new Map<string, string>()
    for (const node of graph.nodes.values()) if (node.relation) relations.set(`${node.relation.schema}.${node.relation.name}`.toLowerCase(), node.key)
    const sqlNodes = [...graph.nodes.values()].filter((n) => n.def.type === 'sql')
    const analyses = analyzeStatements(sqlNodes.map((n) => bindPartitionParams((n.def as { sql: string }).sql, null)), analyzer ? { analyzer } : {})
    const edges: ColumnEdge[] = []
    const outputNames = new Map<string, string[]>()
    for (const node of graph.nodes.values()) {
      if (node.def.type === 'source') continue
      if (node.def.type === 'sql') {
        const analysis = analyses.get(bindPartitionParams(node.def.sql, null))
        if (!analysis?.ok) continue
        const assetOf = (table: string): string | undefined => (table.startsWith('file:') ? fileSourceFor(graph, table.slice(5)) : relations.get(table.toLowerCase()))
        const outputs = expand(analysis.columns, assetOf, schemas)
        outputNames.set(node.key, outputs.map((o) => o.name))
        for (const output of outputs) {
          for (const source of output.sources) {
            const asset = assetOf(source.table)
            if (asset === undefined) continue
            if (source.ambiguous && schemas.get(asset) && !has(schemas.get(asset)!, source.column)) continue
            edges.push({ from: { asset, column: source.column }, to: { asset: node.key, column: output.name }, kind: source.kind })
          }
        }
        // A filter or join column limits every row: every output column depends on it.
        const names = outputs.map((o) => o.name)
        for (const filter of analysis.filters) {
          const asset = assetOf(filter.table)
          if (asset === undefined || (filter.ambiguous && schemas.get(asset) && !has(schemas.get(asset)!, filter.column))) continue
          for (const name of names) edges.push({ from: { asset, column: filter.column }, to: { asset: node.key, column: name }, kind: 'filter' })
        }
        continue
      }
      // TypeScript: nothing finer than the asset is known.
      const own = schemas.get(node.key) ?? ['*']
      for (const upstream of node.upstream) for (const column of own) edges.push({ from: { asset: upstream, column: '*' }, to: { asset: node.key, column }, kind: 'asset' })
    }
    return new ColumnLineage(edges, schemas, outputNames, typed)
  }

  /**
   * What is known of an asset's columns, and from where: a recorded or declared schema (with
   * types), else the output names of its SQL (`query`, no types). Undefined when nothing is known
   * yet (a TypeScript asset never published, without a contract; SQL whose `*` is unexpanded).
   */
  schemaOf(asset: string): { readonly from: KnownColumns['from'] | 'query'; readonly columns: readonly { readonly name: string; readonly type: string | null }[] } | undefined {
    const typed = this.typed.get(asset)
    if (typed) return typed
    const known = this.schemas.get(asset)
    if (known) return { from: 'published', columns: known.map((name) => ({ name, type: null })) }
    const outputs = this.outputs.get(asset)
    if (outputs && outputs.length > 0 && !outputs.includes('*')) return { from: 'query', columns: outputs.map((name) => ({ name, type: null })) }
    return undefined
  }

  /** The columns of an asset: its known schema, else the outputs its SQL names (`*` for a whole unknown table). */
  columnsOf(asset: string): string[] {
    const known = this.schemas.get(asset)
    if (known) return [...known]
    return [...(this.outputs.get(asset) ?? new Set(this.edges.filter((e) => e.to.asset === asset).map((e) => e.to.column)))]
  }

  /** The output columns a SQL asset's query names, `*` expanded from known schemas; undefined for other assets. */
  outputsOf(asset: string): readonly string[] | undefined {
    return this.outputs.get(asset)
  }

  /** Edges into one column (what it derives from), transitively when `deep`. `*` of an asset stands for each of its columns. */
  upstream(asset: string, column: string, deep = true): ColumnEdge[] {
    // The whole asset (`*`) derives from whatever any of its columns derives from.
    return this.walk(asset, column, deep, (a, c) => (c === '*' ? this.intoAsset.get(a) ?? [] : [...(this.into.get(id(a, c)) ?? []), ...(this.into.get(id(a, '*')) ?? [])]), (e) => e.from)
  }

  /** Edges out of one column (who reads it), transitively when `deep`. Readers of the whole asset (`*`) are included. */
  downstream(asset: string, column: string, deep = true): ColumnEdge[] {
    return this.walk(asset, column, deep, (a, c) => (c === '*' ? this.outOfAsset.get(a) ?? [] : [...(this.outOf.get(id(a, c)) ?? []), ...(this.outOf.get(id(a, '*')) ?? [])]), (e) => e.to)
  }

  private walk(asset: string, column: string, deep: boolean, next: (asset: string, column: string) => ColumnEdge[], end: (edge: ColumnEdge) => { asset: string; column: string }): ColumnEdge[] {
    const seen = new Set<string>([id(asset, column)])
    const result: ColumnEdge[] = []
    const pending = [{ asset, column }]
    while (pending.length > 0) {
      const current = pending.shift()!
      for (const edge of next(current.asset, current.column)) {
        result.push(edge)
        const other = end(edge)
        if (deep && !seen.has(id(other.asset, other.column))) {
          seen.add(id(other.asset, other.column))
          pending.push(other)
        }
      }
    }
    return dedupe(result)
  }
}

// `*` outputs become one output per column of the source's known schema (minus EXCLUDE); unknown schemas keep `*`.
function expand(columns: readonly OutputColumn[], assetOf: (table: string) => string | undefined, schemas: SchemaMap): OutputColumn[] {
  return columns.flatMap((column) => {
    if (column.name !== '*') return [column]
    const except = new Set((column.except ?? []).map((c) => c.toLowerCase()))
    return column.sources.flatMap((source) => {
      const asset = assetOf(source.table)
      const known = asset === undefined ? undefined : schemas.get(asset)
      if (!known || source.column !== '*') return [{ name: '*', sources: [source] }]
      return known.filter((c) => !except.has(c.toLowerCase())).map((c) => ({ name: c, sources: [{ ...source, column: c }] }))
    })
  })
}

const id = (asset: string, column: string) => `${asset}\0${column.toLowerCase()}`
const has = (columns: readonly string[], column: string) => columns.some((c) => c.toLowerCase() === column.toLowerCase())

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

function dedupe(edges: readonly ColumnEdge[]): ColumnEdge[] {
  const seen = new Set<string>()
  return edges.filter((e) => {
    const key = `${id(e.from.asset, e.from.column)}\0${id(e.to.asset, e.to.column)}\0${e.kind}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
}
