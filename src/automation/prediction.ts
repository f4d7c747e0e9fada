import type { AssetGraph } from '../graph/asset-graph.js'
import type { AssetStatusRecord } from '../engine/status.js'
import { formatDuration } from '../model/duration.js'
import { describeTriggers, earliestStart, type RebuildTrigger } from './rebuild-triggers.js'

/** When an asset is expected to be ready, and why. */
export interface Prediction {
  /** Null when it cannot be predicted: something must be fixed first, a source is overdue with no pattern, or nothing automated rebuilds it. */
  readonly predictedAt: Date | null
  /** In words: "after landing/crm arrives (~05:10) + 2m typical run", "not until raw/crm is fixed (owner team:crm)". */
  readonly basis: string
  /** The upstream that decides the time (the critical path), when there is one. */
  readonly criticalUpstream: string | null
  /** What must be fixed by a person before it can be ready (a failed or blocked asset, an overdue source), with its owner; null otherwise. */
  readonly blockedBy: { readonly key: string; readonly owner: string | null; readonly status: string } | null
}

/** What prediction reads. Durations and arrivals come from history the caller gathered. */
export interface PredictionInputs {
  readonly graph: AssetGraph
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
  /** Typical (median) materialization duration per asset, from recent history. */
  readonly typicalDurationMs: ReadonlyMap<string, number>
  /** For sources not yet updated: when new data usually arrives (from observation history). */
  readonly expectedArrival: ReadonlyMap<string, Date>
  /** What rebuilds each asset on its own (see rebuildTriggers); an asset absent here is rebuilt only by hand. */
  readonly triggers: ReadonlyMap<string, readonly RebuildTrigger[]>
  /** The project's named pools and their limits. Default: none. */
  readonly pools?: ReadonlyMap<string, number>
  readonly now: Date
}

const hhmm = (date: Date) => `${date.toISOString().slice(11, 16)} UTC`
const notUntil = (b: NonNullable<Prediction['blockedBy']>) => `not until ${b.key} is fixed (owner ${b.owner ?? 'not set'}): it is ${b.status}`

/**
 * Predicts a ready time for every node from what will actually happen: a ready node is ready
 * at its last update; a failed or blocked one (by its own code or checks) is not ready until a
 * person fixes it, and neither is anything that needs it; otherwise it starts when its slowest
 * input is ready *and* one of its triggers (condition, schedule, sensor) fires, and takes its
 * typical duration. A node that is running already started. Pure.
 */
export function predictReadyTimes(inputs: PredictionInputs): Map<string, Prediction> {
  const result = new Map<string, Prediction>()
  // The node a node without a time ultimately waits for, and why that one has none: named once, not nested.
  const unpredictable = new Map<string, { key: string; basis: string }>()
  // Per pool, when each of its slots is next free: predicted runs in a pool queue behind each other.
  const slots = new Map<string, number[]>()
  const now = inputs.now.getTime()
  for (const key of inputs.graph.order) {
    const node = inputs.graph.get(key)
    const status = inputs.statuses.get(key)
    if (status?.ready && status.lastUpdated) {
      result.set(key, { predictedAt: status.lastUpdated, basis: 'ready now', criticalUpstream: null, blockedBy: null })
      continue
    }
    if (node.def.type === 'source') {
      const expected = inputs.expectedArrival.get(key)
      if (expected && expected.getTime() > now) {
        result.set(key, { predictedAt: expected, basis: `new data usually arrives by ${hhmm(expected)}`, criticalUpstream: null, blockedBy: null })
      } else {
        // Late and past its usual arrival: its owner must deliver; no pattern yet: simply unknown.
        const blockedBy = status?.status === 'late' ? { key, owner: node.def.owner ?? null, status: 'late, and overdue against its usual arrival' } : null
        result.set(key, { predictedAt: null, basis: blockedBy ? notUntil(blockedBy) : 'no arrival pattern yet', criticalUpstream: null, blockedBy })
        unpredictable.set(key, { key, basis: 'no arrival pattern yet' })
      }
      continue
    }
    // Failed or blocked by its own code or checks: nothing rebuilds it on the same inputs.
    const ownProblem = (status?.status === 'failed' || status?.status === 'blocked') && !status.reasons.some((r) => r.upstream !== undefined)
    if (ownProblem) {
      const blockedBy = { key, owner: status.owner, status: status.status }
      result.set(key, { predictedAt: null, basis: notUntil(blockedBy), criticalUpstream: null, blockedBy })
      continue
    }
    let start = now
    let critical: string | null = null
    let waitingOn: string | null = null
    let waiting: Prediction | undefined
    for (const upstream of node.upstream) {
      const prediction = result.get(upstream)
      if (!prediction?.predictedAt) {
        // One that needs fixing outranks one that merely has no pattern: it names who to ask.
        if (waitingOn === null || (!waiting?.blockedBy && prediction?.blockedBy)) [waitingOn, waiting] = [upstream, prediction]
        continue
      }
      if (prediction.predictedAt.getTime() > start) {
        start = prediction.predictedAt.getTime()
        critical = upstream
      }
    }
    if (waitingOn !== null) {
      const blockedBy = waiting?.blockedBy ?? null
      result.set(key, {
        predictedAt: null, criticalUpstream: waitingOn, blockedBy,
        basis: blockedBy ? notUntil(blockedBy) : `waiting for ${unpredictable.get(waitingOn)?.key ?? waitingOn}, which has no predicted time (${unpredictable.get(waitingOn)?.basis ?? 'unknown'})`,
      })
      unpredictable.set(key, unpredictable.get(waitingOn) ?? { key: waitingOn, basis: 'unknown' })
      continue
    }
    const duration = inputs.typicalDurationMs.get(key) ?? 0
    const inputsReadyAt = new Date(start)
    let startedBy: string
    if (status?.status === 'running') {
      startedBy = 'running now'
    } else {
      const newInput = critical !== null || (status?.reasons ?? []).some((r) => r.type === 'upstream_newer' || r.upstream !== undefined)
      const triggers = inputs.triggers.get(key) ?? []
      const trigger = earliestStart(triggers, { inputsReadyAt, newInput, missing: status?.status === 'missing', lastUpdated: status?.lastUpdated ?? null })
      if (!trigger) {
        const basis = triggers.length === 0
          ? `nothing automated rebuilds it (no automation condition, schedule or sensor selects it); run tributary materialize ${key}`
          : `${describeTriggers(triggers)} would not start it at a time that can be predicted (no new input is on its way); run tributary materialize ${key}`
        result.set(key, { predictedAt: null, basis, criticalUpstream: critical, blockedBy: null })
        unpredictable.set(key, { key, basis })
        continue
      }
      startedBy = trigger.at.getTime() > start ? `started by ${trigger.by} at ${hhmm(trigger.at)}` : `started by ${trigger.by}`
      start = trigger.at.getTime()
    }
    const pool = node.def.pool
    const queued = pool === undefined ? undefined : takePoolSlot(slots, pool, inputs.pools?.get(pool), start, duration)
    if (queued !== undefined) {
      startedBy += `, queued in pool ${pool} (${inputs.pools!.get(pool!)} at a time) until ${hhmm(new Date(queued))}`
      start = queued
    }
    const after = critical ? `after ${critical} (~${hhmm(inputsReadyAt)})` : 'inputs ready now'
    result.set(key, {
      predictedAt: new Date(start + duration),
      basis: `${after}, ${startedBy}, + ${formatDuration(duration)} typical run`,
      criticalUpstream: critical,
      blockedBy: null,
    })
  }
  return result
}

/**
 * Takes the pool's earliest free slot for a run wanting to start at `start`; returns the later
 * start when it must queue (undefined when it need not, or the pool has no limit).
 */
function takePoolSlot(slots: Map<string, number[]>, pool: string, limit: number | undefined, start: number, duration: number): number | undefined {
  if (limit === undefined || limit < 1) return undefined
  let free = slots.get(pool)
  if (!free) slots.set(pool, (free = new Array<number>(limit).fill(Number.NEGATIVE_INFINITY)))
  let slot = 0
  for (let i = 1; i < free.length; i++) if (free[i]! < free[slot]!) slot = i
  const begins = Math.max(start, free[slot]!)
  free[slot] = begins + duration
  return begins > start ? begins : undefined
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
