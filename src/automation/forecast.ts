import type { AssetGraph } from '../graph/asset-graph.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { ProjectDefinition } from '../model/project.js'
import type { Store } from '../store/store.js'
import { expectedArrival, median, predictReadyTimes, type Prediction } from './prediction.js'
import { cachedRebuildTriggers } from './rebuild-triggers.js'
import { judgeSla, type SlaVerdict } from './sla.js'

/** Predicted ready times for the assets that have a freshness policy (and what they read), with SLA verdicts. */
export interface Forecast {
  readonly predictions: ReadonlyMap<string, Prediction>
  readonly sla: ReadonlyMap<string, SlaVerdict>
}

/** How many of a source's latest changes its arrival pattern is learned from. Default: 30. */
export const ARRIVAL_HISTORY = 30

/**
 * Gathers history (typical durations, source arrival patterns) for the upstream closure of
 * `keys` (default: every node with a freshness policy) and predicts what the project's
 * automation (`project`'s conditions, schedules, sensors and pools) will do; reads only what it needs.
 */
export async function forecast(
  graph: AssetGraph, store: Store, statuses: ReadonlyMap<string, AssetStatusRecord>, now: Date, keys?: readonly string[],
  project?: Pick<ProjectDefinition, 'schedules' | 'sensors' | 'pools'>,
): Promise<Forecast> {
  const targets = keys ?? [...graph.nodes.values()].filter((n) => n.def.freshness).map((n) => n.key)
  // One walk upstream from every target at once: each node is visited once, however many targets share it.
  const closure = new Set(targets)
  const pending = [...targets]
  while (pending.length > 0) {
    for (const upstream of graph.get(pending.pop()!).upstream) {
      if (closure.has(upstream)) continue
      closure.add(upstream)
      pending.push(upstream)
    }
  }
  const typical = new Map<string, number>()
  const arrival = new Map<string, Date>()
  for (const key of closure) {
    const node = graph.get(key)
    const status = statuses.get(key)
    // A ready node is predicted ready at its last update: its history is not needed (a settled
    // project reads none).
    if (status?.ready && status.lastUpdated) continue
    if (node.def.type === 'source') {
      // The history holds changes, not looks (see Store.recordObservation): polling never evicts it.
      const observations = await store.listObservations(key, { limit: ARRIVAL_HISTORY })
      const expected = expectedArrival(observations.flatMap((o) => (o.lastUpdated ? [o.lastUpdated] : [])))
      if (expected) arrival.set(key, expected)
    } else {
      const durations = (await store.listMaterializations(key, { limit: 10 })).map((m) => m.durationMs)
      const typicalMs = median(durations)
      if (typicalMs !== undefined) typical.set(key, typicalMs)
    }
  }
  // Predict over the whole graph order but only the closure's unready nodes have history; others are cheap.
  const predictions = predictReadyTimes({ graph, statuses, typicalDurationMs: typical, expectedArrival: arrival, triggers: cachedRebuildTriggers(graph, project), pools: new Map(Object.entries(project?.pools ?? {})), now })
  const sla = new Map<string, SlaVerdict>()
  for (const key of targets) {
    const policy = graph.get(key).def.freshness
    if (!policy) continue
    const prediction = predictions.get(key)
    const verdict = judgeSla(policy, statuses.get(key)?.lastUpdated ?? null, prediction?.predictedAt ?? null, now)
    // "Cannot be predicted" says too little when something must be fixed first: say what, and whose.
    sla.set(key, verdict.state === 'at_risk' && prediction?.blockedBy && verdict.dueAt ? { ...verdict, reason: `due by ${verdict.dueAt.toISOString()}, and ${prediction.basis}` } : verdict)
  }
  return { predictions, sla }
}
