import { cronProblem } from '../automation/cron.js'
import { ErrorCode, type ErrorCodeValue } from '../model/errors.js'
import { isValidTimezone } from '../model/freshness.js'
import type { ProjectDefinition } from '../model/project.js'
import type { AssetGraph } from './asset-graph.js'
import { select } from './selection.js'

type Problem = (code: ErrorCodeValue, key: string | undefined, message: string, hint: string) => void

const CATCH_UP = new Set(['skip', 'latest', 'all'])

/** Reports what is wrong with each schedule's own fields: name, cron, timezone, catch-up and partition. */
export function validateSchedules(project: ProjectDefinition, problem: Problem): void {
  const names = new Set<string>()
  for (const [index, schedule] of (project.schedules ?? []).entries()) {
    if (!schedule || (schedule as { type?: string }).type !== 'schedule') {
      problem(ErrorCode.InvalidDefinition, undefined, `schedules[${index}] is not a schedule definition`, "Build each entry with defineSchedule({ name, cron, selection }).")
      continue
    }
    const name = typeof schedule.name === 'string' && schedule.name !== '' ? schedule.name : `schedules[${index}]`
    if (name !== schedule.name) problem(ErrorCode.InvalidDefinition, undefined, `${name} has no name`, "Give it a name: defineSchedule({ name: 'nightly', … }).")
    else if (names.has(name)) problem(ErrorCode.InvalidDefinition, undefined, `schedule ${name} is declared twice`, 'Give each schedule its own name: its cursor is stored by name.')
    names.add(name)
    const timezoneOk = typeof schedule.timezone === 'string' && isValidTimezone(schedule.timezone)
    if (!timezoneOk) {
      problem(ErrorCode.InvalidTimezone, undefined, `timezone of schedule ${name} is ${JSON.stringify(schedule.timezone)}, which is not a known time zone`, "Use an IANA name such as 'Europe/London' or 'UTC'.")
    }
    const cronIssue = typeof schedule.cron === 'string' ? cronProblem(schedule.cron, timezoneOk ? schedule.timezone : 'UTC') : 'not a string'
    if (cronIssue) problem(ErrorCode.InvalidDefinition, undefined, `cron of schedule ${name} is ${JSON.stringify(schedule.cron)}: ${cronIssue}`, "Write a cron expression such as '0 5 * * *' (05:00 every day).")
    if (!CATCH_UP.has(schedule.catchUp)) {
      problem(ErrorCode.InvalidDefinition, undefined, `catchUp of schedule ${name} is ${JSON.stringify(schedule.catchUp)}`, "Use 'latest' (the default), 'all' or 'skip'.")
    }
    if (!(Number.isInteger(schedule.maxCatchUp) && schedule.maxCatchUp >= 1)) {
      problem(ErrorCode.InvalidDefinition, undefined, `maxCatchUp of schedule ${name} must be a whole number ≥ 1, got ${String(schedule.maxCatchUp)}`, 'Leave it out for 24, or set how many missed ticks catchUp: \'all\' may fire at once.')
    }
    // A hand-built schedule object may leave partition out: that reads as 'latest'.
    const partition: unknown = schedule.partition
    if (partition !== undefined && partition !== 'latest' && typeof partition !== 'function') {
      problem(ErrorCode.InvalidDefinition, undefined, `partition of schedule ${name} is ${JSON.stringify(partition)}, which is neither 'latest' nor a function`,
        "Leave it out (or write 'latest') for the newest partition ended at each tick, or pass a function of the tick: partition: (tick) => '2026-03-01'.")
    }
  }
}

/** Reports schedules whose `partition` function can never be used: their selection has no partitioned asset. */
export function validateSchedulePartitions(graph: AssetGraph, project: ProjectDefinition, problem: Problem): void {
  for (const schedule of project.schedules ?? []) {
    if (typeof schedule?.partition !== 'function') continue
    let keys: string[]
    try {
      keys = select(graph, schedule.selection)
    } catch {
      continue // A selection that does not resolve is reported when the schedule fires.
    }
    if (keys.some((key) => graph.get(key).partitions)) continue
    problem(ErrorCode.InvalidDefinition, undefined, `schedule ${schedule.name} has a partition function, but its selection ${JSON.stringify(schedule.selection)} has no partitioned asset`,
      'Remove partition, or select the partitioned assets it is for.')
  }
}
