import type { Duration } from './duration.js'

/** Failure classes alerts can be raised for. */
export type AlertClass = 'check_failed' | 'source_late' | 'schema_drift' | 'run_failed' | 'sla_at_risk' | 'sla_breached' | 'circuit_open'

/** A rule: which failure class alerts, how loudly. */
export interface AlertRule {
  readonly on: AlertClass
  /** Default: 'warning' ('critical' for sla_breached and run_failed). */
  readonly severity?: 'info' | 'warning' | 'critical'
}

/** Where notifications go. */
export type SinkDefinition =
  | { readonly type: 'webhook'; readonly name: string; readonly url: string }
  | { readonly type: 'command'; readonly name: string; readonly command: string; readonly args?: readonly string[] }
  | { readonly type: 'log'; readonly name: string }

/** Alerting for a project. */
export interface AlertsConfig {
  /** Default: every class at its default severity. */
  readonly rules?: readonly AlertRule[]
  /** Default: [{ type: 'log', name: 'log' }]. */
  readonly sinks?: readonly SinkDefinition[]
  /** Escalate an unacknowledged incident after this long. Default: '30m'. */
  readonly escalateAfter?: Duration
  /** Retries of notifications that a sink failed to take. Default: see AlertDelivery. */
  readonly delivery?: AlertDelivery
}

/** How hard a notification is pushed to a sink before it is given up on (and listed as exhausted). */
export interface AlertDelivery {
  /** Attempts per notification and sink, the first included, across ticks and restarts. Default: 10. */
  readonly attempts?: number
  /** Delay before the second attempt, doubling after each with ±20% jitter. Default: '1s'. */
  readonly backoff?: Duration
  /** Longest delay between two attempts. Default: '5m'. */
  readonly maxBackoff?: Duration
  /** Time limit of one attempt. Default: '5s'. */
  readonly timeout?: Duration
}
