import { DefinitionError, ErrorCode } from './errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y

/** A human duration such as `'26h'`, `'1h30m'`, `'500ms'`, or a number of milliseconds. */
export type Duration = string | number

/** Parses a duration to milliseconds, or returns undefined when it is not one. */
export function tryParseDuration(input: Duration): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined
  if (typeof input !== 'string') return undefined
  const text = input.trim()
  if (text === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex
    const match = PART.exec(text)
    if (!match || match.index !== start) return undefined
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN)
  }
  return Number.isFinite(total) ? total : undefined
}

/** Parses a duration to milliseconds; throws TRB1007 naming the field when it is not one. */
export function parseDuration(input: Duration, where = 'duration'): number {
  const ms = tryParseDuration(input)
  if (ms === undefined) {
    throw new DefinitionError(ErrorCode.InvalidDuration, `${where} ${JSON.stringify(input)} is not a duration`, {
      hint: "Write a number followed by a unit (ms, s, m, h, d, w), e.g. '26h' or '1h30m'.",
    })
  }
  return ms
}

/** Formats milliseconds the way people read them: `1.2s`, `3m 5s`, `2h 10m`. */
export function formatDuration(ms: number): string {
  // Round first, then pick the unit, so 59.96s reads "1m 0s" and never "60.0s".
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  if (Math.round(ms / 100) < 600) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`
  const minutes = Math.round(ms / 60_000)
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h ${minutes % 60}m`
  const totalHours = Math.floor(ms / 3_600_000)
  return `${Math.floor(totalHours / 24)}d ${totalHours % 24}h`
}
