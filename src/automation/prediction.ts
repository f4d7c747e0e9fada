import type { AssetGraph } from '../graph/asset-graph.js'
import type { AssetStatusRecord } from '../engine/status.js'
import { formatDuration } from '../model/duration.js'

/** When an asset is expected to be ready, and why. */
export interface Prediction {
  /** Null when it cannot be predicted (an upstream source is overdue with no pattern to go by). */
  readonly predictedAt: Date | null
  /** In words: "after landing/crm arrives (~05:10) + 2m typical run". */
  readonly basis: string
  /** The upstream that decides the time (the critical path), when there is one. */
  readonly criticalUpstream: string | null
}

/** What prediction reads. Durations and arrivals come from history the caller gathered. */
export interface PredictionInputs {
  readonly graph: AssetGraph
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
  /** Typical (median) materialization duration per asset, from recent history. */
  readonly typicalDurationMs: ReadonlyMap<string, number>
  /** For sources not yet updated: when new data usually arrives (from observation history). */
  readonly expectedArrival: ReadonlyMap<string, Date>
  readonly now: Date
}

/**
 * Predicts a ready time for every node along its upstream critical path: a ready node is
 * ready at its last update; otherwise it starts when its slowest input is ready (or now)
 * and takes its typical duration. Pure.
 */
export function predictReadyTimes(inputs: PredictionInputs): Map<string, Prediction> {
  const result = new Map<string, Prediction>()
  const now = inputs.now.getTime()
  for (const key of inputs.graph.order) {
    const node = inputs.graph.get(key)
    const status = inputs.statuses.get(key)
    if (status?.ready && status.lastUpdated) {
      result.set(key, { predictedAt: status.lastUpdated, basis: 'ready now', criticalUpstream: null })
      continue
    }
    if (node.def.type === 'source') {
      const expected = inputs.expectedArrival.get(key)
      result.set(key, expected && expected.getTime() > now
        ? { predictedAt: expected, basis: `new data usually arrives by ${expected.toISOString().slice(11, 16)} UTC`, criticalUpstream: null }
        : { predictedAt: null, basis: status?.status === 'late' ? 'late, and overdue against its usual arrival' : 'no arrival pattern yet', criticalUpstream: null })
      continue
    }
    let start = now
    let critical: string | null = null
    let unknown: string | null = null
    for (const upstream of node.upstream) {
      const prediction = result.get(upstream)
      if (!prediction?.predictedAt) {
        unknown ??= upstream
        continue
      }
      if (prediction.predictedAt.getTime() > start) {
        start = prediction.predictedAt.getTime()
        critical = upstream
      }
    }
    if (unknown) {
      result.set(key, { predictedAt: null, basis: `waiting for ${unknown}, which has no predicted time`, criticalUpstream: unknown })
      continue
    }
    const duration = inputs.typicalDurationMs.get(key) ?? 0
    result.set(key, {
      predictedAt: new Date(start + duration),
      basis: `${critical ? `after ${critical} (~${new Date(start).toISOString().slice(11, 16)} UTC)` : 'inputs ready now'} + ${formatDuration(duration)} typical run`,
      criticalUpstream: critical,
    })
  }
  return result
}

/** The median of some numbers, or undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** When a source's next data should arrive: its last update plus its median gap between updates. */
export function expectedArrival(updates: readonly Date[]): Date | undefined {
  const times = [...new Set(updates.map((d) => d.getTime()))].sort((a, b) => a - b)
  const gaps = times.slice(1).map((t, i) => t - times[i]!)
  const gap = median(gaps)
  return gap === undefined ? undefined : new Date(times[times.length - 1]! + gap)
}
