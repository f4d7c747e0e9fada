import type { AssetGraph } from '../graph/asset-graph.js'
import type { Store } from '../store/store.js'
import type { Warehouse } from '../warehouse/warehouse.js'
import type { Clock } from './clock.js'
import { observeSource } from './observe.js'
import { isAlive } from './recovery.js'
import { deriveStatuses, usableAsInput, type AssetStatusRecord } from './status.js'
import type { AssetStateRecord, ObservationRecord } from '../store/records.js'

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
 * every node. Sources not listed keep their last recorded observation.
 */
export async function currentStatuses(deps: StatusSources, observe: readonly string[]): Promise<Map<string, AssetStatusRecord>> {
  const [states, observations, activeRuns] = await Promise.all([deps.store.assetStates(), deps.store.latestObservations(), deps.store.listActiveRuns()])
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
  const stateMap = new Map<string, AssetStateRecord>()
  for (const state of states) if (state.partition === null) stateMap.set(state.assetKey, state)
  return deriveStatuses({
    graph: deps.graph, states: stateMap, observations: observationMap,
    // A run whose process died is not running, whatever its last record says.
    activeRunIds: new Set(activeRuns.filter((run) => isAlive(run, deps.clock.now())).map((run) => run.id)), now: deps.clock.now(),
  })
}

/** The first upstream that may not be read yet, with why, or undefined when all are usable. */
export function firstUnusable(statuses: ReadonlyMap<string, AssetStatusRecord>, upstream: readonly string[]): AssetStatusRecord | undefined {
  for (const key of upstream) {
    const status = statuses.get(key)
    if (!status || !usableAsInput(status)) return status
  }
  return undefined
}
