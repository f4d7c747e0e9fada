import type { AssetGraph, GraphNode } from '../graph/asset-graph.js'
import { formatDuration, parseDuration } from '../model/duration.js'
import { deadlineWindow } from '../model/freshness.js'
import { partitionKeys, windowOf } from '../model/partitions.js'
import type { AssetStateRecord, MaterializationRecord, StepRecord } from '../store/records.js'
import { combinedVersion, CurrentInputVersions, type UpstreamReader } from './partition-versions.js'

/** The state of one partition. */
export type PartitionState = 'fresh' | 'stale' | 'failed' | 'missing' | 'running'

/** Which partitions of one asset are in which state. */
export interface AssetPartitionStatus {
  readonly key: string
  /** How many partitions exist by now (static keys, or time windows that have ended). */
  readonly total: number
  readonly counts: Readonly<Record<PartitionState, number>>
  /** Partition keys by state, in key order (fresh ones left out: they are the rest). */
  readonly missing: readonly string[]
  readonly failed: readonly string[]
  readonly stale: readonly string[]
  readonly running: readonly string[]
  /**
   * By key, the error of each partition's latest attempt when it failed, was blocked or was
   * skipped since the partition was last published: why a `failed` one failed, and why a
   * skipped one is not built ("skipped: upstream raw/payments@2026-03-03 failed").
   */
  readonly failures?: Readonly<Record<string, string>>
  /** The newest partition that exists (the last ended window), and its state. */
  readonly latest: { readonly partition: string; readonly state: PartitionState } | null
  /** Set when the newest partition is due by the freshness policy and not published: "partition 2026-03-09 is late …". */
  readonly late: string | null
}

const ACTIVE: ReadonlySet<string> = new Set(['queued', 'waiting', 'running'])
const FAILED: ReadonlySet<string> = new Set(['failed', 'blocked'])
// A step skipped because an upstream step failed is not this partition's failure: one bad
// upstream partition must not count failed in every reader, and a skipped partition is as
// good as before (missing, fresh or stale). Its `failures` entry tells it apart.
const UNPUBLISHED: ReadonlySet<string> = new Set([...FAILED, 'skipped'])

/**
 * The state of one partition from its latest state record. Stale when its code changed or
 * when an upstream's current version (what a run would record for it now; see
 * CurrentInputVersions) differs from the one its materialization recorded. Pure.
 */
export function partitionState(node: GraphNode, state: AssetStateRecord | undefined, activeRunIds: ReadonlySet<string>, upstream: readonly UpstreamReader[]): PartitionState {
  const step = state?.lastStep ?? null
  const materialization = state?.lastMaterialization ?? null
  if (step && ACTIVE.has(step.status) && activeRunIds.has(step.runId)) return 'running'
  if (step && FAILED.has(step.status) && (!materialization || step.runId !== materialization.runId)) return 'failed'
  if (!materialization) return 'missing'
  if (materialization.codeVersion !== node.codeVersion) return 'stale'
  // What it read was current when the step that published it started: upstream published before
  // then is as it read it. Unknown when its last step is another run's: then versions decide.
  const readAt = step && step.runId === materialization.runId && step.startedAt ? step.startedAt.getTime() : undefined
  for (const reader of upstream) {
    const recorded = materialization.inputVersions[reader.key]
    // Nothing published upstream now cannot be newer; a version where it recorded none (a recovered publish) is.
    const current = reader.current(state!.partition!, recorded === undefined ? undefined : readAt)
    if (current === null) continue
    if (current !== undefined && current !== materialization.inputVersions[reader.key]) return 'stale'
  }
  return 'fresh'
}

/** The asset keys whose states partition status of `keys` reads: the keys and their direct upstream. */
export function partitionStatusReads(graph: AssetGraph, keys: readonly string[]): string[] {
  return [...new Set(keys.flatMap((key) => [key, ...graph.get(key).upstream]))]
}

/**
 * Partition status of every partitioned asset from the latest state of each partition; pass
 * the states of their upstream too (see partitionStatusReads), or nothing can be stale.
 * Pure; runs over every partition record, so it keeps to a few map lookups per partition.
 */
export function derivePartitionStatuses(graph: AssetGraph, states: readonly AssetStateRecord[], now: Date, activeRunIds: ReadonlySet<string>, keys?: readonly string[]): Map<string, AssetPartitionStatus> {
  const byKey = new Map<string, Map<string, AssetStateRecord>>()
  const whole = new Map<string, AssetStateRecord>()
  for (const state of states) {
    if (state.partition === null) {
      whole.set(state.assetKey, state)
      continue
    }
    let map = byKey.get(state.assetKey)
    if (!map) byKey.set(state.assetKey, (map = new Map()))
    map.set(state.partition, state)
  }
  const versions = new CurrentInputVersions(graph, byKey, whole, now)
  const result = new Map<string, AssetPartitionStatus>()
  for (const key of keys ?? graph.order) {
    const node = graph.get(key)
    if (!node.partitions) continue
    const mine = byKey.get(key) ?? new Map<string, AssetStateRecord>()
    const lists: Record<PartitionState, string[]> = { fresh: [], stale: [], failed: [], missing: [], running: [] }
    const failures: [string, string][] = []
    const all = partitionKeys(node.partitions, now)
    const upstream = versions.readersOf(node)
    let latestState: PartitionState | null = null
    for (const partition of all) {
      const state = mine.get(partition)
      lists[(latestState = partitionState(node, state, activeRunIds, upstream))].push(partition)
      const failure = state && failureOf(state)
      if (failure) failures.push([partition, failure])
    }
    const last = all.at(-1)
    result.set(key, {
      key, total: all.length,
      counts: { fresh: lists.fresh.length, stale: lists.stale.length, failed: lists.failed.length, missing: lists.missing.length, running: lists.running.length },
      missing: lists.missing, failed: lists.failed, stale: lists.stale, running: lists.running,
      // fromEntries defines every key as its own property, even a static key named __proto__.
      failures: Object.fromEntries(failures),
      latest: last === undefined ? null : { partition: last, state: latestState! },
      late: last === undefined ? null : lateness(node, last, latestState!, now),
    })
  }
  return result
}

// The error of the latest attempt when it failed, was blocked or was skipped since the last publish.
function failureOf(state: AssetStateRecord): string | undefined {
  const step = state.lastStep
  if (!step || !UNPUBLISHED.has(step.status) || step.runId === state.lastMaterialization?.runId) return undefined
  return step.error?.message ?? step.reason ?? step.status
}

// The newest partition is late when the policy's time has passed since its window ended and it is not published.
function lateness(node: GraphNode, partition: string, state: PartitionState, now: Date): string | null {
  const policy = node.def.freshness
  if (!policy || state === 'fresh' || state === 'stale' || state === 'running') return null
  const ended = windowOf(node.partitions!, partition)?.end
  if (!ended) return null
  if (policy.maxAge !== undefined) {
    const overdue = now.getTime() - ended.getTime() - parseDuration(policy.maxAge)
    if (overdue > 0) return `partition ${partition} is late: ${state}, ${formatDuration(now.getTime() - ended.getTime())} after its window ended (maxAge ${policy.maxAge})`
  }
  const window = policy.deadline === undefined ? undefined : deadlineWindow(policy.deadline, policy.timezone ?? 'UTC', now)
  if (window) {
    const deadline = window.deadline
    if (deadline.getTime() > ended.getTime()) return `partition ${partition} is late: ${state}, not published by ${policy.deadline} ${policy.timezone ?? 'UTC'}`
  }
  return null
}

/**
 * One state record standing for all partitions of an asset, so asset-level status works as
 * for unpartitioned assets: its materialization is the newest, with a data version combining
 * every partition's (what readers of all partitions record); its step is the newest failing
 * or active one, else the newest.
 */
export function summaryState(key: string, partitions: readonly AssetStateRecord[]): AssetStateRecord {
  let newest: MaterializationRecord | null = null
  let step: StepRecord | null = null
  let trouble: StepRecord | null = null
  const materializations: MaterializationRecord[] = []
  for (const state of partitions) {
    const m = state.lastMaterialization
    if (m) {
      materializations.push(m)
      if (!newest || m.createdAt > newest.createdAt) newest = m
    }
    const s = state.lastStep
    if (!s) continue
    if (!step || (s.finishedAt ?? s.startedAt ?? 0) > (step.finishedAt ?? step.startedAt ?? 0)) step = s
    const failing = FAILED.has(s.status) && (!m || m.runId !== s.runId)
    if ((failing || ACTIVE.has(s.status)) && (!trouble || ACTIVE.has(s.status))) trouble = s
  }
  const lastMaterialization = newest ? { ...newest, partition: null, dataVersion: combinedVersion(materializations)! } : null
  return { assetKey: key, partition: null, lastMaterialization, lastStep: trouble ?? step, lastChecks: [] }
}
