// Screens that misled (issue 10, item 23), in a real browser against the real server over the demo
// project: the catalog's Why column fits at common widths, the asset page shows code as written,
// and an unknown asset address costs one request and says so in words.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { startServer, type RunningServer } from '../src/server/server.js'
import { ensureUiBuilt, launchBrowser, newPage, openDemoProject, screenshot } from './helpers/browser.js'

describe('web UI: screens that misled', () => {
  let browser: Browser
  let demo: Awaited<ReturnType<typeof openDemoProject>>
  let server: RunningServer
  before(async () => {
    const uiDir = ensureUiBuilt()
    browser = await launchBrowser()
    demo = await openDemoProject()
    server = await startServer({ instance: () => demo.instance, port: 0, uiDir, auth: {}, log: () => undefined })
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await demo?.close()
  })

  for (const width of [1280, 1440, 1920]) {
    test(`catalog at ${width} px: the table fits its card and no cell is cut off, the Why column included`, async () => {
      const { page, context, problems } = await newPage(browser, { width, height: 900 })
      try {
        await page.goto(`${server.url}/`)
        await page.waitForSelector('tr[data-key="raw/payments"] .reason-cell')
        const layout = await page.$eval('.table-card', (card) => {
          const table = card.querySelector('.catalog-table')!
          const clipped = [...table.querySelectorAll('td')]
            .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
            .map((cell) => `${cell.closest('tr')?.getAttribute('data-key')}: ${cell.textContent}`)
          const reasons = [...table.querySelectorAll('td.reason-cell')].map((cell) => cell.getBoundingClientRect())
          const box = card.getBoundingClientRect()
          return { cardRight: box.right, cardWidth: box.width, tableWidth: table.getBoundingClientRect().width, clipped, reasonsRight: Math.max(...reasons.map((r) => r.right)) }
        })
        assert.ok(layout.tableWidth <= layout.cardWidth + 1, `the table (${layout.tableWidth} px) fits its card (${layout.cardWidth} px)`)
        assert.ok(layout.reasonsRight <= layout.cardRight + 1, 'the Why column ends inside the card')
        assert.deepEqual(layout.clipped, [], 'no cell is wider than its column')
        // The longest reason is there in full, wrapped, not ellipsized.
        const reason = await page.textContent('tr[data-key="marts/revenue"] .reason-cell')
        const visible = await page.$eval('tr[data-key="marts/revenue"] .reason-cell', (cell) => cell.ownerDocument.defaultView!.getComputedStyle(cell).whiteSpace)
        assert.ok(reason && reason.length > 40, `marts/revenue has a long reason: ${reason}`)
        assert.equal(visible, 'normal', 'the reason wraps')
        await screenshot(page, `catalog-${width}`)
        assert.deepEqual(problems, [])
      } finally {
        await context.close()
      }
    })
  }

  test('the Code card shows materialize as written, not as the transpiler rewrote it', async () => {
    const { page, context, problems } = await newPage(browser)
    try {
      await page.goto(`${server.url}/assets/raw/accounts`)
      await page.waitForSelector('pre.code')
      const code = (await page.textContent('pre.code')) ?? ''
      // The demo declares `const crm = defineSource(…)` and then `materialize({ crm }, ctx)`: esbuild renames the parameter.
      const def = demo.instance.graph.get('raw/accounts').def
      assert.match(def.type === 'asset' ? def.materialize.toString() : '', /crm2|__name/, 'the function text differs from the source (else this proves nothing)')
      assert.equal(code, 'async materialize({ crm }, ctx) {\n  await ctx.loadCsv(crm.files)\n}')
      await screenshot(page, 'asset-code')
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  test('an unknown asset address: one request, and a message for a person', async () => {
    const { page, context } = await newPage(browser)
    try {
      const notFound: string[] = []
      page.on('response', (response) => {
        if (response.status() === 404) notFound.push(new URL(response.url()).pathname)
      })
      await page.goto(`${server.url}/assets/raw/no_such_table`)
      await page.waitForSelector('[data-testid="unknown-asset"]')
      // Give any request the page would still make the time to show up: wait for the live connection.
      await page.waitForSelector('.connection[data-connection="live"]')
      assert.deepEqual(notFound, ['/api/assets/raw/no_such_table'])
      const text = (await page.textContent('[data-testid="unknown-asset"]')) ?? ''
      assert.match(text, /There is no asset called raw\/no_such_table in this project/)
      assert.doesNotMatch(await page.textContent('main, body') ?? '', /GET \/api|TRB\d{4}/, 'no API hint or error code for a browser user')
      await screenshot(page, 'asset-unknown')
      await page.click('[data-testid="unknown-asset"] a:has-text("Search the catalog")')
      await page.waitForURL(/\/\?q=no_such_table$/)
    } finally {
      await context.close()
    }
  })
})
