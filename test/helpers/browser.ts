// Headless Chromium for the UI tests: Debian's /usr/bin/chromium driven by playwright-core.
// Nothing is downloaded or installed at test time (.ci/run installs Chromium).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { acceptedValues, notNull, rowCount, unique } from '../../src/checks/builtins.js'
import { systemClock, type Clock } from '../../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../../src/model/asset.js'
import { defineSource, files } from '../../src/model/source.js'
import { openProject } from './temp-project.js'

export const REPO = resolve(import.meta.dirname, '..', '..')
export const UI_DIR = join(REPO, 'ui', 'dist')
export const SCREENSHOTS = join(REPO, 'test-artifacts', 'screenshots')
/** Debian's Chromium; TRIBUTARY_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.TRIBUTARY_CHROMIUM || '/usr/bin/chromium'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/**
 * Launches Chromium. Without it, the test file fails at once with a one-line instruction and its
 * process exits: a missing browser must never pass silently, and a half-started test (a server
 * or project opened before the browser) must never keep the test run waiting.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`\nChromium is not installed at ${CHROMIUM}; the UI tests need it. Install it with: apt-get install -y chromium (or set TRIBUTARY_CHROMIUM)\n`)
    process.exit(1)
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}

/**
 * The built UI: builds it (vite, a few seconds) when ui/dist is missing, as after a fresh clone
 * without `npm install`, or older than a file under ui/src, so a browser test never checks a stale build.
 */
export function ensureUiBuilt(): string {
  const index = join(UI_DIR, 'index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource(join(REPO, 'ui', 'src'))) return UI_DIR
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const build = spawnSync(npm, ['run', 'build:ui'], { cwd: REPO, encoding: 'utf8' })
  if (build.status !== 0 || !existsSync(index)) {
    throw new Error(`the UI is not built and \`npm run build:ui\` failed:\n${build.stdout}\n${build.stderr}`)
  }
  return UI_DIR
}

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** A page at desktop size that records console errors and failed requests for the test to assert on. */
export async function newPage(browser: Browser, options: { width?: number; height?: number } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1440, height: options.height ?? 900 }, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'Europe/London' })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
  })
  return { page, context, problems }
}

/** Saves `test-artifacts/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: options.fullPage ?? false })
  return path
}

// ---------------------------------------------------------------------------------------------
// A small, realistic project for the UI: a CRM export, a billing feed that fails, a check that
// starts failing, marts, dashboards, a report and an extract.

/** Real time shifted by `offset` ms, so a test can lay down a week of history in seconds. */
export class ShiftedClock implements Clock {
  offset = 0
  now(): Date {
    return new Date(Date.now() + this.offset)
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal)
  }
}

/** The CRM export the demo's source observes. */
export const DEMO_CRM_CSV = 'account_id,region,segment\n1,emea,enterprise\n2,emea,smb\n3,amer,enterprise\n4,apac,smb\n5,amer,smb\n'

export function demoAssets() {
  let ordersRun = 0
  let refundsRun = 0
  const crm = defineSource({
    key: 'landing/crm_accounts', owner: 'team:crm', group: 'sales', description: 'Accounts exported nightly by the CRM',
    observe: files('landing/crm/*.csv'), freshness: { maxAge: '26h' },
  })
  const accounts = defineAsset({
    key: 'raw/accounts', ins: { crm }, owner: 'team:data', group: 'sales', tags: ['crm', 'pii'], description: 'CRM accounts, loaded as they came',
    checks: [unique('account_id'), notNull('region')],
    async materialize({ crm }, ctx) {
      await ctx.loadCsv(crm.files)
    },
  })
  const fxExport = defineSource({
    key: 'landing/fx_rates', owner: 'team:treasury', group: 'finance', description: 'Daily exchange rates dropped by the treasury system',
    observe: files('landing/fx/*.csv'), freshness: { maxAge: '26h' },
  })
  const fx = defineAsset({
    key: 'raw/fx_rates', ins: { fxExport }, owner: 'team:data', group: 'finance', description: 'Exchange rates to EUR',
    async materialize({ fxExport }, ctx) {
      await ctx.loadCsv(fxExport.files)
    },
  })
  const orders = defineAsset({
    key: 'raw/orders', owner: 'team:data', group: 'sales', description: 'Orders from the shop database', checks: [unique('order_id'), acceptedValues('status', ['open', 'paid', 'refunded'])],
    async materialize() {
      ordersRun++
      await sleep(20 + ((ordersRun * 37) % 60))
      const regions = ['emea', 'amer', 'apac']
      return Array.from({ length: 180 + ordersRun * 45 + (ordersRun % 3) * 20 }, (_, i) => ({
        order_id: i + 1, region: regions[i % 3]!, amount: 20 + ((i * 13) % 180), status: i % 11 === 0 ? 'refunded' : i % 4 === 0 ? 'open' : 'paid',
      }))
    },
  })
  const refunds = defineAsset({
    key: 'raw/refunds', owner: 'team:payments', group: 'finance', description: 'Refunds issued by support',
    checks: [acceptedValues('reason', ['damaged', 'late', 'changed_mind'])],
    async materialize() {
      refundsRun++
      await sleep(10)
      const reasons = refundsRun > 3 ? ['damaged', 'late', 'fraud?', 'changed_mind', 'N/A'] : ['damaged', 'late', 'changed_mind']
      return Array.from({ length: 40 + refundsRun * 3 }, (_, i) => ({ refund_id: 9000 + i, order_id: i * 7 + 1, reason: reasons[i % reasons.length]! }))
    },
  })
  const payments = defineAsset({
    key: 'raw/payments', owner: 'team:payments', group: 'finance', description: 'Payments pulled from the billing API', retry: { attempts: 2, initialDelay: '20ms', jitter: 0 },
    async materialize() {
      await sleep(15)
      throw new Error('billing API answered 503 Service Unavailable')
    },
  })
  const byRegion = sqlAsset({
    key: 'marts/accounts_by_region', owner: 'team:data', group: 'sales', kind: 'model', description: 'Accounts per region and segment',
    sql: 'select region, segment, count(*) as accounts\nfrom raw.accounts\ngroup by region, segment\norder by region, segment',
    checks: [rowCount({ min: 1 })], freshness: { maxAge: '30d' },
  })
  const salesByRegion = sqlAsset({
    key: 'marts/sales_by_region', owner: 'team:data', group: 'sales', kind: 'model', description: 'Paid order value per region',
    sql: "select region, count(*) as orders, sum(amount) as revenue\nfrom raw.orders\nwhere status = 'paid'\ngroup by region",
    checks: [rowCount({ min: 1 })],
  })
  const revenue = sqlAsset({
    key: 'marts/revenue', owner: 'team:finance', group: 'finance', kind: 'model', description: 'Revenue net of refunds',
    sql: 'select o.region, sum(p.amount * fx.rate) - coalesce(sum(r.amount), 0) as revenue\nfrom raw.orders o\njoin raw.payments p using (order_id)\njoin raw.fx_rates fx on fx.currency = p.currency\nleft join raw.refunds r using (order_id)\ngroup by o.region',
  })
  const sales = defineAsset({
    key: 'dashboards/sales', ins: { byRegion, salesByRegion }, owner: 'team:bi', kind: 'dashboard', group: 'sales', description: 'Sales dashboard',
    async materialize({ salesByRegion }, ctx) {
      await sleep(30)
      return ctx.warehouse.query(`select * from ${salesByRegion.table}`)
    },
  })
  const revenueBoard = defineAsset({
    key: 'dashboards/revenue', ins: { revenue }, owner: 'team:bi', kind: 'dashboard', group: 'finance', description: 'Daily revenue for the leadership team',
    async materialize({ revenue }, ctx) {
      return ctx.warehouse.query(`select * from ${revenue.table}`)
    },
  })
  const report = sqlAsset({
    key: 'reports/regions', owner: 'team:bi', tags: ['business'], group: 'sales', description: 'Monthly regional accounts report',
    sql: 'select region, sum(accounts) as accounts\nfrom marts.accounts_by_region\ngroup by region\norder by region',
  })
  const extract = sqlAsset({
    key: 'extracts/finance_daily', owner: 'team:finance', kind: 'extract', group: 'finance', description: 'Nightly extract for the finance system',
    sql: 'select region, orders, revenue from marts.sales_by_region',
  })
  const heartbeat = defineAsset({ key: 'ops/heartbeat', owner: 'alice@example.com', group: 'ops', async materialize() { return [{ ok: true }] } })
  return [crm, fxExport, fx, accounts, orders, refunds, payments, byRegion, salesByRegion, revenue, sales, revenueBoard, report, extract, heartbeat]
}

/** Everything but dashboards/sales, which the test materializes from the UI. */
export const DEMO_HISTORY_SELECTION = '+marts/accounts_by_region +raw/fx_rates reports/regions raw/orders raw/refunds raw/payments+ marts/sales_by_region extracts/finance_daily ops/heartbeat'

/**
 * Opens the demo project and lays down six daily runs of history (the last a few hours ago).
 * The CRM export is written afterwards, so the assets reading it show as stale.
 */
export async function openDemoProject(dir?: string) {
  const clock = new ShiftedClock()
  const project = await openProject({ name: 'acme-analytics', assets: demoAssets() }, { clock, ...(dir ? { dir } : {}) })
  await mkdir(join(project.dir, 'landing', 'crm'), { recursive: true })
  await writeFile(join(project.dir, 'landing', 'crm', 'accounts.csv'), DEMO_CRM_CSV)
  // The treasury's drop stopped three days ago: its source is late.
  await mkdir(join(project.dir, 'landing', 'fx'), { recursive: true })
  const fxFile = join(project.dir, 'landing', 'fx', 'rates.csv')
  await writeFile(fxFile, 'currency,rate\nEUR,1.0\nUSD,0.92\nGBP,1.17\n')
  const threeDaysAgo = new Date(Date.now() - 75 * 3_600_000)
  await utimes(fxFile, threeDaysAgo, threeDaysAgo)
  for (const [i, hoursAgo] of [150, 126, 102, 78, 54, 30, 5].entries()) {
    clock.offset = -hoursAgo * 3_600_000
    await project.instance.materialize(i === 0 ? DEMO_HISTORY_SELECTION : DEMO_HISTORY_SELECTION.replace('+marts/accounts_by_region +raw/fx_rates ', 'marts/accounts_by_region '), { trigger: i % 2 ? 'schedule' : 'daemon' })
  }
  clock.offset = 0
  return { ...project, clock }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
