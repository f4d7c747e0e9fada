import { Cron } from 'croner'
import { instantOf, wallTime } from './time-window.js'
import type { Duration } from './duration.js'

/**
 * How old an asset may be. `maxAge`: it must have been updated within this duration.
 * `deadline`: it must be updated every day by this local time (`'07:00'`) in `timezone`
 * (an IANA name; Default: 'UTC'). Both may be given.
 */
export interface FreshnessPolicy {
  readonly maxAge?: Duration
  readonly deadline?: string
  readonly timezone?: string
}

/** True when `timezone` is an IANA zone this runtime knows. */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/** Parses `'HH:MM'` to minutes after midnight, or undefined. */
export function parseDeadline(deadline: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(deadline)
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined
}

/** The most recent moment, at or before `now`, when the local clock in `timezone` read `deadline`. */
export function lastDeadlineBefore(now: Date, deadlineMinutes: number, timezone: string): Date {
  // Wall-clock arithmetic: today's local midnight plus the deadline, then back to an instant.
  // instantOf picks the first of a repeated local time and the end of a skipped one (DST).
  const wallNow = wallTime(now.getTime(), timezone)
  const midnight = wallNow - (((wallNow % DAY) + DAY) % DAY)
  const wall = midnight + deadlineMinutes * 60_000
  const today = instantOf(wall, timezone)
  if (today > now.getTime()) return new Date(instantOf(wall - DAY, timezone))
  // A repeated local time's second occurrence, an hour later, may also have passed already.
  const repeat = today + 3_600_000
  return new Date(repeat <= now.getTime() && wallTime(repeat, timezone) === wall ? repeat : today)
}

const DAY = 86_400_000

// Deadlines are 'HH:MM' (every day) or a cron expression ('0 7 * * 1-5': weekdays at 07:00).
const CRON_CACHE = new Map<string, Cron>()

function cronOf(expression: string, timezone: string): Cron {
  const id = `${timezone}\0${expression}`
  let cron = CRON_CACHE.get(id)
  if (!cron) CRON_CACHE.set(id, (cron = new Cron(expression, { timezone, paused: true })))
  return cron
}

/** True for a deadline written as a cron expression rather than 'HH:MM'. */
export function isCronDeadline(deadline: string): boolean {
  return /\s/.test(deadline.trim())
}

/** Why a deadline is invalid ('HH:MM' or cron), or undefined when it is valid. */
export function deadlineProblem(deadline: string, timezone = 'UTC'): string | undefined {
  if (!isCronDeadline(deadline)) return parseDeadline(deadline) === undefined ? "not a 24-hour local time 'HH:MM' nor a cron expression" : undefined
  try {
    cronOf(deadline, isValidTimezone(timezone) ? timezone : 'UTC')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/**
 * The latest deadline at or before `now` and the one before it. "Updated by each deadline"
 * means updated after the previous one. Undefined when the deadline is invalid or never fired.
 */
export function deadlineWindow(deadline: string, timezone: string, now: Date): { readonly deadline: Date; readonly previous: Date } | undefined {
  if (isCronDeadline(deadline)) {
    const [latest, previous] = cronOf(deadline, timezone).previousRuns(2, new Date(now.getTime() + 1))
    return latest && previous ? { deadline: latest, previous } : undefined
  }
  const minutes = parseDeadline(deadline)
  if (minutes === undefined) return undefined
  const latest = lastDeadlineBefore(now, minutes, timezone)
  return { deadline: latest, previous: lastDeadlineBefore(new Date(latest.getTime() - 1), minutes, timezone) }
}

/** The first deadline after `now`, or undefined when there is none. */
export function nextDeadline(deadline: string, timezone: string, now: Date): Date | undefined {
  if (isCronDeadline(deadline)) return cronOf(deadline, timezone).nextRun(now) ?? undefined
  const minutes = parseDeadline(deadline)
  if (minutes === undefined) return undefined
  // A day and an hour ahead always passes the next one (DST days are 23–25 h); step back while the one before is still ahead.
  let candidate = lastDeadlineBefore(new Date(now.getTime() + 25 * 3_600_000), minutes, timezone)
  for (let guard = 0; guard < 2; guard++) {
    const before = lastDeadlineBefore(new Date(candidate.getTime() - 1), minutes, timezone)
    if (before.getTime() <= now.getTime()) break
    candidate = before
  }
  return candidate
}
