import type { AssetGraph } from '../graph/asset-graph.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { AssetStateRecord } from '../store/records.js'
import type { Store } from '../store/store.js'
import { backfillTargets, rangeOf, type PartitionSpec, type Targets } from './partition-targets.js'
import { derivePartitionStatuses, partitionStatusReads, type AssetPartitionStatus } from './partition-status.js'
import { planPartitions, type Plan } from './plan.js'

/** Which partitions a backfill rebuilds. 'missing': never published; 'failed': latest attempt failed, blocked, skipped or canceled, or stale (code or upstream data changed since); 'all': every one. */
export type BackfillScope = 'missing' | 'failed' | 'all'

/** How a backfill is started. */
export interface BackfillOptions extends PartitionSpec {
  /** Default: 'missing'. */
  readonly only?: BackfillScope
  /** Continue this earlier backfill run: its steps, minus what was published since it started. */
  readonly resume?: string
}

/** A planned backfill: its steps, the run text that identifies it, and what was left out as already done. */
export interface BackfillPlan {
  readonly plan: Plan
  /** Stored as the run's selection; re-running the same backfill finds its interrupted runs by it. */
  readonly identity: string
  /** Partitions left out because a previous attempt of this backfill already published them. */
  readonly alreadyDone: number
  /** The interrupted backfill run this one continues, if any. */
  readonly resumes: string | null
}

/** The run trigger of backfills. */
export const BACKFILL_TRIGGER = 'backfill'

/**
 * Plans a backfill: every (asset, partition) of the selection in the range that the scope
 * picks, plus everything downstream of those, in dependency order. A backfill is a run: when
 * the latest runs of the same backfill (same identity) did not succeed, what they published
 * since the first of them started is not redone.
 */
export async function planBackfill(graph: AssetGraph, store: Store, now: Date, selection: string, keys: readonly string[], options: BackfillOptions): Promise<BackfillPlan> {
  const only = options.only ?? 'missing'
  if (!['missing', 'failed', 'all'].includes(only)) {
    throw new TributaryError(ErrorCode.Usage, `--only is ${JSON.stringify(only)}`, { hint: 'Use --only missing (the default), --only failed or --only all.' })
  }
  let targets: Targets
  let identity: string
  let since: Date | undefined
  let resumes: string | null = null
  if (options.resume !== undefined) {
    const run = await store.getRun(options.resume)
    if (!run || run.trigger !== BACKFILL_TRIGGER) {
      throw new TributaryError(ErrorCode.RunNotFound, `no backfill run ${options.resume}`, { context: { runId: options.resume }, hint: 'List backfills with `tributary backfill --list`.' })
    }
    // Runs whose process died were settled before planning; one still marked running is alive.
    if (run.status === 'running') {
      throw new TributaryError(ErrorCode.RunNotActive, `backfill run ${run.id} is still running`, { context: { runId: run.id }, hint: `Pause it first (tributary backfill --pause ${run.id}), or let it finish.` })
    }
    // A run a newer run of the same backfill already continued is not resumed twice.
    // Newest first: the runs of the same backfill listed before this one came after it.
    const same = await store.listRuns({ limit: 10_000, trigger: BACKFILL_TRIGGER, selection: run.selection })
    const newer = same.slice(0, Math.max(0, same.findIndex((other) => other.id === run.id))).at(-1)
    if (newer) {
      throw new TributaryError(ErrorCode.RunNotActive, `backfill run ${run.id} was already continued by run ${newer.id} (${newer.status})`, {
        context: { runId: run.id }, hint: newer.status === 'succeeded' ? 'Nothing is left to do.' : `Resume run ${newer.id} instead: tributary backfill --resume ${newer.id}`,
      })
    }
    targets = new Map()
    for (const step of await store.listSteps(run.id)) {
      if (!graph.has(step.assetKey)) continue
      let list = targets.get(step.assetKey)
      if (!list) targets.set(step.assetKey, (list = []))
      list.push(step.partition)
    }
    identity = run.selection
    since = (await interruptedSince(store, identity)) ?? run.startedAt
    resumes = run.id
  } else {
    const range = rangeOf(options)
    if (!range) throw new TributaryError(ErrorCode.InvalidPartitionKey, 'a backfill needs --from and --to (or --partition)', { hint: 'e.g. tributary backfill raw/payments --from 2026-03-01 --to 2026-03-31' })
    identity = `backfill ${selection || '*'} --from ${range.from} --to ${range.to} --only ${only}`
    const affected = new Set(keys)
    for (const key of keys) for (const down of graph.downstreamOf(key)) affected.add(down)
    const partitioned = [...affected].filter((key) => graph.get(key).partitions)
    // 'failed' also takes stale partitions, which partition status judges from the upstream states too.
    const read = only === 'failed' ? partitionStatusReads(graph, partitioned) : partitioned
    const stored = read.length === 0 ? [] : await store.assetStates(read)
    const states = new Map(stored.map((state) => [stateKey(state.assetKey, state.partition), state]))
    const stale = only === 'failed' ? staleOf(derivePartitionStatuses(graph, stored, now, new Set(), partitioned)) : new Set<string>()
    const published = (key: string, partition: string) => states.get(stateKey(key, partition))?.lastMaterialization != null
    const include = only === 'all' ? () => true : scopeFilter(only, states, stale)
    const known = (key: string, partition: string) => states.has(stateKey(key, partition))
    targets = backfillTargets(graph, keys, options, now, include, published, known)
    const previous = await interruptedRuns(store, identity)
    // Runs whose process died were settled before planning: one still running is alive.
    if (previous[0]?.status === 'running') {
      throw new TributaryError(ErrorCode.RunNotActive, `this backfill is already running as run ${previous[0].id}`, {
        context: { runId: previous[0].id }, hint: `Follow it with tributary backfill --list, or pause it first (tributary backfill --pause ${previous[0].id}).`,
      })
    }
    if (previous.length > 0) {
      since = previous.at(-1)!.startedAt
      resumes = previous[0]!.id
    }
  }
  let alreadyDone = 0
  if (since !== undefined) {
    const states = await statesOf(store, [...targets.keys()])
    for (const [key, partitions] of targets) {
      const kept = partitions.filter((partition) => {
        const created = states.get(stateKey(key, partition))?.lastMaterialization?.createdAt
        return !(created && created.getTime() >= since.getTime())
      })
      alreadyDone += partitions.length - kept.length
      if (kept.length > 0) targets.set(key, kept)
      else targets.delete(key)
    }
  }
  return { plan: planPartitions(graph, targets, now), identity, alreadyDone, resumes }
}

const stateKey = (key: string, partition: string | null) => `${key}\0${partition ?? ''}`

async function statesOf(store: Store, keys: readonly string[]): Promise<Map<string, AssetStateRecord>> {
  if (keys.length === 0) return new Map()
  return new Map((await store.assetStates(keys)).map((s) => [stateKey(s.assetKey, s.partition), s]))
}

function staleOf(statuses: ReadonlyMap<string, AssetPartitionStatus>): Set<string> {
  const stale = new Set<string>()
  for (const status of statuses.values()) for (const partition of status.stale) stale.add(stateKey(status.key, partition))
  return stale
}

function scopeFilter(only: BackfillScope, states: ReadonlyMap<string, AssetStateRecord>, stale: ReadonlySet<string>): (key: string, partition: string | null) => boolean {
  return (key, partition) => {
    if (only === 'failed' && stale.has(stateKey(key, partition))) return true
    const state = states.get(stateKey(key, partition))
    const materialization = state?.lastMaterialization ?? null
    if (only === 'missing') return materialization === null
    // Stale ones (code or upstream data changed) came in through `stale` above.
    const step = state?.lastStep ?? null
    return step !== null && (materialization === null || step.runId !== materialization.runId) && ['failed', 'blocked', 'skipped', 'canceled'].includes(step.status)
  }
}

// The latest runs of this backfill, newest first, back to (not including) its last success.
async function interruptedRuns(store: Store, identity: string) {
  const runs = await store.listRuns({ limit: 10_000, trigger: BACKFILL_TRIGGER, selection: identity })
  const interrupted = []
  for (const run of runs) {
    if (run.status === 'succeeded') break
    interrupted.push(run)
  }
  return interrupted
}

async function interruptedSince(store: Store, identity: string): Promise<Date | undefined> {
  return (await interruptedRuns(store, identity)).at(-1)?.startedAt
}
