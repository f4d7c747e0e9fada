import { instantOf, indexAt, formatIndex, parseAnyKey, parseIndex, parseWallBound, wallStart, wallTime, type Cadence } from './time-window.js'

export type { Cadence } from './time-window.js'

/** Time windows of one cadence from `start` (and until `end`, exclusive) in `timezone`. */
export interface TimeWindowPartitions {
  readonly type: 'time'
  readonly cadence: Cadence
  /** The first window starts here: `'2026-01-01'` (or `'2026-01-01T05'` for hourly). */
  readonly start: string
  /** No window ends after this (exclusive). Default: none; windows up to now. */
  readonly end?: string
  /** IANA zone the windows follow. Default: 'UTC'. */
  readonly timezone: string
}

/** A fixed set of keys, such as regions. */
export interface StaticPartitions {
  readonly type: 'static'
  readonly keys: readonly string[]
}

/** How an asset is sliced into partitions. */
export type PartitionsDefinition = TimeWindowPartitions | StaticPartitions

/** What the time-window helpers accept. */
export interface TimeWindowOptions {
  readonly start: string
  readonly end?: string
  /** Default: 'UTC'. */
  readonly timezone?: string
}

function timeWindows(cadence: Cadence, options: TimeWindowOptions): TimeWindowPartitions {
  return Object.freeze({ type: 'time' as const, cadence, ...options, timezone: options.timezone ?? 'UTC' })
}

/** Hourly partitions keyed `2026-03-01T05` (local hours; a repeated DST hour is one partition, a skipped one none). */
export const hourlyPartitions = (options: TimeWindowOptions) => timeWindows('hourly', options)
/** Daily partitions keyed `2026-03-01`. */
export const dailyPartitions = (options: TimeWindowOptions) => timeWindows('daily', options)
/** ISO-week partitions (Monday to Monday) keyed `2026-W09`. */
export const weeklyPartitions = (options: TimeWindowOptions) => timeWindows('weekly', options)
/** Monthly partitions keyed `2026-03`. */
export const monthlyPartitions = (options: TimeWindowOptions) => timeWindows('monthly', options)

/** A fixed set of partition keys: `staticPartitions(['eu', 'us'])`. */
export function staticPartitions(keys: readonly string[]): StaticPartitions {
  return Object.freeze({ type: 'static' as const, keys: Object.freeze([...keys]) })
}

/**
 * Which upstream partitions one downstream partition reads. 'identity': the same key
 * (same window); 'all': every upstream partition; 'window': the upstream partitions
 * overlapping the downstream window, shifted `offset` windows and widened `lookback`
 * windows into the past (in downstream windows).
 */
export type PartitionMapping =
  | { readonly type: 'identity' }
  | { readonly type: 'all' }
  | { readonly type: 'window'; readonly lookback: number; readonly offset: number }

/** The same partition key upstream (the default between assets with the same partitions). */
export function identity(): PartitionMapping {
  return Object.freeze({ type: 'identity' as const })
}

/** Every upstream partition feeds each downstream partition (the default into unpartitioned assets and from static to time partitions). */
export function allPartitions(): PartitionMapping {
  return Object.freeze({ type: 'all' as const })
}

/** Overlapping windows, `lookback` windows further back and shifted by `offset` (negative: earlier). Defaults: 0, 0. */
export function window(options: { lookback?: number; offset?: number } = {}): PartitionMapping {
  return Object.freeze({ type: 'window' as const, lookback: options.lookback ?? 0, offset: options.offset ?? 0 })
}

/** The start (inclusive) and end (exclusive) instants of a partition. */
export interface PartitionWindow {
  readonly start: Date
  readonly end: Date
}

/** An index range of time windows, inclusive at both ends. */
interface IndexRange {
  readonly first: number
  readonly last: number
}

// Definitions are frozen, so their bounds are parsed once; planning asks for them per partition.
const firstIndexes = new WeakMap<TimeWindowPartitions, number>()
const endIndexes = new WeakMap<TimeWindowPartitions, number>()

/** The first window index of a time definition (the first window starting at or after `start`). */
export function firstIndex(def: TimeWindowPartitions): number {
  let index = firstIndexes.get(def)
  if (index === undefined) firstIndexes.set(def, (index = computeFirstIndex(def)))
  return index
}

function computeFirstIndex(def: TimeWindowPartitions): number {
  const wall = parseBound(def.start) ?? Number.NaN
  const index = indexAt(def.cadence, wall)
  return wallStart(def.cadence, index) < wall ? index + 1 : index
}

/** The last window index that has ended by `now` (and by the definition's end; without `now`, by the end alone). */
export function lastIndex(def: TimeWindowPartitions, now?: Date): number {
  if (now !== undefined) return computeLastIndex(def, now)
  let index = endIndexes.get(def)
  if (index === undefined) endIndexes.set(def, (index = computeLastIndex(def)))
  return index
}

function computeLastIndex(def: TimeWindowPartitions, now?: Date): number {
  let limit = now === undefined ? Number.POSITIVE_INFINITY : wallTime(now.getTime(), def.timezone)
  if (def.end !== undefined) limit = Math.min(limit, parseBound(def.end) ?? limit)
  if (limit === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY
  const index = indexAt(def.cadence, limit)
  // The window containing the limit has not ended yet unless the limit is exactly its start.
  return index - 1
}

/** True when `key` is a partition of `def` (time keys must also lie after its start and before its end). */
export function isPartitionKey(def: PartitionsDefinition, key: string): boolean {
  if (def.type === 'static') return def.keys.includes(key)
  const index = parseIndex(def.cadence, key, def.timezone)
  if (index === undefined || index < firstIndex(def)) return false
  return index <= lastIndex(def)
}

/** The window index of a time partition key, or undefined when it is not one of `def`. */
export function indexOf(def: TimeWindowPartitions, key: string): number | undefined {
  return isPartitionKey(def, key) ? parseIndex(def.cadence, key, def.timezone) : undefined
}

/** The key of window `index`. */
export function keyOf(def: TimeWindowPartitions, index: number): string {
  return formatIndex(def.cadence, index)
}

/** Start and end instants of a time partition, DST-correct in its zone. Undefined for static or unknown keys. */
export function windowOf(def: PartitionsDefinition, key: string): PartitionWindow | undefined {
  if (def.type === 'static') return undefined
  const index = parseIndex(def.cadence, key, def.timezone)
  if (index === undefined) return undefined
  return { start: new Date(instantOf(wallStart(def.cadence, index), def.timezone)), end: new Date(instantOf(wallStart(def.cadence, index + 1), def.timezone)) }
}

/** Every key of a range of windows, skipping hours a DST change removes. */
function keysIn(def: TimeWindowPartitions, range: IndexRange): string[] {
  const keys: string[] = []
  for (let index = range.first; index <= range.last; index++) {
    const key = formatIndex(def.cadence, index)
    if (def.cadence !== 'hourly' || parseIndex('hourly', key, def.timezone) !== undefined) keys.push(key)
  }
  return keys
}

// The keys of the last call per definition: status and planning ask again and again for the
// same definition (assets usually share one) while the last window stays the same.
const keyLists = new WeakMap<TimeWindowPartitions, { readonly last: number; readonly keys: readonly string[] }>()

/** Every partition key that exists by `now`: static keys, or time windows that have ended. */
export function partitionKeys(def: PartitionsDefinition, now: Date): string[] {
  if (def.type === 'static') return [...def.keys]
  const last = lastIndex(def, now)
  let cached = keyLists.get(def)
  if (!cached || cached.last !== last) keyLists.set(def, (cached = { last, keys: keysIn(def, { first: firstIndex(def), last }) }))
  return [...cached.keys]
}

/**
 * The keys of `def` selected by `from`..`to` (inclusive; either may be any time key or date,
 * read in `def`'s zone). Time windows overlapping that span; every key of a static set unless
 * the bounds name its keys. Clipped to the definition's start and end.
 */
export function keysBetween(def: PartitionsDefinition, from: string, to: string): string[] | undefined {
  if (def.type === 'static') {
    if (def.keys.includes(from) && def.keys.includes(to)) return def.keys.slice(def.keys.indexOf(from), def.keys.indexOf(to) + 1)
    return parseAnyKey(from) && parseAnyKey(to) ? [...def.keys] : undefined
  }
  const own = [indexOf(def, from), indexOf(def, to)]
  if (own[0] !== undefined && own[1] !== undefined) return keysIn(def, { first: own[0], last: own[1] })
  const start = parseAnyKey(from)?.start ?? parseWallBound(from)
  const end = parseAnyKey(to)?.end ?? parseWallBound(to)
  if (start === undefined || end === undefined) return undefined
  return keysOverlapping(def, start, end)
}

// Windows of `def` overlapping the wall-clock span [start, end), clipped to the definition.
function keysOverlapping(def: TimeWindowPartitions, start: number, end: number): string[] {
  const first = Math.max(indexAt(def.cadence, start), firstIndex(def))
  let last = indexAt(def.cadence, end - 1)
  last = Math.min(last, lastIndex(def))
  return keysIn(def, { first, last })
}

/**
 * The upstream keys one downstream partition reads through `mapping`. Null upstream
 * definitions mean an unpartitioned upstream (read whole: `[null]`).
 */
export function upstreamKeys(mapping: PartitionMapping, down: PartitionsDefinition, downKey: string, up: PartitionsDefinition, now: Date): string[] {
  if (mapping.type === 'identity') return [downKey]
  if (mapping.type === 'all' || down.type === 'static' || up.type === 'static') return partitionKeys(up, now)
  const index = parseIndex(down.cadence, downKey, down.timezone)!
  const start = wallStart(down.cadence, index + mapping.offset - mapping.lookback)
  const end = wallStart(down.cadence, index + mapping.offset + 1)
  return keysOverlapping(up, shiftZone(start, down.timezone, up.timezone), shiftZone(end, down.timezone, up.timezone))
}

/**
 * The downstream keys that read upstream partition `upKey` through `mapping` (the inverse of
 * upstreamKeys), among the downstream keys that exist by `now`.
 */
export function downstreamKeys(mapping: PartitionMapping, up: PartitionsDefinition, upKey: string, down: PartitionsDefinition, now: Date): string[] {
  // The same definition on both sides (the usual case) needs no parsing: a key of one is a key of the other.
  if (mapping.type === 'identity') return up === down || isPartitionKey(down, upKey) ? [upKey] : []
  if (mapping.type === 'all' || down.type === 'static' || up.type === 'static') return partitionKeys(down, now)
  const index = parseIndex(up.cadence, upKey, up.timezone)!
  const start = shiftZone(wallStart(up.cadence, index), up.timezone, down.timezone)
  const end = shiftZone(wallStart(up.cadence, index + 1), up.timezone, down.timezone)
  const first = Math.max(indexAt(down.cadence, start) - mapping.offset, firstIndex(down))
  const last = Math.min(indexAt(down.cadence, end - 1) - mapping.offset + mapping.lookback, lastIndex(down, now))
  return keysIn(down, { first, last })
}

// The wall time in zone `to` at the instant the wall clock in zone `from` shows `wall`.
function shiftZone(wall: number, from: string, to: string): number {
  return from === to ? wall : wallTime(instantOf(wall, from), to)
}

/** The key before `key` (the previous window), or undefined for the first one and for static keys. */
export function previousKey(def: PartitionsDefinition, key: string): string | undefined {
  if (def.type === 'static') return undefined
  const index = indexOf(def, key)
  if (index === undefined || index <= firstIndex(def)) return undefined
  for (let previous = index - 1; previous >= firstIndex(def); previous--) {
    const candidate = formatIndex(def.cadence, previous)
    if (parseIndex(def.cadence, candidate, def.timezone) !== undefined) return candidate
  }
  return undefined
}

/** The key of the window containing `instant` (whether or not it has ended). */
export function keyAt(def: TimeWindowPartitions, instant: Date): string {
  return formatIndex(def.cadence, indexAt(def.cadence, wallTime(instant.getTime(), def.timezone)))
}

/** The window a time partition definition's `start`/`end` text parses to, for validation. */
export function parseBound(text: string): number | undefined {
  return parseWallBound(text) ?? parseAnyKey(text)?.start
}
