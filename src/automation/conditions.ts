import type { AutomationCondition } from '../model/automation.js'
import { usableAsInput, type AssetStatusRecord } from '../engine/status.js'
import { previousTick } from './cron.js'
import type { PartitionFacts } from './partition-view.js'

/** What a condition sees of one asset at one tick. */
export interface ConditionInputs {
  readonly key: string
  readonly status: AssetStatusRecord
  readonly upstream: readonly AssetStatusRecord[]
  readonly now: Date
  /** For a partitioned asset, the one partition judged: the condition is about it, not the whole asset (reasons say "it"). */
  readonly partition?: PartitionFacts
}

/** A condition's verdict with the reason in words. */
export interface Decision {
  readonly requested: boolean
  readonly reason: string
}

const time = (date: Date) => date.toISOString().slice(11, 16)
// A failed partition is remediation's to retry (within its budget), never a condition's.
const FAILED = 'failed; remediation retries it'

/**
 * Evaluates a condition for one asset, or for one partition of it when `partition` is given.
 * Pure: the same inputs always give the same decision.
 */
export function evaluateCondition(condition: AutomationCondition, inputs: ConditionInputs): Decision {
  switch (condition.type) {
    case 'eager':
      return eager(inputs)
    case 'on_missing':
      return onMissing(inputs)
    case 'on_cron':
      return onCron(condition.cron, condition.timezone, inputs)
    case 'and': {
      const decisions = condition.conditions.map((c) => evaluateCondition(c, inputs))
      const failed = decisions.find((d) => !d.requested)
      return failed ?? { requested: true, reason: decisions.map((d) => d.reason).join(' and ') }
    }
    case 'or': {
      const decisions = condition.conditions.map((c) => evaluateCondition(c, inputs))
      const passed = decisions.find((d) => d.requested)
      return passed ?? { requested: false, reason: decisions.map((d) => d.reason).join('; ') }
    }
    case 'not': {
      const inner = evaluateCondition(condition.condition, inputs)
      return { requested: !inner.requested, reason: `not (${inner.reason})` }
    }
  }
}

function blockedInput(inputs: ConditionInputs): string | undefined {
  const partition = inputs.partition
  if (partition) {
    if (partition.state === 'running') return 'already running'
    return partition.waiting[0] ? `waiting for ${partition.waiting[0].message}` : undefined
  }
  if (inputs.status.status === 'running') return `${inputs.key} is already running`
  const notReady = inputs.upstream.find((u) => !usableAsInput(u))
  return notReady ? `waiting for ${notReady.key}, which is ${notReady.status}` : undefined
}

// Apart from eager(), which runs for every eager asset on every tick: only a blocked or failed asset gets here.
function readyWaitedFor(inputs: ConditionInputs): string[] {
  const ready = (key: string) => inputs.upstream.some((u) => u.key === key && u.ready)
  return inputs.status.reasons.flatMap((r) => (r.type === 'blocked' || r.type === 'failed') && r.upstream && ready(r.upstream) ? [r.upstream] : [])
}

function eager(inputs: ConditionInputs): Decision {
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  // Its last run ended waiting on an input (blocked, or failed, by TRB3003) that is usable now: that is new data to it.
  const waitedFor = inputs.partition || (inputs.status.status !== 'blocked' && inputs.status.status !== 'failed') ? [] : readyWaitedFor(inputs)
  if (waitedFor.length > 0) return { requested: true, reason: `requested because ${waitedFor.join(', ')}, which its last run waited for, is ready now` }
  const newer = inputs.status.reasons.filter((r) => r.type === 'upstream_newer').map((r) => r.upstream!)
  const described = newer.map((key) => {
    const updated = inputs.upstream.find((u) => u.key === key)?.lastUpdated
    return updated ? `${key} updated at ${time(updated)}` : key
  })
  if (inputs.partition) return eagerPartition(inputs.partition, described)
  if (newer.length === 0) return { requested: false, reason: 'no upstream has new data' }
  return { requested: true, reason: `requested because ${described.join(', ')}` }
}

// A new window is new data too: its partition is missing once its inputs have landed.
function eagerPartition(partition: PartitionFacts, newer: readonly string[]): Decision {
  switch (partition.state) {
    case 'missing':
      return { requested: true, reason: 'requested because it is missing and its inputs are ready' }
    case 'stale':
      return { requested: true, reason: `requested because it is stale${newer.length > 0 ? ` (${newer.join(', ')})` : ''}` }
    case 'failed':
      return { requested: false, reason: FAILED }
    default:
      return { requested: false, reason: 'up to date' }
  }
}

function onMissing(inputs: ConditionInputs): Decision {
  const partition = inputs.partition
  if (partition?.state === 'failed') return { requested: false, reason: FAILED }
  const materialized = partition ? partition.state === 'fresh' || partition.state === 'stale' : inputs.status.lastUpdated !== null
  if (materialized) return { requested: false, reason: 'already materialized' }
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  return { requested: true, reason: 'requested because it was never materialized and its inputs are ready' }
}

function onCron(expression: string, timezone: string, inputs: ConditionInputs): Decision {
  const tick = previousTick(expression, timezone, inputs.now)
  if (!tick) return { requested: false, reason: `no ${expression} tick yet` }
  const last = inputs.partition ? inputs.partition.lastUpdated : inputs.status.lastUpdated
  if (last && last.getTime() >= tick.getTime()) return { requested: false, reason: `already updated since the ${time(tick)} tick` }
  const waiting = inputs.upstream.find((u) => !u.lastUpdated || u.lastUpdated.getTime() < tick.getTime())
  if (waiting) return { requested: false, reason: `waiting for ${waiting.key} to update since the ${time(tick)} tick` }
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  return { requested: true, reason: `requested because the ${time(tick)} tick passed and every upstream updated since` }
}
