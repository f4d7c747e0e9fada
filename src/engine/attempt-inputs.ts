import type { GraphNode } from '../graph/asset-graph.js'
import { quoteRelation } from '../graph/asset-graph.js'
import { previousKey, upstreamKeys } from '../model/partitions.js'
import type { AssetInput, SourceInput } from '../model/context.js'
import type { MaterializationRecord, Published } from '../store/records.js'
import type { EngineDeps } from './engine-deps.js'
import { fileOutputPaths } from './file-output.js'
import { matchFiles } from './observe.js'
import { combinedVersion, readVersion } from './partition-versions.js'
import type { ResolvedInputs } from './step-executor.js'

/**
 * What an attempt of `node`'s `partition` reads: its inputs as the store has them now (values and
 * the data versions recorded with its materialization), and, for its checks, the row count of the
 * materialization a volume check compares with. The control plane reads them for a local attempt;
 * a queue worker for the attempt it claimed. `last`: the partition's latest materialization, when
 * already read (undefined: read here if needed). `known`: see resolveInputs.
 */
export async function attemptInputs(deps: EngineDeps, node: GraphNode, partition: string | null, last?: { readonly record: MaterializationRecord | undefined }, known?: KnownUpstreams): Promise<{ inputs: ResolvedInputs; previousRowCount: number | undefined }> {
  const [inputs, previousRowCount] = await Promise.all([resolveInputs(deps, node, partition, known), checkedRowCount(deps, node, partition, last)])
  return { inputs, previousRowCount }
}

/**
 * The row count volume checks compare an attempt's output with: a time partition's previous window,
 * anything else its own last version. Only checks read it: an asset without checks never pays for the read.
 */
export async function checkedRowCount(deps: EngineDeps, node: GraphNode, partition: string | null, last?: { readonly record: MaterializationRecord | undefined }): Promise<number | undefined> {
  if (node.def.type === 'source' || (node.def.checks ?? []).length === 0) return undefined
  const previousPartition = partition !== null && node.partitions ? previousKey(node.partitions, partition) ?? partition : partition
  const previous = previousPartition === partition && last ? [last.record] : await deps.store.listMaterializations(node.key, { limit: 1, partition: previousPartition })
  return previous[0]?.rowCount ?? undefined
}

// The partitions of `up` a partitioned step reads through its mapping; undefined when it reads them all.
function readsOf(deps: EngineDeps, node: GraphNode, partition: string | null, up: string): string[] | undefined {
  const mapping = node.partitionMappings?.get(up)
  const upstream = deps.graph.get(up).partitions
  if (!mapping || mapping.type === 'all' || partition === null || !node.partitions || !upstream) return undefined
  return upstreamKeys(mapping, node.partitions, partition, upstream, deps.clock.now())
}

/**
 * Materializations of unpartitioned upstreams known without a read: the one a queue worker just
 * recorded itself, in the statement that handed it the step that reads it (see KeepHandOff), and,
 * for a first attempt, those of upstreams that succeeded earlier in the same run, as their
 * workers' ends said (see RemoteAttempt.known). The step records the version its run published.
 * Its lease does not cover its upstreams: another run publishing one between that upstream's end
 * and the step's read of its data makes the record name the version before, as a publish between
 * a worker's read of the versions and the code's read of the data always could (a retry, after
 * its backoff, reads the store).
 */
export type KnownUpstreams = ReadonlyMap<string, Published>

/** What `node`'s `partition` reads now; `known`: upstreams not read again (see KnownUpstreams). */
export async function resolveInputs(deps: EngineDeps, node: GraphNode, partition: string | null, known?: KnownUpstreams): Promise<ResolvedInputs> {
  // Partitioned upstreams are read partition by partition below, never by loading every partition's state.
  const whole = node.upstream.filter((key) => !deps.graph.get(key).partitions && !known?.has(key))
  const states = new Map((whole.length > 0 ? await deps.store.assetStates(whole) : []).filter((s) => s.partition === null).map((s) => [s.assetKey, s]))
  const partitioned = new Map<string, { version: string | undefined; rowCount: number | undefined }>()
  for (const key of node.upstream) {
    if (!deps.graph.get(key).partitions) continue
    const reads = readsOf(deps, node, partition, key)
    if (reads) {
      const latest = await Promise.all(reads.map((partition) => deps.store.listMaterializations(key, { limit: 1, partition }).then((m) => m[0])))
      const found = latest.filter((m) => m !== undefined)
      const version = readVersion(reads.length, found)
      partitioned.set(key, { version, rowCount: found.reduce((n, m) => n + (m.rowCount ?? 0), 0) })
    } else {
      const all = (await deps.store.assetStates([key])).flatMap((s) => (s.lastMaterialization ? [s.lastMaterialization] : []))
      partitioned.set(key, { version: combinedVersion(all), rowCount: all.reduce((n, m) => n + (m.rowCount ?? 0), 0) })
    }
  }
  const sources = node.upstream.filter((key) => deps.graph.get(key).def.type === 'source')
  const observations = new Map((sources.length > 0 ? await deps.store.latestObservations(sources) : []).map((o) => [o.sourceKey, o]))
  // The versions read now are recorded with the materialization: status compares them later to spot newer upstream data.
  const versions: Record<string, string> = {}
  for (const key of node.upstream) {
    const version = partitioned.get(key)?.version ?? known?.get(key)?.dataVersion ?? states.get(key)?.lastMaterialization?.dataVersion ?? observations.get(key)?.dataVersion
    if (version) versions[key] = version
  }
  const values: Record<string, SourceInput | AssetInput> = {}
  if (node.def.type !== 'asset') return { values, versions }
  for (const [name, input] of Object.entries(node.def.ins as Record<string, { key: string }>)) {
    const upstream = deps.graph.get(input.key)
    if (upstream.def.type === 'source') {
      const files = upstream.def.observe.type === 'files' ? await matchFiles(deps.projectDir, upstream.def.observe.pattern) : []
      values[name] = { key: input.key, files, table: upstream.relation ? quoteRelation(upstream.relation) : undefined, lastUpdated: observations.get(input.key)?.lastUpdated ?? undefined }
    } else {
      const reads = readsOf(deps, node, partition, input.key)
      const table = upstream.relation ? quoteRelation(upstream.relation) : ''
      const column = `"${(upstream.def.partitionColumn ?? 'partition_key').replaceAll('"', '""')}"`
      values[name] = {
        key: input.key,
        // Only the mapped partitions: keys are validated, and quoted here all the same.
        table: reads && table ? `(select * from ${table} where cast(${column} as varchar) in (${reads.map((r) => `'${r.replaceAll("'", "''")}'`).join(', ') || 'null'}))` : table,
        partitions: reads ?? null,
        dir: upstream.def.io === 'files' ? fileOutputPaths(deps.stateDir, input.key, '').current : '',
        rowCount: partitioned.get(input.key)?.rowCount ?? known?.get(input.key)?.rowCount ?? states.get(input.key)?.lastMaterialization?.rowCount ?? undefined,
      }
    }
  }
  return { values, versions }
}
