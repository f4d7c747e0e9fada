// Backfills in the web UI, in a real browser against the real server over a real daily-partitioned
// project: the asset page's Backfill… dialog (range prefilled with the missing days, a preview
// per asset, start), the Backfills view with progress and ETA, Pause (the running step finishes
// and the run ends paused), Resume to success, and a refused action's error.
// Screenshots land in test-artifacts/screenshots/.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { startServer, type RunningServer } from '../src/server/server.js'
import { ensureUiBuilt, launchBrowser, newPage, screenshot } from './helpers/browser.js'
import { poll } from './helpers/poll.js'
import { openProject } from './helpers/temp-project.js'

const DAY = 86_400_000
const today = Math.floor(Date.now() / DAY) * DAY
/** The UTC day `n` days after the first partition; the 28 partitions are day(0) … day(27), yesterday. */
const day = (n: number) => new Date(today - (28 - n) * DAY).toISOString().slice(0, 10)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Payments per day → daily revenue → the whole series; one day fails while `failing`, one waits on `gate`. */
function paymentsProject(control: { failing: Set<string>; gateOn: string; gate: Promise<void>; reached: () => void }) {
  const days = dailyPartitions({ start: day(0) })
  const payments = defineAsset({
    key: 'raw/payments', partitions: days, owner: 'team:payments', description: 'Card payments, one partition per day',
    async materialize(_inputs, ctx) {
      if (control.failing.has(ctx.partition!)) throw new Error(`the bank export for ${ctx.partition} is empty`)
      if (ctx.partition === control.gateOn) {
        control.reached()
        await control.gate
      }
      await sleep(120)
      return Array.from({ length: 3 }, (_, i) => ({ payment_id: i + 1, amount: 10 * (i + 1) + Number(ctx.partition!.slice(8)) }))
    },
  })
  const daily = sqlAsset({
    key: 'marts/daily_revenue', partitions: days, owner: 'team:finance', description: 'Revenue of one day',
    sql: 'select sum(amount)::int as revenue, count(*)::int as payments from raw.payments where partition_key = {{ partition_key }}',
  })
  const series = sqlAsset({ key: 'dashboards/revenue_series', owner: 'team:finance', kind: 'dashboard', sql: 'select revenue from marts.daily_revenue' })
  return [payments, daily, series]
}

const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim()

describe('web UI: backfills', () => {
  let browser: Browser
  let server: RunningServer
  let project: Awaited<ReturnType<typeof openProject>>
  let release!: () => void
  let reached!: () => void
  const gateReached = new Promise<void>((resolve) => (reached = resolve))
  const control = { failing: new Set([day(11)]), gateOn: day(20), gate: new Promise<void>((resolve) => (release = resolve)), reached: () => reached() }

  before(async () => {
    const uiDir = ensureUiBuilt()
    project = await openProject({ name: 'payments', assets: paymentsProject(control), concurrency: 1 })
    // History: the first ten days backfilled fine, the next eight with one failing day; the last ten never built.
    assert.equal((await project.instance.backfill('raw/payments', { from: day(0), to: day(9), only: 'all' })).status, 'succeeded')
    assert.equal((await project.instance.backfill('raw/payments', { from: day(10), to: day(17), only: 'all' })).status, 'failed')
    control.failing.clear()
    server = await startServer({ instance: () => project.instance, port: 0, uiDir, auth: {}, log: () => undefined })
    browser = await launchBrowser()
  })
  after(async () => {
    release?.()
    await browser?.close()
    await server?.close()
    await project?.close()
  })

  test('Backfill… from the asset page: preview, start, watch progress, pause, resume to success', async () => {
    const { page, problems, context } = await newPage(browser)
    try {
      // The asset page: 10 missing days and one failed one on the heat-map.
      await page.goto(`${server.url}/assets/raw/payments`)
      await page.waitForSelector('[data-testid="partition-heatmap"] .heat-cell')
      assert.match(await text(page, '.heatmap-legend [data-state="missing"]'), /Missing 10/)
      assert.match(await text(page, '.heatmap-legend [data-state="failed"]'), /Failed 1/)
      // The failed day's cell says why it failed.
      const failedCell = await page.$$eval('[data-testid="partition-heatmap"] .heat-cell', (cells) => cells.map((cell) => cell.getAttribute('title') ?? '').find((title) => title.includes('Failed')))
      assert.match(failedCell ?? '', /the bank export for \S+ is empty/)

      // The dialog is prefilled with the span of missing days.
      await page.click('button:has-text("Backfill…")')
      await page.waitForSelector('[data-testid="backfill-dialog"]')
      assert.equal(await page.inputValue('input[aria-label="From"]'), day(18))
      assert.equal(await page.inputValue('input[aria-label="To"]'), day(27))
      assert.equal(await page.isChecked('input[name="only"][value="missing"]'), true)
      assert.match(await text(page, '[data-testid="range-summary"]'), /10 partitions: 10 missing/)

      // A range over the failed day says so; "Failed or outdated" there previews just that day and its downstream.
      await page.fill('input[aria-label="From"]', day(10))
      assert.match(await text(page, '[data-testid="range-summary"]'), /18 partitions: 10 missing · 1 failed · 7 fresh/)
      await page.check('input[name="only"][value="failed"]')
      await page.click('[data-testid="preview-backfill"]')
      await page.waitForSelector('[data-testid="backfill-preview"]')
      assert.match(await text(page, '[data-testid="backfill-preview"]'), /^3 steps in 3 assets/)

      // Back to the missing days: 21 steps, per asset, in dependency order.
      await page.fill('input[aria-label="From"]', day(18))
      assert.equal(await page.$('[data-testid="backfill-preview"]'), null, 'a change drops the stale preview')
      await page.check('input[name="only"][value="missing"]')
      await page.click('[data-testid="preview-backfill"]')
      await page.waitForSelector('[data-testid="backfill-preview"]')
      assert.match(await text(page, '[data-testid="backfill-preview"]'), /^21 steps in 3 assets/)
      assert.deepEqual(
        await page.$$eval('[data-testid="backfill-preview"] tr[data-asset]', (rows) => rows.map((row) => [row.getAttribute('data-asset'), row.children[1]!.textContent])),
        [['raw/payments', '10'], ['marts/daily_revenue', '10'], ['dashboards/revenue_series', '1']],
      )
      assert.match(await text(page, '[data-testid="start-backfill"]'), /Start backfill · 21 steps/)
      await screenshot(page, 'backfill-dialog')

      // Start: a link to its progress.
      await page.click('[data-testid="start-backfill"]')
      await page.waitForSelector('[data-testid="backfill-started"]')
      assert.match(await text(page, '[data-testid="backfill-started"]'), /21 steps across 3 assets are running now/)
      await page.click('[data-testid="view-backfill"]')
      await page.waitForURL(/\/backfills\/\d{8}-\d{6}-[0-9a-f]+$/)
      const runId = decodeURIComponent(page.url().split('/').at(-1)!)

      // The day that waits on the gate holds the run: running, with progress and a time left.
      await gateReached
      await page.waitForSelector('[data-backfill] .page-header .pill[data-status="running"]')
      await poll('the done count', async () => (/\d+ of 21 steps/.test(await text(page, '[data-testid=done]').catch(() => '')) ? true : undefined))
      await page.waitForSelector('[data-testid="eta"]:has-text("left")')
      assert.match(await text(page, '.page-header h1'), /raw\/payments \+ 2 downstream/)

      // The Backfills view: this one running above the two earlier ones.
      await page.click('nav a:has-text("Backfills")')
      await page.waitForSelector(`.backfill-item[data-backfill="${runId}"][data-status="running"]`)
      assert.deepEqual(await page.$$eval('.backfill-item', (items) => items.map((item) => item.getAttribute('data-status'))), ['running', 'failed', 'succeeded'])
      const row = `.backfill-item[data-backfill="${runId}"]`
      assert.match(await text(page, `${row} .backfill-range`), /missing partitions/)
      assert.match(await text(page, `${row} .backfill-progress`), /\d+ of 21 succeeded · 1 running/)
      assert.match(await text(page, `${row} .backfill-progress`), /left/)
      assert.match(await text(page, '.backfill-item[data-status="failed"] .backfill-progress'), /14 of 17 succeeded · 1 failed · 2 skipped\s*3 left to resume/)
      // Only the buttons that apply: pause and cancel while running, resume once it failed, none once done.
      assert.deepEqual(await page.$$eval(`${row} .backfill-actions button`, (buttons) => buttons.map((b) => b.textContent)), ['Pause', 'Cancel'])
      assert.deepEqual(await page.$$eval('.backfill-item[data-status="failed"] .backfill-actions button', (buttons) => buttons.map((b) => b.textContent)), ['Resume'])
      assert.equal(await page.$('.backfill-item[data-status="succeeded"] .backfill-actions'), null)
      // Opened, it shows each asset's progress.
      await page.click(`${row} button.expand`)
      await page.waitForSelector(`${row} [data-testid="asset-progress"] tr[data-asset="dashboards/revenue_series"]`)
      assert.match(await text(page, `${row} tr[data-asset="raw/payments"]`), /\d+ \/ 10/)
      await screenshot(page, 'backfills')

      // Pause: the running day finishes first, so it reads "Pausing…", then "Paused" once the gate opens.
      await page.click(`${row} button:has-text("Pause")`)
      await page.waitForSelector(`${row}[data-status="pausing"] .pill:has-text("Pausing…")`)
      assert.deepEqual(await page.$$eval(`${row} .backfill-actions button`, (buttons) => buttons.map((b) => b.textContent)), ['Cancel'], 'no second pause while one waits; cancel stays possible')
      release()
      await page.waitForSelector(`${row}[data-status="paused"] .pill:has-text("Paused")`, { timeout: 20_000 })
      assert.match(await text(page, `${row} .backfill-progress`), /left to resume/)
      const steps = (await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as { steps: { assetKey: string; partition: string | null; status: string }[] }
      assert.equal(steps.steps.find((s) => s.assetKey === 'raw/payments' && s.partition === day(20))?.status, 'succeeded', 'the step running at the pause finished')
      assert.ok(steps.steps.some((s) => s.status === 'canceled'), 'the rest was left for the resume')
      assert.deepEqual(await page.$$eval(`${row} .backfill-actions button`, (buttons) => buttons.map((b) => b.textContent)), ['Resume'])
      await screenshot(page, 'backfills-paused')

      // Resume from its page: a second run does the rest, and the backfill succeeds with every step done.
      await page.click(`${row} .backfill-what a`)
      await page.waitForSelector('[data-backfill] .page-header .pill[data-status="paused"]')
      await page.click('.page-header button:has-text("Resume")')
      await page.waitForSelector('[data-backfill] .page-header .pill[data-status="succeeded"]', { timeout: 30_000 })
      assert.equal(await text(page, '[data-testid="done"]'), '21 of 21 steps')
      assert.deepEqual(await page.$$eval('[data-testid="backfill-runs"] tr[data-run] .pill', (pills) => pills.map((pill) => pill.getAttribute('data-status'))), ['paused', 'succeeded'])
      assert.equal(await page.$('.page-header .backfill-actions'), null, 'nothing to steer once it succeeded')
      await screenshot(page, 'backfill', { fullPage: true })
      // Each run opens on its page, which leads back to the backfill.
      await page.click(`[data-testid="backfill-runs"] tr[data-run="${runId}"] a`)
      await page.waitForSelector('.page-header .pill[data-status="paused"]')
      await page.click('a:has-text("the backfill’s progress")')
      await page.waitForSelector(`[data-backfill="${runId}"] .page-header .pill[data-status="succeeded"]`)

      // The asset page: no missing day left.
      await page.goto(`${server.url}/assets/raw/payments`)
      await page.waitForSelector('.heatmap-legend [data-state="missing"].legend-zero')
      assert.deepEqual(problems, [], 'no errors in the browser console')
    } finally {
      await context.close()
    }
  })

  test('a refused action shows the server’s code and message', async () => {
    const { page, context } = await newPage(browser)
    try {
      // A view that is out of date: the list claims the finished backfill still runs, so Pause is offered.
      await page.route('**/api/backfills?limit=100', async (route) => {
        const response = await route.fetch()
        const list = (await response.json()) as { run: { status: string } }[]
        list[0]!.run.status = 'running'
        await route.fulfill({ response, json: list })
      })
      await page.goto(`${server.url}/backfills`)
      await page.waitForSelector('.backfill-item[data-status="running"] button:has-text("Pause")')
      await page.click('.backfill-item[data-status="running"] button:has-text("Pause")')
      await page.waitForSelector('.backfill-item .error-box')
      const error = await text(page, '.backfill-item .error-box')
      assert.match(error, /Could not pause the backfill/)
      assert.match(error, /TRB6003/)
      assert.match(error, /is not running/)
      await screenshot(page, 'backfills-error')
      await page.click('.backfill-item .error-box button[aria-label="Dismiss"]')
      assert.equal(await page.$('.backfill-item .error-box'), null)
    } finally {
      await context.close()
    }
  })

  test('a failed backfill: one number for what is left, and complete once a repair run publishes the failed day', async () => {
    const { page, context, problems } = await newPage(browser)
    try {
      const list = (await (await fetch(`${server.url}/api/backfills?limit=100`)).json()) as { run: { id: string; status: string; selection: string } }[]
      const failed = list.find((backfill) => backfill.run.status === 'failed' && backfill.run.selection.includes(`--from ${day(10)} `))!
      await page.goto(`${server.url}/backfills/${failed.run.id}`)
      // The revenue series, skipped here, was rebuilt by the backfill of the first test: that counts.
      await page.waitForSelector('[data-testid="repaired"]')
      const facts = async () => ({ done: await text(page, '[data-testid="done"]'), left: await text(page, '[data-testid="left"]'), eta: await text(page, '.page-header ~ .card .eta, .card .eta') })
      assert.deepEqual(await facts(), { done: '15 of 17 steps', left: '2', eta: '2 left to resume' })
      assert.equal(await page.getAttribute('[data-backfill]', 'data-status'), 'failed')
      assert.deepEqual(await page.$$eval('.page-header button', (buttons) => buttons.map((b) => b.textContent)), ['Resume'])
      await screenshot(page, 'backfill-failed', { fullPage: true })

      // A repair run outside the backfill rebuilds the failed day and what reads it.
      assert.equal((await project.instance.materialize('raw/payments+', { partition: day(11) })).status, 'succeeded')
      await page.waitForSelector('[data-backfill][data-status="succeeded"] .page-header .pill[data-status="succeeded"]')
      assert.deepEqual({ done: await text(page, '[data-testid="done"]'), left: await text(page, '[data-testid="left"]') }, { done: '17 of 17 steps', left: '0' })
      assert.match(await text(page, '[data-testid="repaired"]'), /Later runs have since published 3 of the steps this backfill did not finish: it is complete, nothing is left to resume/)
      assert.equal(await page.$('.page-header button:has-text("Resume")'), null, 'nothing left to resume')
      assert.equal(await page.$('.error-box'), null, 'no "The backfill failed" once it is complete')
      assert.equal(await page.getAttribute(`tr[data-asset="raw/payments"] .strip-cell[data-partition="${day(11)}"]`, 'data-status'), 'succeeded', 'the repaired day shows as it stands')
      assert.equal(await page.$$eval('.strip-cell[data-repaired]', (cells) => cells.length), 3)
      await screenshot(page, 'backfill-repaired', { fullPage: true })
      // The Backfills list says the same.
      await page.click('nav a:has-text("Backfills")')
      const item = `.backfill-item[data-backfill="${failed.run.id}"]`
      await page.waitForSelector(`${item}[data-status="succeeded"]`)
      assert.match(await text(page, `${item} .backfill-progress`), /^17 of 17 succeeded/)
      assert.equal(await page.$(`${item} .backfill-actions button`), null, 'no Resume in the list either')
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })
})
