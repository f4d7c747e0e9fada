// The revenue demo, automated: the daemon runs a night where the CRM export is late.
// Run it with `npm run demo:automation` from the repository root. No waiting: a manual clock
// steps through the night tick by tick (every 30 minutes from 04:00 London).
//
// Day 1: every export lands at 03:30 and everything is built. Day 2: payments land at 03:30,
// the CRM export does not. The 05:00 nightly schedule builds what it can; the dashboard's 07:00
// deadline is at risk, then breached; the export lands at 08:10, and the CRM-fed assets and the
// dashboard rebuild by themselves (eager). team:crm hears about it exactly three times.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManualClock, Tributary } from 'tributary-orchestrator'
import type { SlackPayload } from '../../src/alerts/index.js'
import { createDaemon } from '../../src/instance/daemon.js'
import { resetLanding, simulateNight } from './simulator.js'

// Colour only on a terminal (or with FORCE_COLOR), so `npm run demo | tee log` writes plain text.
const COLOR = process.env.FORCE_COLOR !== undefined ? !['0', 'false'].includes(process.env.FORCE_COLOR) : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
const ansi = (codes: string, text: string) => (COLOR ? `${codes}${text}\x1b[0m` : text)

/** One notification the in-process webhook receiver got. */
export interface ReceivedAlert {
  /** The demo clock when it arrived. */
  readonly at: Date
  readonly event: SlackPayload['tributary']['event']
  readonly incidentId: number
  readonly condition: string
  readonly assetKey: string
  readonly owner: string | null
  readonly text: string
}

/** A run started during the night, and by whom. */
export interface NightRun {
  readonly runId: string
  readonly trigger: string
  readonly selection: string
  readonly at: Date
  readonly status: string
}

/** What the night produced. */
export interface AutomationDemoResult {
  readonly alerts: readonly ReceivedAlert[]
  readonly runs: readonly NightRun[]
  /** When the CRM export landed on day 2. */
  readonly exportLandedAt: Date
  /** When dashboards/revenue was last materialized, and by which run. */
  readonly dashboard: { readonly updatedAt: Date | null; readonly runId: string | null; readonly ready: boolean }
  readonly deadline: Date
}

const LONDON = 'Europe/London'
/** Day 2 of the story, in British Summer Time (UTC+1): 04:00 London is 03:00 UTC. */
const london = (day: 1 | 2, hhmm: string) => new Date(`2026-06-${day === 1 ? '09' : '10'}T${hhmm}:00+01:00`)
const clockTime = (date: Date) => date.toLocaleTimeString('en-GB', { timeZone: LONDON, hour: '2-digit', minute: '2-digit' })

/**
 * Plays the late-CRM night against the revenue project in `projectDir` (its state and landing
 * folder are reset) and returns every alert delivered to an in-process webhook receiver.
 */
export async function runAutomationDemo(projectDir: string, print: (line: string) => void = () => undefined): Promise<AutomationDemoResult> {
  await rm(`${projectDir}/.tributary`, { recursive: true, force: true })
  await resetLanding(projectDir)
  const clock = new ManualClock(london(1, '03:30'))
  const alerts: ReceivedAlert[] = []
  const receiver = await listen((payload) => {
    const { event, incident } = payload.tributary
    const alert: ReceivedAlert = { at: clock.now(), event, incidentId: incident.id, condition: incident.condition, assetKey: incident.assetKey, owner: incident.owner, text: event === 'resolved' ? (incident.resolution ?? '') : incident.message }
    alerts.push(alert)
    print(`  ${clockTime(alert.at)}  ${ansi('\x1b[1m', event.toUpperCase())} #${alert.incidentId} ${alert.condition} on ${alert.assetKey} → ${alert.owner ?? 'no owner'}\n         ${alert.text}`)
  })
  // The project's config adds a webhook sink when this is set (alerts also go to the log).
  const previousWebhook = process.env.REVENUE_ALERT_WEBHOOK
  process.env.REVENUE_ALERT_WEBHOOK = receiver.url
  let instance: Tributary | undefined
  try {
    instance = await Tributary.open({ projectDir, clock })
    const current = instance
    print('Day 1, 03:30 — every export lands on time; everything is built')
    await simulateNight(projectDir, { night: 1, now: clock.now() })
    clock.set(london(1, '03:40'))
    const first = await current.materialize()
    if (first.status !== 'succeeded') throw new Error(`day 1 should build everything, but run ${first.runId} ${first.status}`)

    print('Day 2, 03:30 — payments land; the CRM export does not')
    clock.set(london(2, '03:30'))
    await simulateNight(projectDir, { night: 2, only: 'payments', now: clock.now() })

    const runs: NightRun[] = []
    const daemon = await createDaemon(() => current, { clock, waitForRuns: true, holder: 'demo', log: () => undefined })
    const exportLandsAt = london(2, '08:10')
    let landed = false
    let dashboardRebuilt = false
    for (let at = london(2, '04:00'); at.getTime() <= london(2, '12:00').getTime(); at = new Date(at.getTime() + 30 * 60_000)) {
      if (!landed && at.getTime() > exportLandsAt.getTime()) {
        clock.set(exportLandsAt)
        await simulateNight(projectDir, { night: 2, only: 'crm', now: clock.now() })
        landed = true
        print(`  ${clockTime(exportLandsAt)}  the CRM export lands, 3h 10m late`)
      }
      clock.set(at)
      const report = await daemon.runOnce()
      for (const fired of report.fired) {
        if (!fired.runId) continue
        const run = await current.store.getRun(fired.runId)
        runs.push({ runId: fired.runId, trigger: fired.by, selection: fired.selection || '(everything)', at, status: run?.status ?? 'unknown' })
        print(`  ${clockTime(at)}  ${fired.by} started run ${fired.runId.slice(0, 8)} → ${run?.status ?? '?'}: ${fired.selection || 'everything'} (${fired.reason})`)
      }
      const dashboard = report.statuses.get('dashboards/revenue')
      if (landed && dashboard?.ready) {
        dashboardRebuilt = true
        // One more tick lets alerting see the rebuilt dashboard; then the night is over.
        if (alerts.some((a) => a.event === 'resolved' && a.condition === 'sla_breached')) break
      }
    }
    const state = await current.ready('dashboards/revenue')
    const [latest] = await current.store.listMaterializations('dashboards/revenue', { limit: 1 })
    if (!dashboardRebuilt) print('  the dashboard did not rebuild')
    return {
      alerts, runs, exportLandedAt: exportLandsAt, deadline: london(2, '07:00'),
      dashboard: { updatedAt: latest?.createdAt ?? null, runId: latest?.runId ?? null, ready: state.ready },
    }
  } finally {
    if (previousWebhook === undefined) delete process.env.REVENUE_ALERT_WEBHOOK
    else process.env.REVENUE_ALERT_WEBHOOK = previousWebhook
    await instance?.close()
    await receiver.close()
  }
}

/** A webhook receiver on 127.0.0.1 standing in for Slack. */
async function listen(onPayload: (payload: SlackPayload) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
      onPayload(JSON.parse(body) as SlackPayload)
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/alerts`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const project = dirname(fileURLToPath(import.meta.url))
  console.log(`${ansi('\x1b[1m\x1b[34m', '━━ The late CRM night, automated ━━')} (times are London; alerts as the webhook receiver got them)\n`)
  const result = await runAutomationDemo(project, (line) => console.log(line))
  const byOwner = new Map<string, string[]>()
  for (const alert of result.alerts) {
    const owner = alert.owner ?? 'no owner'
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), `${clockTime(alert.at)} ${alert.event} ${alert.condition}`])
  }
  console.log(`\n${ansi('\x1b[1m', 'Summary')}`)
  for (const [owner, lines] of byOwner) console.log(`- ${owner}: ${lines.length} alert(s): ${lines.join(' · ')}`)
  if (byOwner.size === 0) console.log('- no alerts')
  const triggers = result.runs.map((r) => `${clockTime(r.at)} ${r.trigger} (${r.status})`)
  console.log(`- runs: ${triggers.join(' · ')}`)
  console.log(`- dashboards/revenue: ${result.dashboard.ready ? 'ready' : 'not ready'}, last built at ${result.dashboard.updatedAt ? clockTime(result.dashboard.updatedAt) : 'never'} by run ${result.dashboard.runId?.slice(0, 8) ?? '-'}`)
  const crm = result.alerts.filter((a) => a.owner === 'team:crm')
  const expected = crm.length === 3 && byOwner.size === 1 && result.dashboard.ready
  console.log(expected ? '\nteam:crm was told once it was at risk, once it was breached, and once it was over; nobody else was paged.' : '\nUnexpected: see the alerts above.')
  process.exitCode = expected ? 0 : 1
}
