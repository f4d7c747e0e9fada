import { Cron } from 'croner'

const cache = new Map<string, Cron>()

function cron(expression: string, timezone: string): Cron {
  const id = `${timezone}\0${expression}`
  let parsed = cache.get(id)
  if (!parsed) {
    parsed = new Cron(expression, { timezone, paused: true })
    cache.set(id, parsed)
  }
  return parsed
}

/** The most recent tick at or before `now`, or null when the expression never fired before. */
export function previousTick(expression: string, timezone: string, now: Date): Date | null {
  // previousRuns excludes `now` itself; look from one millisecond later so a tick exactly at now counts.
  return cron(expression, timezone).previousRuns(1, new Date(now.getTime() + 1))[0] ?? null
}

/** Ticks in (after, upTo], oldest first, at most `limit`. */
export function ticksBetween(expression: string, timezone: string, after: Date, upTo: Date, limit: number): Date[] {
  const ticks: Date[] = []
  let cursor = after
  const parsed = cron(expression, timezone)
  while (ticks.length < limit) {
    const next = parsed.nextRun(cursor)
    if (!next || next.getTime() > upTo.getTime()) break
    ticks.push(next)
    cursor = next
  }
  return ticks
}

/** The next tick after `now`. */
export function nextTick(expression: string, timezone: string, now: Date): Date | null {
  return cron(expression, timezone).nextRun(now)
}

/** Why a cron expression is invalid, or undefined when it is valid. */
export function cronProblem(expression: string, timezone: string): string | undefined {
  try {
    new Cron(expression, { timezone, paused: true })
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
