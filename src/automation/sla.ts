import { parseDuration } from '../model/duration.js'
import { deadlineWindow, nextDeadline, type FreshnessPolicy } from '../model/freshness.js'
import { lateness } from '../engine/status.js'

/** Where an asset stands against its freshness policy. */
export type SlaState = 'on_time' | 'at_risk' | 'late'

/** The SLA verdict with the moment that matters and why. */
export interface SlaVerdict {
  readonly state: SlaState
  /** The next moment the policy requires an update by. */
  readonly dueAt: Date | null
  readonly reason: string
}

/** How long before a due time an unpredictable or predicted-late asset counts as at risk. Default: 2 hours. */
export const AT_RISK_WINDOW_MS = 2 * 3_600_000

/**
 * Judges one asset against its policy: late when the policy is already violated; at risk
 * when the next update is due within `windowMs` and its predicted ready time is after it
 * (or cannot be predicted); on time otherwise.
 */
export function judgeSla(policy: FreshnessPolicy, lastUpdated: Date | null, predictedAt: Date | null, now: Date, windowMs = AT_RISK_WINDOW_MS): SlaVerdict {
  const late = lateness(policy, lastUpdated, now)
  if (late) return { state: 'late', dueAt: null, reason: late.message }
  const dues: Date[] = []
  if (policy.maxAge !== undefined && lastUpdated) dues.push(new Date(lastUpdated.getTime() + parseDuration(policy.maxAge)))
  if (policy.deadline !== undefined) {
    const timezone = policy.timezone ?? 'UTC'
    const next = nextDeadline(policy.deadline, timezone, now)
    // It needs an update unless it already had one after the deadline before `next` (calendar or cron, DST-safe).
    const before = next ? deadlineWindow(policy.deadline, timezone, new Date(next.getTime() - 1)) : undefined
    if (next && (!lastUpdated || lastUpdated.getTime() <= (before?.deadline.getTime() ?? 0))) dues.push(next)
  }
  if (dues.length === 0) return { state: 'on_time', dueAt: null, reason: 'up to date for its next deadline' }
  const dueAt = new Date(Math.min(...dues.map((d) => d.getTime())))
  if (dueAt.getTime() - now.getTime() > windowMs) return { state: 'on_time', dueAt, reason: `next due at ${dueAt.toISOString()}` }
  if (!predictedAt) return { state: 'at_risk', dueAt, reason: `due by ${dueAt.toISOString()} and its ready time cannot be predicted` }
  if (predictedAt.getTime() > dueAt.getTime()) {
    return { state: 'at_risk', dueAt, reason: `predicted ready at ${predictedAt.toISOString()}, after it is due at ${dueAt.toISOString()}` }
  }
  return { state: 'on_time', dueAt, reason: `predicted ready at ${predictedAt.toISOString()}, before ${dueAt.toISOString()}` }
}
