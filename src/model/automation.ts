/**
 * When an asset should be materialized without anyone asking. Conditions compose:
 * `and(onCron('0 6 * * *'), not(onMissing()))`. Evaluated by the daemon every tick.
 */
export type AutomationCondition =
  | { readonly type: 'eager' }
  | { readonly type: 'on_cron'; readonly cron: string; readonly timezone: string }
  | { readonly type: 'on_missing' }
  | { readonly type: 'and'; readonly conditions: readonly AutomationCondition[] }
  | { readonly type: 'or'; readonly conditions: readonly AutomationCondition[] }
  | { readonly type: 'not'; readonly condition: AutomationCondition }

/** Run when an upstream has new data and every input is ready. */
export function eager(): AutomationCondition {
  return Object.freeze({ type: 'eager' })
}

/** Run after each tick of `cron` once every upstream has updated since that tick. Default timezone: 'UTC'. */
export function onCron(cron: string, options: { timezone?: string } = {}): AutomationCondition {
  return Object.freeze({ type: 'on_cron', cron, timezone: options.timezone ?? 'UTC' })
}

/** Run when the asset has never been materialized and its inputs are ready. */
export function onMissing(): AutomationCondition {
  return Object.freeze({ type: 'on_missing' })
}

/** All of the conditions. */
export function and(...conditions: AutomationCondition[]): AutomationCondition {
  return Object.freeze({ type: 'and', conditions: Object.freeze(conditions) })
}

/** Any of the conditions. */
export function or(...conditions: AutomationCondition[]): AutomationCondition {
  return Object.freeze({ type: 'or', conditions: Object.freeze(conditions) })
}

/** The opposite of a condition. */
export function not(condition: AutomationCondition): AutomationCondition {
  return Object.freeze({ type: 'not', condition })
}

/** What a schedule does with ticks it missed while the daemon was down. */
export type CatchUpPolicy = 'skip' | 'latest' | 'all'

/**
 * Which partition a schedule tick materializes when its selection has partitioned assets:
 * 'latest', the newest partition whose window has ended at the tick, or a function of the
 * tick returning a partition key (as `--partition` takes it).
 */
export type SchedulePartition = 'latest' | ((tick: Date) => string)

/** A clock-driven request to materialize a selection. */
export interface ScheduleDefinition {
  readonly type: 'schedule'
  readonly name: string
  readonly cron: string
  /** IANA zone of the cron expression. Default: 'UTC'. */
  readonly timezone: string
  /** Default: '' (everything). */
  readonly selection: string
  /** Default: 'latest' — after downtime, fire once for the most recent missed tick. */
  readonly catchUp: CatchUpPolicy
  /** Upper bound on ticks fired at once with catchUp 'all'. Default: 24. */
  readonly maxCatchUp: number
  /** The partition each tick materializes (see docs/automation.md). Default: 'latest'. */
  readonly partition: SchedulePartition
}

/** Declares a schedule: `defineSchedule({ name: 'nightly', cron: '0 5 * * *', timezone: 'Europe/London' })`. */
export function defineSchedule(spec: {
  name: string; cron: string; timezone?: string; selection?: string; catchUp?: CatchUpPolicy; maxCatchUp?: number; partition?: SchedulePartition
}): ScheduleDefinition {
  return Object.freeze({ type: 'schedule' as const, timezone: 'UTC', selection: '', catchUp: 'latest' as const, maxCatchUp: 24, partition: 'latest' as const, ...spec })
}

/** What a polling sensor's function returns: a new cursor and whether to request a run. */
export interface SensorResult {
  readonly cursor: string | null
  /** Request a run of the sensor's selection (true), of another selection (a string), or not. */
  readonly request: boolean | string
  readonly reason?: string
  /** The partition to materialize, e.g. the export date the poll found. Default: the newest ended partition. */
  readonly partition?: string
}

/** Something outside the clock that requests runs: new files, a polled API, or an HTTP event. */
export type SensorDefinition =
  | { readonly type: 'sensor'; readonly kind: 'files'; readonly name: string; readonly pattern: string; readonly selection: string }
  | { readonly type: 'sensor'; readonly kind: 'poll'; readonly name: string; readonly selection: string; readonly poll: (cursor: string | null) => Promise<SensorResult> | SensorResult }
  | { readonly type: 'sensor'; readonly kind: 'webhook'; readonly name: string; readonly selection: string; readonly secretEnv: string }

/** Requests a run when files matching `pattern` (relative to the project) appear or change. */
export function fileSensor(spec: { name: string; pattern: string; selection: string }): SensorDefinition {
  return Object.freeze({ type: 'sensor' as const, kind: 'files' as const, ...spec })
}

/** Calls `poll(cursor)` every tick; it decides whether to request a run and returns the next cursor. */
export function pollSensor(spec: { name: string; selection: string; poll: (cursor: string | null) => Promise<SensorResult> | SensorResult }): SensorDefinition {
  return Object.freeze({ type: 'sensor' as const, kind: 'poll' as const, ...spec })
}

/**
 * Requests a run when an external system POSTs to `/api/sensors/<name>` signed with the secret
 * in env `secretEnv`: `X-Tributary-Timestamp` and `X-Tributary-Signature: sha256=<hex HMAC of
 * "<timestamp>.<body>">` (docs/automation.md#signing-webhooks). Replays are refused.
 */
export function webhookSensor(spec: { name: string; selection: string; secretEnv: string }): SensorDefinition {
  return Object.freeze({ type: 'sensor' as const, kind: 'webhook' as const, ...spec })
}
