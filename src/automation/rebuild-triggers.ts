import type { AssetGraph } from '../graph/asset-graph.js'
import { select } from '../graph/selection.js'
import type { AutomationCondition } from '../model/automation.js'
import type { ProjectDefinition } from '../model/project.js'
import { nextTick, previousTick } from './cron.js'

/** Something in the project that starts a run of an asset on its own: its condition, a schedule or a sensor selecting it. */
export type RebuildTrigger =
  | { readonly type: 'condition'; readonly condition: AutomationCondition }
  | { readonly type: 'schedule'; readonly name: string; readonly cron: string; readonly timezone: string }
  | { readonly type: 'sensor'; readonly name: string }

/** What a trigger's start time depends on. */
export interface StartFacts {
  /** When every input is expected to be usable (now, when they already are). */
  readonly inputsReadyAt: Date
  /** An input brings data the asset has not read yet (an input still to arrive or rebuild, newer data, an input it waited for). */
  readonly newInput: boolean
  /** Never materialized. */
  readonly missing: boolean
  readonly lastUpdated: Date | null
}

/** Every asset some automation rebuilds, with what does; assets absent from the map are rebuilt only by hand. */
export function rebuildTriggers(graph: AssetGraph, project: Pick<ProjectDefinition, 'schedules' | 'sensors'> | undefined): Map<string, RebuildTrigger[]> {
  const triggers = new Map<string, RebuildTrigger[]>()
  const add = (key: string, trigger: RebuildTrigger) => {
    if (graph.get(key).def.type === 'source') return
    triggers.set(key, [...(triggers.get(key) ?? []), trigger])
  }
  for (const node of graph.nodes.values()) if (node.def.type !== 'source' && node.def.automation) add(node.key, { type: 'condition', condition: node.def.automation })
  for (const schedule of project?.schedules ?? []) {
    for (const key of select(graph, schedule.selection)) add(key, { type: 'schedule', name: schedule.name, cron: schedule.cron, timezone: schedule.timezone })
  }
  for (const sensor of project?.sensors ?? []) for (const key of select(graph, sensor.selection)) add(key, { type: 'sensor', name: sensor.name })
  return triggers
}

// The last triggers worked out per graph, with the project they came from: both are immutable,
// and the daemon forecasts on every tick (a walk over every node and selection otherwise).
const triggersOfGraph = new WeakMap<AssetGraph, { project: object | undefined; triggers: ReadonlyMap<string, readonly RebuildTrigger[]> }>()

/** rebuildTriggers, computed once per graph and project (both immutable) and shared: do not modify the result. */
export function cachedRebuildTriggers(graph: AssetGraph, project: Pick<ProjectDefinition, 'schedules' | 'sensors'> | undefined): ReadonlyMap<string, readonly RebuildTrigger[]> {
  const cached = triggersOfGraph.get(graph)
  if (cached && cached.project === project) return cached.triggers
  const triggers = rebuildTriggers(graph, project)
  triggersOfGraph.set(graph, { project, triggers })
  return triggers
}

/**
 * The earliest moment one of `triggers` starts a run of the asset, with what starts it, or
 * null when none would: a schedule at its first tick once the inputs are ready; a sensor or
 * `eager()` as soon as new input is ready; `onMissing()` only for a missing asset; `onCron()`
 * at the ready time when its last tick came after the asset's last update, else at its next tick.
 */
export function earliestStart(triggers: readonly RebuildTrigger[], facts: StartFacts): { at: Date; by: string } | null {
  let best: { at: Date; by: string } | null = null
  for (const trigger of triggers) {
    const at = trigger.type === 'schedule'
      ? nextTick(trigger.cron, trigger.timezone, new Date(facts.inputsReadyAt.getTime() - 1))
      : trigger.type === 'sensor' ? (facts.newInput ? facts.inputsReadyAt : null) : conditionStart(trigger.condition, facts)
    if (at && (!best || at.getTime() < best.at.getTime())) {
      best = { at, by: trigger.type === 'schedule' ? `schedule ${trigger.name}` : trigger.type === 'sensor' ? `sensor ${trigger.name}` : describe(trigger.condition) }
    }
  }
  return best
}

/** "its condition eager() and sensor crm-landed": what would start an asset, in words. */
export function describeTriggers(triggers: readonly RebuildTrigger[]): string {
  return triggers.map((t) => (t.type === 'condition' ? `its condition ${describe(t.condition)}` : `${t.type} ${t.name}`)).join(' and ')
}

function conditionStart(condition: AutomationCondition, facts: StartFacts): Date | null {
  switch (condition.type) {
    case 'eager':
      return facts.newInput ? facts.inputsReadyAt : null
    case 'on_missing':
      return facts.missing ? facts.inputsReadyAt : null
    case 'on_cron': {
      const tick = previousTick(condition.cron, condition.timezone, facts.inputsReadyAt)
      if (tick && (!facts.lastUpdated || facts.lastUpdated.getTime() < tick.getTime())) return facts.inputsReadyAt
      return nextTick(condition.cron, condition.timezone, facts.inputsReadyAt)
    }
    case 'and': {
      const starts = condition.conditions.map((c) => conditionStart(c, facts))
      return starts.some((s) => s === null) ? null : new Date(Math.max(facts.inputsReadyAt.getTime(), ...starts.map((s) => s!.getTime())))
    }
    case 'or': {
      const starts = condition.conditions.flatMap((c) => conditionStart(c, facts) ?? [])
      return starts.length === 0 ? null : new Date(Math.min(...starts.map((s) => s.getTime())))
    }
    case 'not':
      // A filter, never a reason to start on its own: it does not move the time.
      return facts.inputsReadyAt
  }
}

function describe(condition: AutomationCondition): string {
  switch (condition.type) {
    case 'eager':
      return 'eager()'
    case 'on_missing':
      return 'onMissing()'
    case 'on_cron':
      return `onCron('${condition.cron}')`
    case 'and':
    case 'or':
      return `${condition.type}(…)`
    case 'not':
      return 'not(…)'
  }
}
