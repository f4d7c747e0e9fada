// Key arithmetic for time-window partitions. A window is identified by an integer index in
// *wall-clock* units of its cadence (local hours, days, ISO weeks, months since 1970), so
// stepping from one partition to the next never crosses a DST change by accident; only
// turning a wall time into an instant consults the time zone.

/** How long each time window is. */
export type Cadence = 'hourly' | 'daily' | 'weekly' | 'monthly'

const HOUR = 3_600_000
const DAY = 86_400_000

const formats = new Map<string, Intl.DateTimeFormat>()

function formatIn(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' })
    formats.set(timeZone, format)
  }
  return format
}

/** The wall clock in `timeZone` at `instant`, as milliseconds of a UTC date showing the same digits. */
export function wallTime(instant: number, timeZone: string): number {
  if (timeZone === 'UTC') return instant
  const p: Record<string, number> = {}
  for (const part of formatIn(timeZone).formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant % 1000 + 1000) % 1000
}

/**
 * The first instant when the wall clock in `timeZone` shows `wall` (the earlier one when a
 * DST change repeats it; the end of the gap when a DST change skips it).
 */
export function instantOf(wall: number, timeZone: string): number {
  if (timeZone === 'UTC') return wall
  // Offsets a day either side: no zone changes its offset twice within two days.
  const before = wallTime(wall - DAY, timeZone) - (wall - DAY)
  const after = wallTime(wall + DAY, timeZone) - (wall + DAY)
  const candidates = [wall - before, wall - after].filter((t) => wallTime(t, timeZone) === wall)
  return candidates.length > 0 ? Math.min(...candidates) : wall - before
}

/** True when the wall time exists in `timeZone` (is not skipped by a DST change). */
export function wallExists(wall: number, timeZone: string): boolean {
  return wallTime(instantOf(wall, timeZone), timeZone) === wall
}

/** The wall-clock start of window `index`. */
export function wallStart(cadence: Cadence, index: number): number {
  switch (cadence) {
    case 'hourly': return index * HOUR
    case 'daily': return index * DAY
    // Day 0 (1970-01-01) was a Thursday; ISO weeks start on Monday, three days earlier.
    case 'weekly': return (index * 7 - 3) * DAY
    case 'monthly': return Date.UTC(Math.floor(index / 12), ((index % 12) + 12) % 12, 1)
  }
}

/** The index of the window whose wall-clock span contains `wall`. */
export function indexAt(cadence: Cadence, wall: number): number {
  switch (cadence) {
    case 'hourly': return Math.floor(wall / HOUR)
    case 'daily': return Math.floor(wall / DAY)
    case 'weekly': return Math.floor((Math.floor(wall / DAY) + 3) / 7)
    case 'monthly': {
      const date = new Date(wall)
      return date.getUTCFullYear() * 12 + date.getUTCMonth()
    }
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

// Keys are formatted and parsed again and again (status of 100,000 partitions reading 7-day
// windows formats 700,000): memoized per cadence, up to a bound that keeps memory small.
const MEMO_LIMIT = 500_000
const formatted: Record<Cadence, Map<number, string>> = { hourly: new Map(), daily: new Map(), weekly: new Map(), monthly: new Map() }
const parsed = new Map<string, number | undefined>()

/** The partition key of window `index`: `2026-03-01T05`, `2026-03-01`, `2026-W09`, `2026-03`. */
export function formatIndex(cadence: Cadence, index: number): string {
  const memo = formatted[cadence]
  let key = memo.get(index)
  if (key === undefined) {
    key = formatIndexUncached(cadence, index)
    if (memo.size >= MEMO_LIMIT) memo.clear()
    memo.set(index, key)
  }
  return key
}

function formatIndexUncached(cadence: Cadence, index: number): string {
  const date = new Date(wallStart(cadence, index))
  const ymd = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
  switch (cadence) {
    case 'hourly': return `${ymd}T${pad(date.getUTCHours())}`
    case 'daily': return ymd
    case 'monthly': return ymd.slice(0, 7)
    case 'weekly': {
      // The ISO year and week are those of the week's Thursday.
      const thursday = new Date(date.getTime() + 3 * DAY)
      const year = thursday.getUTCFullYear()
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY / 7) + 1
      return `${pad(year, 4)}-W${pad(week)}`
    }
  }
}

const KEY_PATTERNS: Record<Cadence, RegExp> = {
  hourly: /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/,
  daily: /^(\d{4})-(\d{2})-(\d{2})$/,
  weekly: /^(\d{4})-W(\d{2})$/,
  monthly: /^(\d{4})-(\d{2})$/,
}

/** The index of a partition key of this cadence, or undefined when the key is not one (or does not exist in `timeZone`). */
export function parseIndex(cadence: Cadence, key: string, timeZone: string): number | undefined {
  // Only hourly keys depend on the zone (a skipped DST hour does not exist).
  // Keys are short ('2026-03-01T05'); anything longer is not one, and is not worth keeping.
  if (key.length > 16) return undefined
  const memoKey = cadence === 'hourly' ? `${timeZone}\0${key}` : `${cadence}\0${key}`
  if (parsed.has(memoKey)) return parsed.get(memoKey)
  const index = parseIndexUncached(cadence, key, timeZone)
  if (parsed.size >= MEMO_LIMIT) parsed.clear()
  parsed.set(memoKey, index)
  return index
}

function parseIndexUncached(cadence: Cadence, key: string, timeZone: string): number | undefined {
  const match = KEY_PATTERNS[cadence].exec(key)
  if (!match) return undefined
  const [a, b, c, d] = match.slice(1).map(Number) as [number, number, number, number]
  let index: number
  if (cadence === 'weekly') {
    // January 4th is always in ISO week 1.
    index = indexAt('weekly', Date.UTC(a, 0, 4)) + b - 1
  } else if (cadence === 'monthly') {
    index = a * 12 + b - 1
  } else {
    const wall = Date.UTC(a, b - 1, c, cadence === 'hourly' ? d : 0)
    index = indexAt(cadence, wall)
    if (cadence === 'hourly' && !wallExists(wall, timeZone)) return undefined
  }
  // Round-tripping rejects impossible dates such as 2026-02-30 or week 53 of a 52-week year.
  return formatIndex(cadence, index) === key ? index : undefined
}

/** Parses a date or date-hour bound (`2026-03-01`, `2026-03-01T05`) to a wall time, or undefined. */
export function parseWallBound(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?$/.exec(text)
  if (!match) return undefined
  const [y, m, d, h] = [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4] ?? 0)]
  const wall = Date.UTC(y, m - 1, d, h)
  const date = new Date(wall)
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || h > 23) return undefined
  return wall
}

/** Parses any time partition key (of whichever cadence it reads as) to its wall-clock span. */
export function parseAnyKey(key: string): { start: number; end: number } | undefined {
  for (const cadence of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
    const index = parseIndex(cadence, key, 'UTC')
    if (index !== undefined) return { start: wallStart(cadence, index), end: wallStart(cadence, index + 1) }
  }
  return undefined
}
