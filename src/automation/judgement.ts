import { createHash } from 'node:crypto'
import type { AssetGraph, GraphNode } from '../graph/asset-graph.js'
import { usableAsInput, type AssetStatusRecord } from '../engine/status.js'
import type { DecisionRecord } from '../store/automation-store.js'
import { evaluateCondition } from './conditions.js'
import { judgedPartitions } from './partition-choice.js'
import type { PartitionView } from './partition-view.js'

/** At most this many partitions of one asset are requested (or retried) per tick; the rest wait for later ticks. Default: 10. */
export const MAX_PARTITIONS_PER_TICK = 10

/** One asset, or one partition of a partitioned asset, judged this tick. */
export interface Judgement {
  readonly key: string
  /** The partition judged; null for an unpartitioned asset (or a partitioned one with no partition yet). */
  readonly partition: string | null
  /** The id it is claimed under when requested (also its decision's tick id). */
  claim: string
  requested: boolean
  reason: string
  runId: string | null
}

/**
 * Judges one automated asset: an unpartitioned one as a whole; a partitioned one partition by
 * partition over its newest ended window (or every static key), requesting at most
 * MAX_PARTITIONS_PER_TICK of them. The claim id changes whenever what the decision rests on does.
 */
export function judge(node: GraphNode, statuses: ReadonlyMap<string, AssetStatusRecord>, view: PartitionView, now: Date): Judgement[] {
  const condition = node.def.type === 'source' ? undefined : node.def.automation
  if (!condition) return []
  const status = statuses.get(node.key)!
  const upstream = node.upstream.map((k) => statuses.get(k)!)
  const inputs = { key: node.key, status, upstream, now }
  const stamps = upstream.map((u) => u.lastUpdated)
  if (!node.partitions) {
    const decision = evaluateCondition(condition, inputs)
    return [{ key: node.key, partition: null, claim: `auto:${node.key}@${fingerprint([decision.reason, status.lastUpdated, ...stamps])}`, ...decision, runId: null }]
  }
  const partitions = judgedPartitions(node.partitions, now)
  if (partitions.length === 0) return [{ key: node.key, partition: null, claim: `auto:${node.key}`, requested: false, reason: 'no partition has ended yet', runId: null }]
  let requested = 0
  return partitions.map((partition) => {
    const facts = view.facts(node.key, partition, statuses)
    const decision = evaluateCondition(condition, { ...inputs, partition: facts })
    const claim = `auto:${node.key}@${partition}@${fingerprint([decision.reason, facts.lastUpdated, ...stamps])}`
    if (decision.requested && ++requested > MAX_PARTITIONS_PER_TICK) {
      return { key: node.key, partition, claim, requested: false, reason: `${decision.reason}; deferred: at most ${MAX_PARTITIONS_PER_TICK} partitions of an asset are requested per tick`, runId: null }
    }
    return { key: node.key, partition, claim, ...decision, runId: null }
  })
}

/**
 * The tick's decisions: one per unpartitioned asset and per requested partition; partitions of
 * one asset left alone for the same reason share one ("partitions eu, us: already materialized").
 */
export function toDecisions(judgements: readonly Judgement[], at: Date): Omit<DecisionRecord, 'id'>[] {
  const decisions: Omit<DecisionRecord, 'id'>[] = []
  const alike = new Map<string, Judgement[]>()
  for (const j of judgements) {
    if (j.partition === null || j.requested) decisions.push({ tickId: j.claim, assetKey: j.key, requested: j.requested, reason: j.partition === null ? j.reason : `partition ${j.partition}: ${j.reason}`, runId: j.runId, at })
    else alike.set(`${j.key}\0${j.reason}`, [...(alike.get(`${j.key}\0${j.reason}`) ?? []), j])
  }
  for (const group of alike.values()) {
    const [first] = group as [Judgement]
    const names = group.length === 1 ? `partition ${first.partition}` : `partitions ${group.map((j) => j.partition).join(', ')}`
    decisions.push({ tickId: first.claim, assetKey: first.key, requested: false, reason: `${names}: ${first.reason}`, runId: null, at })
  }
  return decisions
}

/**
 * The eager assets downstream of `keys` whose every input is usable now or rebuilt in the same
 * run: they join that run (the engine waits for their inputs), so a late export that lands
 * rebuilds everything eager below it in one run rather than one level per tick. A partitioned
 * one joins a run of `partition` only when that is the partition it judges itself (its newest);
 * none joins twice (`taken`). Graph order.
 */
export function eagerFollowers(
  graph: AssetGraph, statuses: ReadonlyMap<string, AssetStatusRecord>, view: PartitionView, now: Date,
  keys: readonly string[], partition: string | null, taken: ReadonlySet<string>,
): { key: string; partition: string | null; reason: string }[] {
  const inRun = new Set(keys)
  const followers: { key: string; partition: string | null; reason: string }[] = []
  const below = new Set<string>()
  for (const key of keys) for (const downstream of graph.downstreamOf(key)) below.add(downstream)
  for (const key of graph.sort(below)) {
    const node = graph.get(key)
    const own = node.partitions ? partition : null
    if (inRun.has(key) || node.def.type === 'source' || node.def.automation?.type !== 'eager' || taken.has(slot(key, own))) continue
    const rebuilt = node.upstream.filter((k) => inRun.has(k))
    if (rebuilt.length === 0) continue
    if (node.partitions) {
      if (partition === null || !judgedPartitions(node.partitions, now).includes(partition)) continue
      const facts = view.facts(key, partition, statuses)
      if (facts.state === 'running' || !facts.waiting.every((w) => inRun.has(w.key))) continue
    } else if (statuses.get(key)?.status === 'running' || !node.upstream.every((k) => inRun.has(k) || (statuses.get(k) !== undefined && usableAsInput(statuses.get(k)!)))) {
      continue
    }
    inRun.add(key)
    followers.push({ key, partition: own, reason: `requested because ${rebuilt.join(', ')} ${rebuilt.length === 1 ? 'is' : 'are'} rebuilt in the same run` })
  }
  return followers
}

/** The key of one asset (partition) in a set of what runs this tick. */
export function slot(key: string, partition: string | null): string {
  return partition === null ? key : `${key}\0${partition}`
}

/** A short stable hash of `parts`: claim ids change whenever what a decision rests on does. */
export function fingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
}
