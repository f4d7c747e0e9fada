import type { TickReport } from '../../automation/daemon.js'
import { createDaemon } from '../../instance/daemon.js'
import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'
import { cancelActiveRuns } from './serve.js'

/** `tributary daemon`: schedules, sensors, conditions, remediation, SLAs and alerts, tick after tick. */
export default defineCommand({
  name: 'daemon',
  summary: 'run automation: schedules, sensors, conditions, remediation, SLAs and alerts',
  usage: 'tributary daemon [--once] [--interval 30s] [--standby-retry 5s] [--json]',
  help: [
    'Each tick fires due schedules and sensors, evaluates every asset\'s automation condition,',
    'retries failures within their budget, forecasts SLAs and raises or resolves incidents.',
    'Ticks are claimed in the store: restarting never repeats one, and two daemons never fire the same one.',
    'On the PostgreSQL store one daemon leads (an advisory lock) and the others stand by, taking over',
    'when it dies; on SQLite every daemon ticks (see docs/scale-out.md).',
    '',
    '  --once              one tick, waiting for the runs it starts, then exit',
    '  --interval d        time between ticks (default: 30s)',
    '  --standby-retry d   how often a standby tries to take the lead (default: 5s)',
  ].join('\n'),
  options: { once: { type: 'boolean' }, interval: { type: 'string' }, 'standby-retry': { type: 'string' } },
  async run(ctx) {
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    const log = (line: string) => ctx.err(`${style.dim(new Date().toISOString().slice(11, 19))} ${line}`)
    const daemon = await createDaemon(() => instance, { waitForRuns: ctx.values.once === true, log, onTick: ctx.json ? undefined : (report) => describe(report, log) })
    try {
      if (ctx.values.once) {
        const report = await daemon.runOnce()
        if (ctx.json) {
          ctx.out(JSON.stringify({
            at: report.at, fired: report.fired, decisions: report.decisions,
            drift: Object.fromEntries(report.drift), circuits: Object.fromEntries(report.circuits),
            sla: Object.fromEntries(report.forecast.sla), predictions: Object.fromEntries(report.forecast.predictions),
          }, null, 2))
        }
        return report.fired.some((f) => f.error) ? Exit.NotOk : Exit.Ok
      }
      const controller = new AbortController()
      const stop = () => {
        log('stopping after this tick…')
        controller.abort()
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      log(`daemon started for ${instance.project.name}: ${instance.project.schedules?.length ?? 0} schedule(s), ${instance.project.sensors?.length ?? 0} sensor(s)`)
      await daemon.start({ interval: (ctx.values.interval as string | undefined) ?? '30s', standbyRetry: (ctx.values['standby-retry'] as string | undefined) ?? '5s', signal: controller.signal })
      // Runs it started are canceled and recorded as such before the process exits.
      await cancelActiveRuns(() => instance)
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})

function describe(report: TickReport, log: (line: string) => void): void {
  for (const [key, change] of report.drift) log(`${style.yellow('schema drift')} ${key}: ${change}`)
  for (const [key, why] of report.circuits) log(`${style.red('circuit open')} ${key}: ${why}`)
  for (const [key, verdict] of report.forecast.sla) if (verdict.state !== 'on_time') log(`${verdict.state === 'late' ? style.red('SLA late') : style.yellow('SLA at risk')} ${key}: ${verdict.reason}`)
}
