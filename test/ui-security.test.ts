// The UI in Chromium under the server's CSP: `?token=` is read, then removed from the address
// bar; the page keeps working (API calls and the live stream) without a CSP violation.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { startServer, type RunningServer } from '../src/server/server.js'
import { ensureUiBuilt, launchBrowser, newPage } from './helpers/browser.js'
import { CRM_CSV, catalogAssets } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const TOKEN = 'ui-security-operator-token-0123456789'

describe('web UI: token in the address, CSP', () => {
  let browser: Browser
  let p: Awaited<ReturnType<typeof openProject>>
  let server: RunningServer
  before(async () => {
    const uiDir = ensureUiBuilt()
    browser = await launchBrowser()
    p = await openProject({ assets: catalogAssets() })
    await mkdir(join(p.dir, 'landing', 'crm'), { recursive: true })
    await writeFile(join(p.dir, 'landing', 'crm', 'accounts.csv'), CRM_CSV)
    server = await startServer({ instance: () => p.instance, port: 0, uiDir, auth: { operatorToken: TOKEN }, log: () => undefined })
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await p?.close()
  })

  test('?token= is adopted, then gone from the address bar and history; the page works live under the CSP', async () => {
    const { page, context, problems } = await newPage(browser)
    const csp: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) csp.push(message.text())
    })
    try {
      await page.goto(`${server.url}/assets/raw/accounts?tab=x&token=${TOKEN}#top`)
      assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token left the address bar')
      assert.match(page.url(), /\/assets\/raw\/accounts\?tab=x#top$/, 'the rest of the address is kept')
      await page.click('nav a:has-text("Catalog")')
      await page.waitForSelector('tr[data-key="raw/accounts"]')
      await page.waitForSelector('.connection[data-connection="live"]')
      await page.goBack()
      assert.match(page.url(), /\/assets\/raw\/accounts\?tab=x#top$/, 'going back does not bring the token back')
      // The token is remembered: a reload without it still reads the API.
      await page.reload()
      await page.waitForSelector('.connection[data-connection="live"]')
      assert.deepEqual(csp, [])
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })
})
