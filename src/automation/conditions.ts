import type { AutomationCondition } from '../model/automation.js'
import { usableAsInput, type AssetStatusRecord } from '../engine/status.js'
import { previousTick } from './cron.js'

/** What a condition sees of one asset at one tick. */
export interface ConditionInputs {
  readonly key: string
  readonly status: AssetStatusRecord
  readonly upstream: readonly AssetStatusRecord[]
  readonly now: Date
}

/** A condition's verdict with the reason in words. */
export interface Decision {
  readonly requested: boolean
  readonly reason: string
}

const time = (date: Date) => date.toISOString().slice(11, 16)

/** Evaluates a condition for one asset. Pure: the same inputs always give the same decision. */
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
  if (inputs.status.status === 'running') return `${inputs.key} is already running`
  const notReady = inputs.upstream.find((u) => !usableAsInput(u))
  return notReady ? `waiting for ${notReady.key}, which is ${notReady.status}` : undefined
}

function eager(inputs: ConditionInputs): Decision {
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  const newer = inputs.status.reasons.filter((r) => r.type === 'upstream_newer').map((r) => r.upstream!)
  if (newer.length === 0) return { requested: false, reason: 'no upstream has new data' }
  const described = newer.map((key) => {
    const updated = inputs.upstream.find((u) => u.key === key)?.lastUpdated
    return updated ? `${key} updated at ${time(updated)}` : key
  })
  return { requested: true, reason: `requested because ${described.join(', ')}` }
}

function onMissing(inputs: ConditionInputs): Decision {
  if (inputs.status.lastUpdated !== null) return { requested: false, reason: 'already materialized' }
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  return { requested: true, reason: 'requested because it was never materialized and its inputs are ready' }
}

function onCron(expression: string, timezone: string, inputs: ConditionInputs): Decision {
  const tick = previousTick(expression, timezone, inputs.now)
  if (!tick) return { requested: false, reason: `no ${expression} tick yet` }
  const last = inputs.status.lastUpdated
  if (last && last.getTime() >= tick.getTime()) return { requested: false, reason: `already updated since the ${time(tick)} tick` }
  const waiting = inputs.upstream.find((u) => !u.lastUpdated || u.lastUpdated.getTime() < tick.getTime())
  if (waiting) return { requested: false, reason: `waiting for ${waiting.key} to update since the ${time(tick)} tick` }
  const blocked = blockedInput(inputs)
  if (blocked) return { requested: false, reason: blocked }
  return { requested: true, reason: `requested because the ${time(tick)} tick passed and every upstream updated since` }
}
