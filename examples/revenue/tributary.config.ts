import { defineProject, defineSchedule, duckdb, type SinkDefinition } from 'tributary-orchestrator'
import * as dashboards from './assets/dashboards.js'
import * as models from './assets/models.js'
import * as raw from './assets/raw.js'
import * as sources from './assets/sources.js'

// Alerts go to the log; set REVENUE_ALERT_WEBHOOK (a Slack incoming-webhook URL, say) to post them too.
const webhook = process.env.REVENUE_ALERT_WEBHOOK
const sinks: SinkDefinition[] = [{ type: 'log', name: 'log' }, ...(webhook ? [{ type: 'webhook' as const, name: 'webhook', url: webhook }] : [])]

export default defineProject({
  name: 'revenue',
  assets: [...Object.values(sources), ...Object.values(raw), ...Object.values(models), ...Object.values(dashboards)],
  warehouse: duckdb(), // .tributary/warehouse.duckdb
  concurrency: 4,
  pools: { warehouse: 2 },
  // A late export should fail fast in the demo; production projects wait longer (default: 1m).
  readinessTimeout: '3s',
  readinessPollInterval: '1s',
  // Everything, every night at 05:00 London; CRM-fed assets also rebuild by themselves (eager)
  // when a late export lands.
  schedules: [defineSchedule({ name: 'nightly', cron: '0 5 * * *', timezone: 'Europe/London' })],
  alerts: {
    rules: [
      { on: 'sla_at_risk', severity: 'warning' },
      { on: 'sla_breached', severity: 'critical' },
      { on: 'source_late' },
      { on: 'schema_drift' },
      { on: 'check_failed' },
      { on: 'run_failed' },
      { on: 'circuit_open' },
    ],
    sinks,
    // An incident nobody acknowledged is announced again after 3 hours.
    escalateAfter: '3h',
  },
  remediation: { maxAttempts: 3, window: '24h' },
})
