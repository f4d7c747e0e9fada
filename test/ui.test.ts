// The web UI in a real browser (Debian's Chromium, headless) against the real HTTP server over a
// real project: catalog, search, lineage, asset page, Materialize with a live status change, runs,
// the readiness board, the token prompt, and a 5,000-asset lineage that must not freeze the page.
// Screenshots land in test-artifacts/screenshots/.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { defineAsset } from '../src/model/asset.js'
import type { AnyNode } from '../src/model/asset.js'
import { startServer, type RunningServer } from '../src/server/server.js'
import { ensureUiBuilt, launchBrowser, newPage, openDemoProject, screenshot } from './helpers/browser.js'
import { poll } from './helpers/poll.js'
import { openProject } from './helpers/temp-project.js'

/** Waits (polling, not by evaluating a string in the page, which its CSP forbids) until `selector` matches `n` elements. */
const waitForCount = (page: Page, selector: string, n: number) => poll(`${n} × ${selector}`, async () => ((await page.$$(selector)).length === n ? true : undefined))

const rowKeys = (page: Page) => page.$$eval('tr[data-key]', (rows) => rows.map((row) => row.getAttribute('data-key')))

async function serve(instance: Awaited<ReturnType<typeof openProject>>['instance'], uiDir: string, auth = {}): Promise<RunningServer> {
  return startServer({ instance: () => instance, port: 0, uiDir, auth, log: () => undefined })
}

describe('web UI', () => {
  let uiDir: string
  let browser: Browser
  let demo: Awaited<ReturnType<typeof openDemoProject>>
  let server: RunningServer
  before(async () => {
    uiDir = ensureUiBuilt()
    browser = await launchBrowser()
    demo = await openDemoProject()
    server = await serve(demo.instance, uiDir)
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await demo?.close()
  })

  test('catalog, search, lineage, asset page, Materialize turning the status fresh live, run page, runs, ready board', async () => {
    const { page, problems, context } = await newPage(browser)
    try {
      // Catalog: every asset and source, with statuses.
      await page.goto(`${server.url}/`)
      await page.waitForSelector('tr[data-key="raw/orders"]')
      assert.equal((await rowKeys(page)).length, 15)
      assert.equal(await page.getAttribute('tr[data-key="raw/payments"] .pill', 'data-status'), 'failed')
      await page.waitForSelector('.connection[data-connection="live"]')
      await screenshot(page, 'catalog')

      // Search goes to the server and into the address.
      await page.fill('input[type="search"]', 'region')
      await waitForCount(page, 'tr[data-key]', 3)
      assert.deepEqual(await rowKeys(page), ['marts/accounts_by_region', 'marts/sales_by_region', 'reports/regions'])
      assert.match(page.url(), /[?&]q=region/)
      await screenshot(page, 'catalog-search')
      // A filter narrows it further.
      await page.selectOption('select[aria-label="Owner"]', 'team:bi')
      await waitForCount(page, 'tr[data-key]', 1)
      assert.deepEqual(await rowKeys(page), ['reports/regions'])

      // Lineage: laid out in the worker, drawn on the canvas; a click on a node opens it.
      await page.click('nav a:has-text("Lineage")')
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 30_000 })
      const timings = (await page.evaluate('window.__tributaryLineage')) as { nodes: number; edges: number; engine: string; cached: boolean }
      assert.equal(timings.nodes, 15)
      assert.equal(timings.edges, 13)
      assert.equal(timings.engine, 'elk', 'a small graph is laid out by ELK')
      assert.equal(timings.cached, false, 'the first visit lays the graph out')
      // Reopened: drawn from the layout the first visit kept in the browser (IndexedDB), not laid out again.
      await page.reload()
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 30_000 })
      const reopened = (await page.evaluate('window.__tributaryLineage')) as { nodes: number; cached: boolean; layoutMs: number }
      assert.deepEqual([reopened.nodes, reopened.cached, reopened.layoutMs], [15, true, 0])
      assert.match((await page.textContent('.impact-box'))!, /dashboards\/revenue/, 'the failures lead to the revenue dashboard')
      await screenshot(page, 'lineage')
      const at = (await page.evaluate('window.__tributaryNodeAt("marts/sales_by_region")')) as { x: number; y: number }
      await page.mouse.move(at.x, at.y)
      await page.waitForSelector('.graph-tooltip')
      await page.mouse.click(at.x, at.y)
      await page.waitForURL(/\/assets\/marts\/sales_by_region$/)
      await page.waitForSelector('[data-testid="status-banner"]')

      // Focus mode: only raw/orders' upstream and downstream.
      await page.goto(`${server.url}/lineage?focus=raw/orders`)
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 30_000 })
      assert.equal(((await page.evaluate('window.__tributaryLineage')) as { nodes: number }).nodes, 6)
      await screenshot(page, 'lineage-focus')

      // The asset page of a dashboard that was never built; Materialize plans first, then runs.
      await page.goto(`${server.url}/assets/dashboards/sales`)
      await page.waitForSelector('[data-testid="status-banner"] .pill[data-status="missing"]')
      await page.evaluate('window.__sameDocument = true')
      await page.click('button:has-text("Materialize")')
      await page.waitForSelector('[data-testid="plan-list"]')
      assert.deepEqual(await page.$$eval('[data-testid="plan-list"] li', (items) => items.map((item) => item.textContent)), ['dashboards/sales'])
      await screenshot(page, 'materialize-confirm')
      await page.click('[data-testid="confirm-run"]')
      await page.waitForSelector('[data-testid="status-banner"] .pill[data-status="fresh"]', { timeout: 30_000 })
      assert.equal(await page.evaluate('window.__sameDocument'), true, 'the status changed without a reload')
      await page.waitForSelector('.chart svg')
      await screenshot(page, 'asset-fresh', { fullPage: true })

      // The run page, from the toast's link.
      await page.click('[data-testid="run-started"] a')
      await page.waitForURL(/\/runs\/.+/)
      await page.waitForSelector('[data-step="dashboards/sales"][data-status="succeeded"]')
      await page.waitForSelector('.pill[data-status="succeeded"]')
      await screenshot(page, 'run')

      // A failing asset: the chain, the failed check and its sample rows.
      await page.goto(`${server.url}/assets/raw/refunds`)
      await page.waitForSelector('.check-failure .sample td')
      assert.match((await page.textContent('[data-testid="status-banner"]'))!, /accepted_values\(reason\)/)
      await screenshot(page, 'asset-failing', { fullPage: true })
      // A stale asset: the reason chain walks down to the late source and its owner.
      await page.goto(`${server.url}/assets/raw/fx_rates`)
      await page.waitForSelector('.chain-link a[href="/assets/landing/fx_rates"]')
      assert.match((await page.textContent('.chain'))!, /team:treasury/)
      await screenshot(page, 'asset-chain')
      await page.click('.chain-link a[href="/assets/landing/fx_rates"]')
      await page.waitForSelector('[data-testid="status-banner"] .pill[data-status="late"]')

      // Runs, with a status filter.
      await page.goto(`${server.url}/runs`)
      await page.waitForSelector('tr[data-run]')
      assert.equal((await page.$$('tr[data-run]')).length, 8)
      await screenshot(page, 'runs')
      await page.click('.segmented button:has-text("Succeeded")')
      await waitForCount(page, 'tr[data-run]', 1)
      // A failed run: errors, retries and logs.
      await page.click('.segmented button:has-text("Failed")')
      await waitForCount(page, 'tr[data-run]', 7)
      await page.click('tr[data-run] >> nth=0')
      await page.waitForSelector('[data-step="raw/payments"][data-status="failed"]')
      assert.match((await page.textContent('[data-testid="timeline"]'))!, /billing API answered 503/)
      await screenshot(page, 'run-failed', { fullPage: true })

      // The readiness board, in plain words.
      await page.goto(`${server.url}/ready`)
      await page.waitForSelector('.ready-card[data-key="dashboards/sales"][data-ready="true"]')
      assert.match((await page.textContent('.ready-card[data-key="dashboards/sales"]'))!, /Ready since \d\d:\d\d/)
      assert.match((await page.textContent('.ready-card[data-key="dashboards/revenue"]'))!, /Not ready/)
      await screenshot(page, 'ready')

      assert.deepEqual(problems, [], 'no errors in the browser console')
    } finally {
      await context.close()
    }
  })

  test('a server with tokens: the UI asks once, keeps the token, and the live stream uses it', async () => {
    const guarded = await serve(demo.instance, uiDir, { operatorToken: 'op-secret-token' })
    const { page, context } = await newPage(browser)
    try {
      await page.goto(`${guarded.url}/`)
      await page.waitForSelector('input[aria-label="Token"]')
      await screenshot(page, 'token-prompt')
      await page.fill('input[aria-label="Token"]', 'op-secret-token')
      await page.click('button:has-text("Continue")')
      await page.waitForSelector('tr[data-key="raw/orders"]')
      assert.equal(await page.evaluate('localStorage.getItem("tributary.token")'), 'op-secret-token')
      await page.waitForSelector('.connection[data-connection="live"]', { timeout: 15_000 })
      await page.reload()
      await page.waitForSelector('tr[data-key="raw/orders"]')
      assert.equal(await page.$('input[aria-label="Token"]'), null, 'no prompt once the token is kept')
    } finally {
      await context.close()
      await guarded.close()
    }
  })
})

describe('web UI: lineage of 5,000 assets', () => {
  test('lays out in a worker while the page stays responsive, then draws', async () => {
    const LAYERS = 50
    const WIDTH = 100
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const assets: AnyNode[] = []
    let previous: AnyNode[] = []
    for (let layer = 0; layer < LAYERS; layer++) {
      const current: AnyNode[] = []
      for (let i = 0; i < WIDTH; i++) {
        const ins: Record<string, AnyNode> = {}
        if (layer > 0) for (let n = 0; n < 1 + Math.floor(random() * 2); n++) ins[`in_${n}`] = previous[Math.floor(random() * WIDTH)]!
        current.push(defineAsset({ key: `layer${String(layer).padStart(2, '0')}/asset_${String(i).padStart(3, '0')}`, io: 'none', ins, materialize: () => undefined }))
      }
      assets.push(...current)
      previous = current
    }
    const uiDir = ensureUiBuilt()
    const project = await openProject({ name: 'five-thousand', assets })
    const server = await serve(project.instance, uiDir)
    const browser = await launchBrowser()
    try {
      const { page, problems } = await newPage(browser)
      const started = Date.now()
      // Probed from when the page's script has run (it fetches the graph then), not from its load event,
      // so the probes begin before the layout does.
      await page.goto(`${server.url}/lineage`, { waitUntil: 'domcontentloaded' })
      // While the worker lays it out, the page answers at once: some probe must be answered with the
      // "Laying out" notice still shown, or this test would say nothing about the page during layout.
      const roundTrips: number[] = []
      let answeredDuringLayout = 0
      do {
        const sent = Date.now()
        if (await page.evaluate('document.querySelector(\'[data-testid="laying-out"]\') !== null')) answeredDuringLayout++
        roundTrips.push(Date.now() - sent)
        await new Promise((resolve) => setTimeout(resolve, 50))
      } while (!(await page.$('canvas[data-rendered="1"]')) && Date.now() - started < 240_000)
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 30_000 })
      const seen = Date.now() - started
      const timings = (await page.evaluate('window.__tributaryLineage')) as { nodes: number; edges: number; engine: string; cached: boolean; fetchMs: number; layoutMs: number; firstDrawMs: number; totalMs: number }
      assert.equal(timings.nodes, 5_000)
      assert.equal(timings.cached, false, 'laid out now, not read from a kept layout')
      assert.ok(answeredDuringLayout >= 1, `some probe was answered while the layout ran (${roundTrips.length} probes, layout ${timings.layoutMs} ms)`)
      // Above 100 nodes the quick layered layout (d3-dag), not ELK's (the demo's, 15 nodes, is ELK's).
      assert.equal(timings.engine, 'd3-dag')
      const slowest = Math.max(...roundTrips)
      assert.ok(slowest < 3_000, `the page answered within 3 s during layout (slowest ${slowest} ms)`)
      // Zooming a 5,000-node drawing stays quick too.
      const canvas = (await page.$('canvas.graph-canvas'))!
      const box = (await canvas.boundingBox())!
      const elements = (await page.evaluate('document.querySelectorAll("*").length')) as number
      assert.ok(elements < 1_500, `one canvas, not an element per asset (${elements} elements)`)
      await screenshot(page, 'lineage-5000')
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2)
      const zoomStarted = Date.now()
      for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -200)
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(null)))')
      const zoomMs = Date.now() - zoomStarted
      await screenshot(page, 'lineage-5000-zoomed')
      console.log(`UI lineage 5000 nodes: ${JSON.stringify({ ...timings, seenMs: seen, slowestRoundTripMs: slowest, probes: roundTrips.length, answeredDuringLayout, zoomMs })}`)

      // The catalog of the same project pages on the server: 50 rows, not 5,000.
      await page.click('nav a:has-text("Catalog")')
      await page.waitForSelector('tr[data-key="layer00/asset_000"]')
      assert.equal((await rowKeys(page)).length, 50)
      assert.match((await page.textContent('.pager'))!, /1–50 of 5,000 assets/)
      await page.click('button:has-text("Next")')
      await page.waitForSelector('tr[data-key="layer00/asset_050"]')
      assert.match(page.url(), /[?&]page=2/)
      assert.deepEqual(problems, [])
    } finally {
      await browser.close()
      await server.close()
      await project.close()
    }
  })
})
