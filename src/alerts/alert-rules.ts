import type { AlertsConfig } from '../model/alerts.js'
import { parseDuration } from '../model/duration.js'
import type { AlertCondition, AlertSeverity } from '../store/automation-store.js'

/** Every failure class, in the order reports list them. */
export const ALERT_CONDITIONS: readonly AlertCondition[] = [
  'source_late', 'schema_drift', 'run_failed', 'check_failed', 'circuit_open', 'sla_breached', 'sla_at_risk',
]

/** Severity of a class when its rule does not set one: critical for run_failed and sla_breached, warning otherwise. */
export function defaultSeverity(condition: AlertCondition): AlertSeverity {
  return condition === 'run_failed' || condition === 'sla_breached' ? 'critical' : 'warning'
}

/**
 * The classes that raise incidents, with their severity. Without rules every class alerts at
 * its default severity; with rules only the classes named (the first rule for a class wins).
 */
export function alertSeverities(config: AlertsConfig | undefined): Map<AlertCondition, AlertSeverity> {
  if (config?.rules === undefined) return new Map(ALERT_CONDITIONS.map((c) => [c, defaultSeverity(c)]))
  const result = new Map<AlertCondition, AlertSeverity>()
  for (const rule of config.rules) {
    if (!result.has(rule.on)) result.set(rule.on, rule.severity ?? defaultSeverity(rule.on))
  }
  return result
}

/** How long an incident may stay open and unacknowledged before it escalates. Default: '30m'. */
export function escalateAfterMs(config: AlertsConfig | undefined): number {
  return parseDuration(config?.escalateAfter ?? '30m', 'alerts.escalateAfter')
}
