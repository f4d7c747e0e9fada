import type { AnyNode } from '../model/asset.js'
import { ErrorCode, type ErrorCodeValue } from '../model/errors.js'
import { isValidTimezone } from '../model/freshness.js'
import { allPartitions, identity, parseBound, window, type PartitionMapping, type PartitionsDefinition } from '../model/partitions.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
// Static keys end up in file names, SQL literals and CLI arguments: keep them plain.
const STATIC_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
const CADENCES = new Set(['hourly', 'daily', 'weekly', 'monthly'])

type Problem = (code: ErrorCodeValue, key: string, message: string, hint: string) => void

/** The partitions of a node (sources are never partitioned). */
export function partitionsOf(def: AnyNode): PartitionsDefinition | undefined {
  return def.type === 'source' ? undefined : def.partitions
}

/** Reports what is wrong with an asset's own partitions definition. */
export function validatePartitions(def: AnyNode, problem: Problem): void {
  if (def.type === 'source') return
  const key = def.key
  const partitions = def.partitions as (PartitionsDefinition & Record<string, unknown>) | undefined
  if (def.partitionColumn !== undefined && (typeof def.partitionColumn !== 'string' || !IDENTIFIER.test(def.partitionColumn))) {
    problem(ErrorCode.InvalidPartitions, key, `partitionColumn of ${key} is ${JSON.stringify(def.partitionColumn)}, which is not a column name`, "Use letters, digits and '_', e.g. 'partition_key' (the default) or 'day'.")
  }
  if (partitions === undefined) return
  if (def.io === 'files') {
    problem(ErrorCode.InvalidPartitions, key, `${key} has io 'files' and partitions; file assets cannot be partitioned yet`, "Make it a table asset (io: 'table') or remove partitions.")
  }
  if (partitions.type === 'static') {
    const keys = partitions.keys
    if (!Array.isArray(keys) || keys.length === 0) {
      problem(ErrorCode.InvalidPartitions, key, `static partitions of ${key} have no keys`, "List the keys: staticPartitions(['eu', 'us']).")
      return
    }
    const bad = keys.find((k) => typeof k !== 'string' || !STATIC_KEY.test(k))
    if (bad !== undefined) problem(ErrorCode.InvalidPartitions, key, `static partition key ${JSON.stringify(bad)} of ${key} is not valid`, "Use letters, digits, '_', '.' and '-', e.g. 'eu' or 'us-east'.")
    if (new Set(keys).size !== keys.length) problem(ErrorCode.InvalidPartitions, key, `static partitions of ${key} list a key twice`, 'List each key once.')
    return
  }
  if (partitions.type !== 'time' || !CADENCES.has(partitions.cadence)) {
    problem(ErrorCode.InvalidPartitions, key, `partitions of ${key} are not a partitions definition`, 'Build them with dailyPartitions({ start }), hourlyPartitions, weeklyPartitions, monthlyPartitions or staticPartitions.')
    return
  }
  const start = typeof partitions.start === 'string' ? parseBound(partitions.start) : undefined
  if (start === undefined) {
    problem(ErrorCode.InvalidPartitions, key, `partitions start of ${key} is ${JSON.stringify(partitions.start)}, which is not a date`, "Write a date 'YYYY-MM-DD' (or 'YYYY-MM-DDTHH' for hourly), e.g. start: '2026-01-01'.")
  }
  const end = partitions.end === undefined ? undefined : typeof partitions.end === 'string' ? parseBound(partitions.end) : Number.NaN
  if (end !== undefined && !Number.isFinite(end)) {
    problem(ErrorCode.InvalidPartitions, key, `partitions end of ${key} is ${JSON.stringify(partitions.end)}, which is not a date`, "Write a date 'YYYY-MM-DD' (exclusive), or leave end out for windows up to now.")
  } else if (end !== undefined && start !== undefined && end <= start) {
    problem(ErrorCode.InvalidPartitions, key, `partitions of ${key} end (${partitions.end}) at or before they start (${partitions.start})`, 'Make end later than start; end is exclusive.')
  }
  if (!isValidTimezone(partitions.timezone)) {
    problem(ErrorCode.InvalidTimezone, key, `partitions timezone of ${key} is ${JSON.stringify(partitions.timezone)}, which is not a known time zone`, "Use an IANA name such as 'Europe/London' or 'UTC'.")
  }
}

/**
 * Resolves the mapping of every partitioned upstream of a partitioned-or-not asset, from its
 * explicit `partitionMappings` or the defaults: identity between equal partitions, window
 * between time windows of different cadence or zone, all otherwise.
 */
export function resolveMappings(def: AnyNode, upstream: readonly string[], byKey: ReadonlyMap<string, AnyNode>, problem: Problem): Map<string, PartitionMapping> {
  const resolved = new Map<string, PartitionMapping>()
  if (def.type === 'source') return resolved
  const explicit = new Map<string, PartitionMapping>()
  for (const [name, mapping] of Object.entries((def.partitionMappings ?? {}) as Record<string, PartitionMapping | undefined>)) {
    if (mapping === undefined) continue
    const upKey = def.type === 'asset' ? (def.ins as Record<string, AnyNode | undefined>)[name]?.key : name
    if (upKey === undefined || !upstream.includes(upKey)) {
      problem(ErrorCode.InvalidPartitionMapping, def.key, `partitionMappings of ${def.key} names ${name}, which it does not read`, def.type === 'asset' ? 'Key partitionMappings by the names in ins.' : 'Key partitionMappings by the upstream asset key, e.g. { \'raw/payments\': window({ lookback: 6 }) }.')
      continue
    }
    explicit.set(upKey, mapping)
  }
  const down = def.partitions
  for (const upKey of upstream) {
    const up = partitionsOf(byKey.get(upKey)!)
    const mapping = explicit.get(upKey)
    if (!up) {
      if (mapping) problem(ErrorCode.InvalidPartitionMapping, def.key, `${def.key} maps partitions of ${upKey}, which is not partitioned`, 'Remove the mapping: an unpartitioned upstream is read whole.')
      continue
    }
    if (!down) {
      // An unpartitioned asset reads every partition of its upstream.
      resolved.set(upKey, allPartitions())
      continue
    }
    const chosen = mapping ?? defaultMapping(up, down)
    if (!chosen) {
      problem(ErrorCode.InvalidPartitionMapping, def.key, `${def.key} and its upstream ${upKey} have different static partitions and no mapping`, `Map them: partitionMappings: { ${def.type === 'asset' ? 'input' : `'${upKey}'`}: allPartitions() }, or give both the same keys.`)
      continue
    }
    const why = mappingProblem(chosen, up, down)
    if (why) problem(ErrorCode.InvalidPartitionMapping, def.key, `${def.key} reads ${upKey} through ${describe(chosen)}, but ${why}`, 'Use allPartitions(), or window() between time windows.')
    else resolved.set(upKey, chosen)
  }
  return resolved
}

function defaultMapping(up: PartitionsDefinition, down: PartitionsDefinition): PartitionMapping | undefined {
  if (samePartitions(up, down)) return identity()
  if (up.type === 'time' && down.type === 'time') return window()
  if (up.type === 'static' && down.type === 'static') return undefined
  return allPartitions()
}

function mappingProblem(mapping: PartitionMapping, up: PartitionsDefinition, down: PartitionsDefinition): string | undefined {
  const type = (mapping as { type?: string } | null)?.type
  if (type === 'all') return undefined
  if (type === 'identity') return samePartitions(up, down) || (up.type === 'time' && down.type === 'time' && up.cadence === down.cadence && up.timezone === down.timezone) ? undefined : 'identity() needs the same partitions on both sides'
  if (type === 'window') {
    if (up.type !== 'time' || down.type !== 'time') return 'window() needs time-window partitions on both sides'
    const { lookback, offset } = mapping as { lookback: number; offset: number }
    if (!Number.isInteger(lookback) || lookback < 0) return `lookback must be a whole number ≥ 0, got ${lookback}`
    if (!Number.isInteger(offset)) return `offset must be a whole number, got ${offset}`
    return undefined
  }
  return 'that is not a partition mapping'
}

function samePartitions(a: PartitionsDefinition, b: PartitionsDefinition): boolean {
  if (a.type === 'static' && b.type === 'static') return a.keys.length === b.keys.length && a.keys.every((k, i) => k === b.keys[i])
  return a.type === 'time' && b.type === 'time' && a.cadence === b.cadence && a.timezone === b.timezone
}

function describe(mapping: PartitionMapping): string {
  return mapping.type === 'window' ? `window({ lookback: ${mapping.lookback}, offset: ${mapping.offset} })` : mapping.type === 'all' ? 'allPartitions()' : `${String((mapping as { type?: unknown }).type)}()`
}
