import type { AssetGraph } from '../graph/asset-graph.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { downstreamKeys, keysBetween, partitionKeys, upstreamKeys } from '../model/partitions.js'

/** Which partitions a command targets: one key, or a range (inclusive). */
export interface PartitionSpec {
  readonly partition?: string
  readonly from?: string
  readonly to?: string
}

/** Steps to plan: for each asset key, its partitions (null for an unpartitioned asset). */
export type Targets = Map<string, (string | null)[]>

function invalid(message: string, hint = "Pass keys such as '2026-03-01' (daily), '2026-03-01T05' (hourly), '2026-W09', '2026-03' or a static key."): TributaryError {
  return new TributaryError(ErrorCode.InvalidPartitionKey, message, { hint })
}

/** The range a spec names, or undefined when it names none; throws TRB2004 on a half range. */
export function rangeOf(spec: PartitionSpec): { from: string; to: string } | undefined {
  if (spec.partition !== undefined) {
    if (spec.from !== undefined || spec.to !== undefined) throw invalid('pass either --partition or --from/--to, not both', 'Use --partition for one key, --from and --to for a range.')
    return { from: spec.partition, to: spec.partition }
  }
  if (spec.from === undefined && spec.to === undefined) return undefined
  if (spec.from === undefined || spec.to === undefined) throw invalid('a range needs both --from and --to', 'Pass --from 2026-03-01 --to 2026-03-31 (both inclusive).')
  return { from: spec.from, to: spec.to }
}

/**
 * The partitions of each selected asset in the spec's range. Unpartitioned assets get one
 * step; a partitioned asset without a range, a key that is not one of a selected asset's
 * partitions, or a range for unpartitioned assets only throws TRB2004.
 */
export function partitionTargets(graph: AssetGraph, keys: readonly string[], spec: PartitionSpec): Targets {
  const range = rangeOf(spec)
  const targets: Targets = new Map()
  let partitioned = false
  for (const key of keys) {
    const node = graph.get(key)
    if (node.def.type === 'source') continue
    if (!node.partitions) {
      targets.set(key, [null])
      continue
    }
    partitioned = true
    if (!range) throw invalid(`${key} is partitioned; say which partitions to build`, `Pass --partition <key> or --from <key> --to <key>, e.g. --partition ${partitionKeys(node.partitions, new Date()).at(-1) ?? 'eu'}.`)
    const partitions = keysBetween(node.partitions, range.from, range.to)
    if (!partitions) throw invalid(`${range.from === range.to ? range.from : `${range.from}..${range.to}`} is not a partition range of ${key}`)
    if (partitions.length === 0) throw invalid(`${key} has no partitions between ${range.from} and ${range.to}`, 'Check the order of --from and --to and the partitions’ start and end (tributary status --partitions).')
    targets.set(key, partitions)
  }
  if (range && !partitioned) throw invalid('a partition was given, but no selected asset is partitioned', 'Drop --partition/--from/--to, or select partitioned assets.')
  return targets
}

/**
 * Backfill targets: the selected partitions that pass `include` (missing, failed, …), plus
 * every partition downstream of them through the mappings: inside the range all of them,
 * outside it (a lookback reaching past `to`) only those `known` (published or attempted
 * before), since a partition never built is not this backfill's to start. Either way a
 * downstream partition joins only when every partition it reads is planned or `published`.
 */
export function backfillTargets(
  graph: AssetGraph, keys: readonly string[], spec: PartitionSpec, now: Date,
  include: (key: string, partition: string | null) => boolean, published: (key: string, partition: string) => boolean,
  known: (key: string, partition: string) => boolean = published,
): Targets {
  const roots = partitionTargets(graph, keys, spec)
  const range = rangeOf(spec)!
  const targets = new Map<string, Set<string | null>>()
  const add = (key: string, partition: string | null) => {
    let set = targets.get(key)
    if (!set) targets.set(key, (set = new Set()))
    set.add(partition)
  }
  for (const [key, partitions] of roots) for (const partition of partitions) if (include(key, partition)) add(key, partition)
  const inRange = new Map<string, Set<string>>()
  const within = (key: string, partition: string) => {
    let set = inRange.get(key)
    if (!set) inRange.set(key, (set = new Set(keysBetween(graph.get(key).partitions!, range.from, range.to) ?? [])))
    return set.has(partition)
  }
  // A downstream partition joins only when every partition it reads is in the backfill or
  // published: a month is not rebuilt from a week of days while the rest are missing.
  const complete = (key: string, partition: string) => {
    const node = graph.get(key)
    for (const up of node.upstream) {
      const upNode = graph.get(up)
      const mapping = node.partitionMappings?.get(up)
      if (!upNode.partitions || !mapping || mapping.type === 'all') continue
      const planned = targets.get(up)
      for (const upKey of upstreamKeys(mapping, node.partitions!, partition, upNode.partitions, now)) {
        if (!planned?.has(upKey) && !published(up, upKey)) return false
      }
    }
    return true
  }
  // Topological order: an asset's targets are complete before its downstream is visited.
  for (const key of graph.order) {
    const mine = targets.get(key)
    if (!mine) continue
    const node = graph.get(key)
    for (const down of node.downstream) {
      const downNode = graph.get(down)
      if (downNode.def.type === 'source') continue
      if (!downNode.partitions) {
        add(down, null)
        continue
      }
      const mapping = downNode.partitionMappings?.get(key)
      if (!node.partitions || !mapping) {
        // An unpartitioned upstream changed: every downstream partition in the range reads it.
        for (const partition of keysBetween(downNode.partitions, range.from, range.to) ?? []) add(down, partition)
        continue
      }
      if (mapping.type === 'all') {
        for (const partition of keysBetween(downNode.partitions, range.from, range.to) ?? []) add(down, partition)
        continue
      }
      for (const partition of mine) {
        if (partition === null) continue
        for (const downKey of downstreamKeys(mapping, node.partitions, partition, downNode.partitions, now)) {
          if ((within(down, downKey) || known(down, downKey)) && complete(down, downKey)) add(down, downKey)
        }
      }
    }
  }
  return new Map([...targets].map(([key, set]) => [key, sortPartitions([...set])]))
}

function sortPartitions(partitions: (string | null)[]): (string | null)[] {
  // Time keys sort chronologically as text; null (unpartitioned) only ever stands alone.
  return partitions.sort((a, b) => ((a ?? '') < (b ?? '') ? -1 : 1))
}
