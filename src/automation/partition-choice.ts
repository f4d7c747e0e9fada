import type { PartitionSpec } from '../engine/partition-targets.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import type { SchedulePartition } from '../model/automation.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { partitionKeys, type PartitionsDefinition, type StaticPartitions, type TimeWindowPartitions } from '../model/partitions.js'

// Which partitions the daemon's runs target. Every choice is a PartitionSpec, so each run is
// what `tributary materialize <selection> --partition <key>` (or --from/--to) would do by hand.

const FINEST_FIRST = ['hourly', 'daily', 'weekly', 'monthly'] as const

/** The newest partition of `def` whose window has ended by `at`, or undefined when none has yet. */
export function newestPartition(def: TimeWindowPartitions, at: Date): string | undefined {
  return partitionKeys(def, at).at(-1)
}

/**
 * The partitions automation conditions judge for one asset: the newest ended time window
 * (older ones are for backfills), or every static key. Empty before the first window ends.
 */
export function judgedPartitions(def: PartitionsDefinition, now: Date): string[] {
  if (def.type === 'static') return [...def.keys]
  const newest = newestPartition(def, now)
  return newest === undefined ? [] : [newest]
}

/**
 * What a request at `at` materializes when nothing names its partitions. With time-partitioned
 * assets selected: the newest partition ended by `at` of the finest cadence among them
 * (upstream first on ties); coarser assets build the window containing it and static ones
 * every key, as `--partition` does. With only static partitions: all their keys. Nothing
 * (`{}`) when no selected asset is partitioned. Throws TRB2004 when no window has ended yet.
 */
export function latestPartitions(graph: AssetGraph, keys: readonly string[], at: Date): PartitionSpec {
  const defs = keys.map((key) => graph.get(key)).filter((node) => node.def.type !== 'source' && node.partitions).map((node) => ({ key: node.key, def: node.partitions! }))
  if (defs.length === 0) return {}
  const times = defs.filter((d): d is { key: string; def: TimeWindowPartitions } => d.def.type === 'time')
  if (times.length > 0) {
    const finest = FINEST_FIRST.map((cadence) => times.find((d) => d.def.cadence === cadence)).find((d) => d !== undefined)!
    const newest = newestPartition(finest.def, at)
    if (newest === undefined) {
      throw new TributaryError(ErrorCode.InvalidPartitionKey, `no partition of ${finest.key} has ended by ${at.toISOString()}`, {
        hint: `Its partitions start at ${finest.def.start}; the first tick after its first window ends materializes it.`, context: { assetKey: finest.key },
      })
    }
    return { partition: newest }
  }
  const statics = defs as { key: string; def: StaticPartitions }[]
  const first = statics[0]!
  const other = statics.find((d) => d.def.keys.join('\0') !== first.def.keys.join('\0'))
  if (other) {
    throw new TributaryError(ErrorCode.InvalidPartitionKey, `${first.key} and ${other.key} have different static partitions, so one run cannot take all keys of both`, {
      hint: 'Split the selection into one schedule or sensor per set of keys, or give the schedule a partition function.', context: { assetKey: other.key },
    })
  }
  const all = first.def.keys
  return all.length === 1 ? { partition: all[0]! } : { from: all[0]!, to: all.at(-1)! }
}

/** What a schedule tick materializes: `latestPartitions` at the tick, or the key its partition function returns for it. */
export function schedulePartitions(graph: AssetGraph, keys: readonly string[], option: SchedulePartition | undefined, tick: Date): PartitionSpec {
  if (typeof option !== 'function') return latestPartitions(graph, keys, tick)
  let key: unknown
  try {
    key = option(tick)
  } catch (error) {
    throw new TributaryError(ErrorCode.InvalidPartitionKey, `the partition function threw for the tick at ${tick.toISOString()}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error, hint: 'Fix the schedule\'s partition function; it receives the tick as a Date and returns a partition key.',
    })
  }
  if (typeof key !== 'string' || key === '') {
    throw new TributaryError(ErrorCode.InvalidPartitionKey, `the partition function returned ${JSON.stringify(key)} for the tick at ${tick.toISOString()}, not a partition key`, {
      hint: "Return a key such as '2026-03-01' (daily), '2026-03-01T05' (hourly), '2026-W09', '2026-03' or a static key.",
    })
  }
  return { partition: key }
}

/** The spec in words for reasons and logs: "partition 2026-03-09", "partitions eu..us", or '' for none. */
export function describePartitions(spec: PartitionSpec): string {
  if (spec.partition !== undefined) return `partition ${spec.partition}`
  return spec.from !== undefined ? `partitions ${spec.from}..${spec.to ?? spec.from}` : ''
}
