// A browser on `serve` while a terminal runs `tributary materialize` (real processes, real HTTP, real
// Chromium): the run appears live, and a browser whose event stream drops mid-run misses nothing
// when it reconnects with Last-Event-ID. The same without a browser: control-plane.test.ts.
import assert from 'node:assert/strict'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ensureUiBuilt, launchBrowser, newPage } from './helpers/browser.js'
import { background, stop, writeControlProject } from './helpers/control-plane-project.js'
import { openEvents } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

/**
 * A TCP proxy in front of `serve`, so a test can cut the browser's connections (as a network
 * drop or a restarted proxy would) and keep it cut, then let it through again. It records the
 * head of every request and the last SSE `id:` it forwarded.
 */
async function startProxy(port: number) {
  const sockets = new Set<Socket>()
  const heads: string[] = []
  let lastId: string | undefined
  let cut = false
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy()
    const upstream = connect(port, '127.0.0.1')
    sockets.add(client).add(upstream)
    let head = true
    client.on('data', (chunk: Buffer) => {
      if (head) heads.push(chunk.toString('latin1').split('\r\n\r\n')[0]!)
      head = false
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('utf8').matchAll(/^id: (\d+)$/gm)) lastId = match[1]
      client.write(chunk)
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    heads,
    lastId: () => lastId,
    /** Destroys every open connection and refuses new ones until `restore()`. */
    cut() {
      cut = true
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    restore() {
      cut = false
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}

/** The page's live-stream state (ui/src/live.ts exposes it for tests). */
const live = (page: Page) => page.evaluate(() => (globalThis as unknown as { __tributaryLive(): { connection: string; received: number } }).__tributaryLive())

describe('control plane in the browser: serve + a terminal', () => {
  let browser: Browser
  let project: Awaited<ReturnType<typeof tempDir>>
  let served: ReturnType<typeof background>
  let url: string
  before(async () => {
    ensureUiBuilt()
    browser = await launchBrowser()
    project = await tempDir('ui-control-')
    await writeControlProject(project.dir)
    served = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
    url = (await served.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
  })
  after(async () => {
    await browser?.close()
    if (served) assert.equal(await stop(served.child, served.exited), 0, served.output.stderr)
    await project?.cleanup()
  })

  test('materialize from a terminal appears live in a browser opened before it: the run, its running step and its log; the CLI exits 0', async () => {
    const { page, problems } = await newPage(browser)
    try {
      await page.goto(`${url}/runs`)
      await page.waitForSelector('text=Runs')
      await page.waitForFunction(() => (globalThis as unknown as { __tributaryLive(): { connection: string } }).__tributaryLive().connection === 'live')
      const terminal = background(['materialize', 'tag:ok', '--project', project.dir])
      await terminal.waitFor(/running raw\/gated/)
      const runId = (await terminal.waitFor(/run (\d{8}-\d{6}-[0-9a-f]{6})/))[1]!
      // The browser, opened before the run began, lists it live; its page shows the step running and its log.
      await page.locator(`a[href="/runs/${runId}"]`).first().click()
      await page.locator('[data-step="raw/gated"][data-status="running"]').waitFor()
      await page.locator('.log-line', { hasText: 'waiting for the gate' }).waitFor()

      await writeFile(join(project.dir, 'gate'), '')
      const [code] = await terminal.exited
      assert.equal(code, 0, terminal.output.stderr)
      assert.match(terminal.output.stderr, /submitted to the control plane of this project \(tributary serve/)
      assert.match(terminal.output.stdout, new RegExp(`succeeded run ${runId}: 2 succeeded`))
      await page.locator('[data-step="raw/gated"][data-status="succeeded"]').waitFor()
      await page.locator('.log-line', { hasText: 'through the gate' }).waitFor()
      assert.equal(await page.locator('.log-line[data-stream="stdout"]', { hasText: 'printed by first' }).locator('.log-stream').textContent(), 'stdout')
      assert.deepEqual(problems, [])
    } finally {
      await page.context().close()
    }
  })

  test("a browser whose event stream is cut mid-run reconnects with Last-Event-ID and shows every event written meanwhile, each once", async () => {
    const proxy = await startProxy(Number(new URL(url).port))
    // The test's own stream, straight to serve: what the browser should end up with.
    const events = await openEvents(url)
    const { page } = await newPage(browser)
    try {
      await page.goto(`${proxy.url}/runs`)
      await page.waitForFunction(() => (globalThis as unknown as { __tributaryLive(): { connection: string } }).__tributaryLive().connection === 'live')
      const before = (await live(page)).received
      const terminal = background(['materialize', 'tag:chatty', '--project', project.dir])
      const runId = (await terminal.waitFor(/run (\d{8}-\d{6}-[0-9a-f]{6})/))[1]!
      await page.locator(`a[href="/runs/${runId}"]`).first().click()
      await page.locator('.log-line', { hasText: 'chatty before the outage' }).waitFor()
      const resumeAfter = proxy.lastId()
      assert.ok(resumeAfter, 'the browser received events with ids')

      // Cut: the browser's stream (and every request) fails until the proxy lets it through again.
      proxy.cut()
      await page.waitForFunction(() => (globalThis as unknown as { __tributaryLive(): { connection: string } }).__tributaryLive().connection === 'reconnecting')
      const headsBefore = proxy.heads.length
      await writeFile(join(project.dir, 'chatty-1'), '')
      // Written while the browser is away: five log lines (serve's own stream sees them).
      await events.waitFor((item) => 'event' in item && item.data.type === 'log' && 'message' in item.data && item.data.message === 'chatty during the outage 5')

      proxy.restore()
      // Only the replay can bring these lines now: the step is still running, so nothing makes the page refetch the run.
      for (let i = 1; i <= 5; i++) await page.locator('.log-line', { hasText: `chatty during the outage ${i}` }).waitFor()
      assert.equal(await page.locator('[data-step="raw/chatty"]').getAttribute('data-status'), 'running')
      const resumed = proxy.heads.slice(headsBefore).filter((head) => head.startsWith('GET /api/events'))
      assert.ok(resumed.some((head) => new RegExp(`^last-event-id: ${resumeAfter}$`, 'im').test(head) || head.includes(`lastEventId=${resumeAfter}`)),
        `the reconnect resumed after event ${resumeAfter}:\n${resumed.join('\n---\n')}`)

      await writeFile(join(project.dir, 'chatty-2'), '')
      const [code] = await terminal.exited
      assert.equal(code, 0, terminal.output.stderr)
      await page.locator('[data-step="raw/chatty"][data-status="succeeded"]').waitFor()
      await page.locator('.log-line', { hasText: 'chatty after the outage' }).waitFor()
      for (let i = 1; i <= 5; i++) assert.equal(await page.locator('.log-line', { hasText: `chatty during the outage ${i}` }).count(), 1, `line ${i} shown once`)

      // Every event of the run reached the page exactly once: as many as serve's own stream carried.
      await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId)
      const expected = events.events().filter((e) => 'runId' in e.data && e.data.runId === runId).length
      await page.waitForFunction((n) => (globalThis as unknown as { __tributaryLive(): { received: number } }).__tributaryLive().received >= n, before + expected)
      assert.equal((await live(page)).received - before, expected)
    } finally {
      events.close()
      await page.context().close()
      await proxy.close()
    }
  })
})
