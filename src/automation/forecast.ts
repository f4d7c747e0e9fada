import type { AssetGraph } from '../graph/asset-graph.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { Store } from '../store/store.js'
import { expectedArrival, median, predictReadyTimes, type Prediction } from './prediction.js'
import { judgeSla, type SlaVerdict } from './sla.js'

/** Predicted ready times for the assets that have a freshness policy (and what they read), with SLA verdicts. */
export interface Forecast {
  readonly predictions: ReadonlyMap<string, Prediction>
  readonly sla: ReadonlyMap<string, SlaVerdict>
}

/**
 * Gathers history (typical durations, source arrival patterns) for the upstream closure of
 * `keys` (default: every node with a freshness policy) and predicts; reads only what it needs.
 */
export async function forecast(graph: AssetGraph, store: Store, statuses: ReadonlyMap<string, AssetStatusRecord>, now: Date, keys?: readonly string[]): Promise<Forecast> {
  const targets = keys ?? [...graph.nodes.values()].filter((n) => n.def.freshness).map((n) => n.key)
  const closure = new Set(targets)
  for (const key of targets) for (const upstream of graph.upstreamOf(key)) closure.add(upstream)
  const typical = new Map<string, number>()
  const arrival = new Map<string, Date>()
  for (const key of closure) {
    const node = graph.get(key)
    if (node.def.type === 'source') {
      if (statuses.get(key)?.ready) continue
      const observations = await store.listObservations(key, { limit: 30 })
      const expected = expectedArrival(observations.flatMap((o) => (o.lastUpdated ? [o.lastUpdated] : [])))
      if (expected) arrival.set(key, expected)
    } else {
      const durations = (await store.listMaterializations(key, { limit: 10 })).map((m) => m.durationMs)
      const typicalMs = median(durations)
      if (typicalMs !== undefined) typical.set(key, typicalMs)
    }
  }
  // Predict over the whole graph order but only the closure has history; others are skipped cheaply.
  const predictions = predictReadyTimes({ graph, statuses, typicalDurationMs: typical, expectedArrival: arrival, now })
  const sla = new Map<string, SlaVerdict>()
  for (const key of targets) {
    const policy = graph.get(key).def.freshness
    if (!policy) continue
    sla.set(key, judgeSla(policy, statuses.get(key)?.lastUpdated ?? null, predictions.get(key)?.predictedAt ?? null, now))
  }
  return { predictions, sla }
}
