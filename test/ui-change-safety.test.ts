// Change safety in a real browser (Debian's Chromium, headless) against the real server over a real
// project (SQLite store, DuckDB warehouse): the asset page's columns with type, sources and readers
// (click-through, asset level said as such, unknown columns said as such, what the contract guarantees); the Materialize dialog's
// force option; and the plan of a renamed column as an impact view on the lineage, with owners.
// Screenshots land in test-artifacts/screenshots/change-*.png.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page, Request } from 'playwright-core'
import { Tributary } from '../src/instance/tributary.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineProject, type ProjectDefinition } from '../src/model/project.js'
import type { RunningServer } from '../src/server/server.js'
import { ensureUiBuilt, launchBrowser, newPage, screenshot } from './helpers/browser.js'
import { poll } from './helpers/poll.js'
import { client, serveInstance } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50 }

/** The shop: staging/orders' SQL is the one thing that changes between what is deployed and the working tree. */
function shop(stagingSql: string): ProjectDefinition {
  const orders = defineAsset({
    key: 'raw/orders', owner: 'team:data',
    materialize: () => [{ id: 1, customer_id: 10, amount: 5.5, status: 'paid' }, { id: 2, customer_id: 11, amount: 7.25, status: 'open' }, { id: 3, customer_id: 10, amount: 2, status: 'paid' }],
  })
  const staging = sqlAsset({ key: 'staging/orders', owner: 'team:data', sql: stagingSql, contract: { columns: { id: { type: 'bigint', nullable: false }, amount: 'double' } } })
  const revenue = sqlAsset({ key: 'marts/revenue', owner: 'team:finance', sql: "select sum(amount) as revenue from staging.orders where status = 'paid'" })
  const byCustomer = sqlAsset({ key: 'marts/by_customer', owner: 'team:growth', sql: 'select customer_id, sum(amount) as total from staging.orders group by all' })
  const counts = sqlAsset({ key: 'marts/counts', owner: 'team:ops', sql: 'select count(id) as orders from staging.orders' })
  const extract = defineAsset({ key: 'extracts/orders', owner: 'team:ops', ins: { staging }, materialize: async ({ staging }, ctx) => ctx.rows(staging) })
  // Never built: its columns are not known yet.
  const later = defineAsset({ key: 'raw/later', owner: 'team:data', materialize: () => [{ x: 1 }] })
  const laterReader = sqlAsset({ key: 'marts/later', owner: 'team:bi', sql: 'select * from raw.later' })
  return defineProject({ name: 'shop', assets: [orders, staging, revenue, byCustomer, counts, extract, later, laterReader] })
}
const DEPLOYED = 'select id, customer_id, amount, status from raw.orders'
const RENAMED = 'select id, customer_id, amount as amount_eur, status from raw.orders'

const cells = (page: Page, column: string, which: 'comes-from' | 'read-by') =>
  page.$$eval(`tr[data-column="${column}"] [data-testid="${which}"] li`, (items) => items.map((li) => `${li.querySelector('a')?.textContent} ${li.querySelector('.kind')?.textContent}`))

describe('web UI: change safety', () => {
  let uiDir: string
  let browser: Browser
  let dir: string
  let cleanup: () => Promise<void>
  let instance: Tributary | undefined
  let server: RunningServer | undefined
  before(async () => {
    uiDir = ensureUiBuilt()
    browser = await launchBrowser()
    ;({ dir, cleanup } = await tempDir('ui-change-'))
    instance = await Tributary.open({ projectDir: dir, project: shop(DEPLOYED), settings: SETTINGS })
    assert.equal((await instance.materialize('raw/orders+')).status, 'succeeded')
    ;({ server } = await serveInstance(instance, { uiDir }))
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await instance?.close()
    await cleanup?.()
  })

  test('asset page: each column with its type, where it comes from and who reads it, each a link; asset level and unknown columns said so', async () => {
    const { page, problems, context } = await newPage(browser)
    try {
      await page.goto(`${server!.url}/assets/staging/orders`)
      await page.waitForSelector('tr[data-column="amount"]')
      assert.deepEqual(await page.$$eval('.columns-table tbody tr', (rows) => rows.map((r) => `${r.children[0]!.textContent}:${r.children[1]!.firstChild!.textContent}`)), ['id:BIGINT', 'customer_id:BIGINT', 'amount:DOUBLE', 'status:VARCHAR'])
      assert.deepEqual(await cells(page, 'amount', 'comes-from'), ['raw/orders.amount copy'])
      assert.deepEqual((await cells(page, 'amount', 'read-by')).sort(), ['extracts/orders.* asset level', 'marts/by_customer.total transform', 'marts/revenue.revenue transform'])
      assert.deepEqual((await cells(page, 'status', 'read-by')).sort(), ['extracts/orders.* asset level', 'marts/revenue.revenue filter'])
      assert.match((await page.textContent('[data-testid="asset-level-note"]'))!, /traced per asset, not per column/)
      // What the contract guarantees, beside the type.
      assert.deepEqual(await page.$$eval('.columns-table tbody tr', (rows) => rows.map((r) => r.querySelector('[data-testid="contract"]')?.textContent ?? null)), ['contract: bigint, not null', null, 'contract: double', null])
      await screenshot(page, 'change-asset-columns', { fullPage: true })

      // Click through to a reader, then back up to where its column comes from.
      await page.click('tr[data-column="amount"] [data-testid="read-by"] a:has-text("marts/revenue.revenue")')
      await page.waitForURL(/\/assets\/marts\/revenue$/)
      await page.waitForSelector('tr[data-column="revenue"]')
      assert.deepEqual((await cells(page, 'revenue', 'comes-from')).sort(), ['staging/orders.amount transform', 'staging/orders.status filter'])
      await page.click('tr[data-column="revenue"] [data-testid="comes-from"] a:has-text("staging/orders.amount")')
      await page.waitForURL(/\/assets\/staging\/orders$/)

      // A TypeScript asset: its columns from its published schema, all from its input at asset level.
      await page.goto(`${server!.url}/assets/extracts/orders`)
      await page.waitForSelector('tr[data-column="amount"]')
      assert.deepEqual(await cells(page, 'amount', 'comes-from'), ['staging/orders.* asset level'])
      assert.ok(await page.$('[data-testid="asset-level-note"]'))

      // Never published, no contract: no guessed columns, the readers at asset level with owners.
      await page.goto(`${server!.url}/assets/raw/later`)
      await page.waitForSelector('[data-testid="columns-unknown"]')
      const unknown = (await page.textContent('[data-testid="columns-unknown"]'))!
      assert.match(unknown, /The columns of raw\/later are not known yet: they are recorded when it is first published, or declared by a contract\./)
      assert.match(unknown, /marts\/later team:bi/)
      assert.equal(await page.$('.columns-table'), null)
      await screenshot(page, 'change-asset-columns-unknown', { fullPage: true })
      await page.click('[data-testid="columns-unknown"] a:has-text("marts/later")')
      await page.waitForURL(/\/assets\/marts\/later$/)
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  test('Materialize: up-to-date steps are skipped; "force rebuild (ignore up to date)" passes force and rebuilds', async () => {
    const { page, problems, context } = await newPage(browser)
    const bodies: unknown[] = []
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/runs') bodies.push(request.postDataJSON())
    })
    const api = client(server!)
    const runStep = (runId: string) => poll(`marts/revenue's step of run ${runId} final`, async () => {
      const answer = await api.get(`/api/runs/${runId}`)
      const step = answer.status === 200 ? answer.body.steps.find((s: { assetKey: string }) => s.assetKey === 'marts/revenue') : undefined
      return step && ['succeeded', 'failed', 'blocked', 'skipped', 'canceled'].includes(step.status) ? step : undefined
    })
    const materialize = async (force: boolean) => {
      await page.goto(`${server!.url}/assets/marts/revenue`)
      await page.click('button:has-text("Materialize")')
      await page.waitForSelector('[data-testid="force-option"]')
      assert.equal(await page.isChecked('[data-testid="force-option"] input'), false, 'not forced unless asked')
      if (force) {
        await page.check('[data-testid="force-option"] input')
        assert.match((await page.textContent('[data-testid="force-option"]'))!, /Force rebuild \(ignore up to date\)[\s\S]*Every step above runs/)
        await screenshot(page, 'change-materialize-force')
      }
      await page.click('[data-testid="confirm-run"]')
      await page.waitForSelector('[data-testid="run-started"] a')
      const href = (await page.getAttribute('[data-testid="run-started"] a', 'href'))!
      return runStep(decodeURIComponent(href.split('/').pop()!))
    }
    try {
      const skipped = await materialize(false)
      assert.equal(skipped.status, 'succeeded')
      assert.match(skipped.reason, /^up to date/)
      const forced = await materialize(true)
      assert.equal(forced.status, 'succeeded')
      assert.equal(forced.reason, null, 'built, not skipped')
      assert.deepEqual(bodies.filter((b) => !(b as { dryRun?: boolean }).dryRun), [{ selection: 'marts/revenue' }, { selection: 'marts/revenue', force: true }])
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  test('the plan as an impact view: a renamed column, the two readers it breaks with their owners, highlighted on the lineage', async () => {
    // The working tree renames staging/orders.amount; what is deployed still has it.
    await server!.close()
    await instance!.close()
    instance = await Tributary.open({ projectDir: dir, project: shop(RENAMED), settings: SETTINGS })
    ;({ server } = await serveInstance(instance, { uiDir }))
    const { page, problems, context } = await newPage(browser)
    try {
      await page.goto(`${server!.url}/lineage`)
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 30_000 })
      await page.click('[data-testid="plan-toggle"]')
      await page.waitForURL(/[?&]view=plan/)
      await page.waitForSelector('[data-testid="plan-impact"]')
      const box = page.locator('[data-testid="plan-impact"]')
      assert.equal(await box.getAttribute('data-breaking'), '1')
      assert.match((await box.textContent())!, /Breaking: deploying this breaks what is listed below/)
      assert.match((await page.textContent('[data-changed="staging/orders"]'))!, /staging\/orders\s*team:data\s*− amount\s*\+ amount_eur/)
      assert.match((await page.textContent('[data-broken-reader="marts/revenue.revenue"]'))!, /marts\/revenue\.revenue\s*transform\s*team:finance/)
      assert.match((await page.textContent('[data-broken-reader="marts/by_customer.total"]'))!, /marts\/by_customer\.total\s*transform\s*team:growth/)
      assert.equal(await page.$('[data-broken-reader^="marts/counts."]'), null, 'a reader of other columns does not break')
      assert.match((await page.textContent('[data-contract-breach="staging/orders"]'))!, /staging\/orders\s*team:data\s*amount is missing; the contract guarantees it \(double\)/)
      // The TypeScript reader reads the asset: it may break, said as such.
      assert.match((await page.textContent('[data-broken-reader="extracts/orders.*"]'))!, /asset level\s*may break\s*team:ops/)

      // On the canvas: the change marked, the broken readers and the path to them highlighted; the rest not.
      const marks = async (key: string) => page.evaluate(`window.__tributaryNodeMarks(${JSON.stringify(key)})`) as Promise<{ impacted: boolean; marked: boolean }>
      await poll('plan marks drawn', async () => ((await marks('staging/orders')).marked ? true : undefined))
      assert.deepEqual(await marks('marts/revenue'), { impacted: true, marked: false })
      assert.deepEqual(await marks('marts/by_customer'), { impacted: true, marked: false })
      assert.deepEqual(await marks('marts/counts'), { impacted: false, marked: false })
      assert.deepEqual(await marks('raw/orders'), { impacted: false, marked: false })
      await screenshot(page, 'change-plan-impact')

      // Clicking a broken reader opens its page.
      await page.click('[data-broken-reader="marts/by_customer.total"] a')
      await page.waitForURL(/\/assets\/marts\/by_customer$/)
      await page.goBack()
      await page.waitForSelector('[data-testid="plan-impact"]')
      await page.click('[data-testid="plan-toggle"]')
      await page.waitForSelector('[data-testid="plan-impact"]', { state: 'detached' })
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })
})
