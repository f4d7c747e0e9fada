// The Workers page in Chromium: `serve` on a project with a PostgreSQL store and `executor:
// queue()`, a real `tributary worker` process running a step; the page shows who it is and what it runs.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { fleetVersion } from '../src/execution/queue/step-queue-of.js'
import { Tributary } from '../src/instance/tributary.js'
import { ensureUiBuilt, launchBrowser, newPage } from './helpers/browser.js'
import { background, stop } from './helpers/control-plane-project.js'
import { startWorker, writeFleetProject } from './helpers/fleet.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

// Runs until the test writes ./gate, so the worker is caught mid-step.
const ASSETS = (dir: string) => `const gate = ${JSON.stringify(join(dir, 'gate'))}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const assets: AnyNode[] = [
  defineAsset({ key: 'sales/daily_orders', io: 'none', async materialize() {
    const { existsSync } = await import('node:fs')
    while (!existsSync(gate)) await sleep(20)
  } }),
]`

describe('the Workers page with a real worker on PostgreSQL', () => {
  let browser: Browser
  let database: Awaited<ReturnType<typeof createDatabase>>
  let project: Awaited<ReturnType<typeof tempDir>>
  let instance: Tributary
  let served: ReturnType<typeof background>
  let url: string
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    ensureUiBuilt()
    browser = await launchBrowser()
    database = await createDatabase()
    project = await tempDir('ui-workers-')
    await writeFleetProject(project.dir, ASSETS(project.dir))
    process.env.TRIBUTARY_DATABASE_URL = database.url
    instance = await Tributary.open({ projectDir: project.dir, settings: { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 200 } })
    served = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
    url = (await served.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
  })
  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined)
    await browser?.close()
    if (served) await stop(served.child, served.exited)
    await instance?.close()
    await project?.cleanup()
    await database?.drop()
  })

  test("lists the worker with its host, pid, version and the step it runs, linked to its run; idle once the step ends", async () => {
    const worker = await startWorker(project.dir, database.url, ['--concurrency', '2', '--pools', 'warehouse=1'])
    const started = instance.start()
    const { page, problems } = await newPage(browser)
    try {
      await page.goto(`${url}/workers`)
      const row = page.locator(`[data-worker="${worker.id}"]`)
      await row.locator('a', { hasText: 'sales/daily_orders' }).waitFor({ timeout: 30_000 })
      const cells = await row.locator('td').allTextContents()
      assert.equal(cells.length, 7)
      assert.ok(cells.includes(hostname()), `host ${hostname()} in ${JSON.stringify(cells)}`)
      assert.ok(cells.includes(String(worker.child.pid)), `pid ${worker.child.pid} in ${JSON.stringify(cells)}`)
      const [tributary, code] = fleetVersion(instance.graph).split('+')
      assert.ok(cells.includes(`Tributary ${tributary}code ${code}`), `version ${tributary} and code ${code} in ${JSON.stringify(cells)}`)
      assert.ok(cells.includes(`${worker.id}up to 2 steps at oncepool warehouse: at most 1`), `id and capacity in ${JSON.stringify(cells)}`)
      assert.match(await row.textContent() ?? '', /running/)
      assert.match(await row.locator('[title^="Running since"]').getAttribute('title') ?? '', /takes steps from the queue/)
      assert.equal(await row.locator('a', { hasText: 'sales/daily_orders' }).getAttribute('href'), `/runs/${started.runId}`)
      assert.equal(await page.locator('[data-testid="other-code"]').count(), 0, 'no warning while every worker runs this version')

      // A worker started from other code (an edited asset): flagged on its row and above the table.
      const other = await tempDir('ui-workers-other-')
      cleanups.unshift(other.cleanup)
      await writeFleetProject(other.dir, ASSETS(project.dir).replace('await sleep(20)', 'await sleep(25)'))
      const stale = await startWorker(other.dir, database.url)
      cleanups.unshift(async () => {
        stale.child.kill('SIGTERM')
        await stale.exited
      })
      await page.locator('[data-testid="other-code"]', { hasText: '1 running worker runs another version than this project' }).waitFor({ timeout: 30_000 })
      const flagged = page.locator(`[data-worker="${stale.id}"] [data-testid="other-code-worker"]`)
      assert.equal(await flagged.textContent(), `other code than this project (${code})`)
      assert.equal(await row.locator('[data-testid="other-code-worker"]').count(), 0)
      await page.screenshot({ path: '/tmp/scale/workers.png' })
      await writeFile(join(project.dir, 'gate'), '')
      assert.equal((await started.done).status, 'succeeded')
      // The page asks again on a timer (heartbeats write no events).
      await row.locator('td', { hasText: 'idle' }).waitFor({ timeout: 30_000 })
      // A worker that stops says so; the state explains itself on hover.
      worker.child.kill('SIGTERM')
      await worker.exited
      const stopped = row.locator('[data-status="skipped"]', { hasText: 'stopped' })
      await stopped.waitFor({ timeout: 30_000 })
      assert.match(await stopped.getAttribute('title') ?? '', /^Stopped cleanly at .*, after finishing its steps$/)
      assert.equal(await page.locator('[data-testid="other-code"]', { hasText: '1 running worker' }).count(), 1, 'the banner still counts the running worker of other code')
      assert.deepEqual(problems, [])
    } finally {
      await page.context().close()
      worker.child.kill('SIGTERM')
      await worker.exited
    }
  })
})
