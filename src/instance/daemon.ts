import { evaluateAlerts, type AlertReport } from '../alerts/index.js'
import { AutomationDaemon, type DaemonOptions, type TickReport } from '../automation/daemon.js'
import type { Tributary } from './tributary.js'

/**
 * The daemon wired with alerting: after each tick, incidents are raised, updated, escalated
 * or resolved from the tick's statuses, SLAs, drift and open circuits. `instance` is a getter
 * so `tributary dev` can swap definitions under a running daemon.
 */
export async function createDaemon(
  instance: () => Tributary,
  options: Omit<DaemonOptions, 'onTick'> & { onTick?: (report: TickReport, alerts: AlertReport) => Promise<void> | void } = {},
): Promise<AutomationDaemon> {
  const automation = await instance().automation()
  const { onTick, ...rest } = options
  return new AutomationDaemon(instance, automation, {
    ...rest,
    onTick: async (report) => {
      const current = instance()
      const alerts = await evaluateAlerts({
        graph: current.graph, statuses: report.statuses, sla: report.forecast.sla, drift: report.drift, circuits: report.circuits,
        store: automation, config: current.project.alerts, now: report.at, clock: current.clock,
      })
      for (const incident of alerts.opened) rest.log?.(`incident #${incident.id} opened: ${incident.condition} on ${incident.assetKey} → ${incident.owner ?? 'no owner'}`)
      for (const incident of alerts.resolved) rest.log?.(`incident #${incident.id} resolved: ${incident.resolution ?? ''}`)
      for (const entry of alerts.delivery.exhausted) rest.log?.(`incident #${entry.incidentId} ${entry.event}: delivery to ${entry.sink} gave up after ${entry.attempts} attempts: ${entry.lastError ?? ''} (tributary incidents deliveries)`)
      await onTick?.(report, alerts)
    },
  })
}
