import type { AssetGraph } from '../graph/asset-graph.js'
import type { Store } from '../store/store.js'
import type { Warehouse } from '../warehouse/warehouse.js'
import type { Clock } from './clock.js'
import { observeSource } from './observe.js'
import { isAlive } from './recovery.js'
import { deriveStatuses, usableAsInput, type AssetStatusRecord } from './status.js'
import { findSchemaBreaks, type SchemaBreak } from './schema-breaks.js'
import { derivePartitionStatuses, summaryState } from './partition-status.js'
import type { AssetStateRecord, AssetStateSummary, ObservationRecord } from '../store/records.js'

/** Everything needed to compute current statuses. */
export interface StatusSources {
  readonly graph: AssetGraph
  readonly store: Store
  readonly warehouse: Warehouse
  readonly clock: Clock
  readonly projectDir: string
}

/**
 * Observes the given sources now (recording each observation) and derives the status of
 * every node, or only of `only` and what they stand on (their upstream, all the way up; a step
 * waiting for its inputs needs no more; see statusScope). Sources not listed keep their last
 * recorded observation.
 */
export async function currentStatuses(deps: StatusSources, observe: readonly string[], only?: readonly string[]): Promise<Map<string, AssetStatusRecord>> {
  // Without a partitioned asset, only whole-asset summaries are read (as status() does): full
  // states (column lists, checks) of every asset cost the daemon's tick half its time.
  const withPartitions = hasPartitions(deps.graph)
  const scope = only && !withPartitions ? statusScope(deps.graph, only) : undefined
  const [states, observations, activeRuns] = await Promise.all([
    withPartitions ? deps.store.assetStates() : [], deps.store.latestObservations(scope?.sources), deps.store.listActiveRuns(),
  ])
  const observationMap = new Map<string, ObservationRecord>(observations.map((o) => [o.sourceKey, o]))
  for (const key of observe) {
    const node = deps.graph.nodes.get(key)
    if (!node || node.def.type !== 'source') continue
    const { files: _files, ...observation } = await observeSource(node, {
      projectDir: deps.projectDir, now: deps.clock.now(), previous: observationMap.get(key), session: () => deps.warehouse.session(),
    })
    await deps.store.recordObservation(observation)
    observationMap.set(key, observation)
  }
  const summaries = withPartitions ? [] : await deps.store.assetStateSummaries(scope?.assets, { partition: null })
  const stateMap = new Map<string, AssetStateSummary>(summaries.map((s) => [s.assetKey, s]))
  const partitioned = new Map<string, AssetStateRecord[]>()
  for (const state of states) {
    if (state.partition === null) stateMap.set(state.assetKey, state)
    else {
      let list = partitioned.get(state.assetKey)
      if (!list) partitioned.set(state.assetKey, (list = []))
      list.push(state)
    }
  }
  // A run whose process died is not running, whatever its last record says.
  const activeRunIds = new Set(activeRuns.filter((run) => isAlive(run, deps.clock.now())).map((run) => run.id))
  const partitionStatuses = withPartitions ? derivePartitionStatuses(deps.graph, states, deps.clock.now(), activeRunIds) : new Map()
  // A partitioned asset's status stands on all its partitions at once (see summaryState).
  for (const [key, list] of partitioned) if (deps.graph.nodes.get(key)?.partitions) stateMap.set(key, summaryState(key, list))
  for (const key of partitioned.keys()) {
    const node = deps.graph.nodes.get(key)
    const summary = stateMap.get(key)
    if (!node?.partitions || !summary?.lastMaterialization) continue
    // Newer upstream data is judged per partition: the asset is stale when a partition is.
    const stale = (partitionStatuses.get(key)?.counts.stale ?? 0) > 0
    const inputVersions = { ...summary.lastMaterialization.inputVersions }
    // Every upstream but sources (observed, not versioned per partition), partitioned or not.
    for (const up of node.upstream) {
      if (deps.graph.get(up).def.type === 'source') continue
      const current = stateMap.get(up)?.lastMaterialization?.dataVersion
      if (current !== undefined) inputVersions[up] = stale ? `${current}:stale` : current
    }
    stateMap.set(key, { ...summary, lastMaterialization: { ...summary.lastMaterialization, inputVersions } })
  }
  const schemaBreaks = await findSchemaBreaks(deps.graph, stateMap, observationMap, deps.store, scope?.assets)
  const statuses = deriveStatuses({ graph: deps.graph, states: stateMap, observations: observationMap, activeRunIds, now: deps.clock.now(), schemaBreaks, ...(scope ? { only: scope.nodes } : {}) })
  // "Today's partition is late" outranks an asset that otherwise looks fresh or merely stale.
  for (const [key, partitions] of partitionStatuses) {
    const status = statuses.get(key)
    if (!status || !partitions.late || (status.status !== 'fresh' && status.status !== 'stale' && status.status !== 'missing')) continue
    const link = { key, status: 'late' as const, owner: status.owner, message: partitions.late }
    statuses.set(key, { ...status, status: 'late', ready: false, reasons: [{ type: 'late', message: partitions.late }], chain: [link], rootCause: link })
  }
  return statuses
}

/**
 * What the statuses of `keys` stand on: the keys and their upstream, all the way up, split into
 * sources and assets. A source's schema change counts only the readers among those assets: one
 * that breaks a reader elsewhere fails the source, yet leaves it usable as an input all the same
 * (see usableAsInput), so no status in the scope would change for it.
 */
function statusScope(graph: AssetGraph, keys: readonly string[]): { nodes: Set<string>; sources: string[]; assets: string[] } {
  const nodes = new Set<string>()
  const pending = keys.filter((key) => graph.nodes.has(key))
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    if (nodes.has(key)) continue
    nodes.add(key)
    pending.push(...graph.get(key).upstream)
  }
  const sources = [...nodes].filter((key) => graph.get(key).def.type === 'source')
  return { nodes, sources, assets: [...nodes].filter((key) => graph.get(key).def.type !== 'source') }
}

// Whether any node is partitioned, per graph (graphs are immutable).
const partitionedGraphs = new WeakMap<AssetGraph, boolean>()
function hasPartitions(graph: AssetGraph): boolean {
  let found = partitionedGraphs.get(graph)
  if (found === undefined) {
    found = false
    for (const node of graph.nodes.values()) if (node.partitions) found = true
    partitionedGraphs.set(graph, found)
  }
  return found
}

/** The first upstream that may not be read yet, with why, or undefined when all are usable. */
export function firstUnusable(statuses: ReadonlyMap<string, AssetStatusRecord>, upstream: readonly string[]): AssetStatusRecord | undefined {
  for (const key of upstream) {
    const status = statuses.get(key)
    if (!status || !usableAsInput(status)) return status
  }
  return undefined
}

/**
 * Whether the latest observed schema of a source `key` reads breaks it (see findSchemaBreaks):
 * checked right before a step starts, so a reader is blocked with the source's reason rather
 * than failing on a missing column.
 */
export async function schemaBreakOf(deps: Pick<StatusSources, 'graph' | 'store'>, key: string): Promise<SchemaBreak | undefined> {
  const node = deps.graph.get(key)
  const sources = node.upstream.filter((up) => deps.graph.get(up).def.type === 'source')
  if (node.def.type === 'source' || sources.length === 0) return undefined
  const [states, observations] = await Promise.all([deps.store.assetStateSummaries([key], { partition: null }), deps.store.latestObservations(sources)])
  const breaks = await findSchemaBreaks(deps.graph, new Map(states.map((s) => [s.assetKey, s])), new Map(observations.map((o) => [o.sourceKey, o])), deps.store, [key])
  return breaks.get(key)
}
