import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { evaluateAlerts } from '../src/alerts/alert-engine.js'
import { createDeliverer, type DelivererOptions } from '../src/alerts/deliverer.js'
import { createSinks, type Sink, type SlackPayload } from '../src/alerts/sinks/index.js'
import type { AssetStatusRecord } from '../src/engine/status.js'
import { buildGraphOrThrow } from '../src/graph/build-graph.js'
import type { AlertsConfig } from '../src/model/alerts.js'
import { defineAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { defineSource, files } from '../src/model/source.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'

const NOW = new Date('2026-03-02T06:00:00Z')
const noop = () => []

// landing/crm (team:crm) → raw/crm → dashboards/pipeline; landing/erp (team:erp) → raw/erp
const landingCrm = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { maxAge: '26h' }, observe: files('landing/crm/*.csv') })
const rawCrm = defineAsset({ key: 'raw/crm', ins: { landingCrm }, materialize: noop })
const dashboard = defineAsset({ key: 'dashboards/pipeline', kind: 'dashboard', io: 'none', ins: { rawCrm }, materialize: noop })
const landingErp = defineSource({ key: 'landing/erp', owner: 'team:erp', freshness: { maxAge: '26h' }, observe: files('landing/erp/*.csv') })
const rawErp = defineAsset({ key: 'raw/erp', ins: { landingErp }, materialize: noop })
const graph = buildGraphOrThrow(defineProject({ name: 'sinks', assets: [landingCrm, rawCrm, dashboard, landingErp, rawErp] }))

/** A source 30 hours old: late, its own root cause. */
function lateSource(key: string, owner: string): AssetStatusRecord {
  const message = 'last updated 30h 0m ago, older than maxAge 26h'
  const link = { key, status: 'late' as const, owner, message }
  return { key, status: 'late', ready: false, reasons: [{ type: 'late', message }], chain: [link], rootCause: link, owner, lastUpdated: new Date(NOW.getTime() - 30 * 3_600_000), lastRunId: null }
}

const late = new Map([['landing/crm', lateSource('landing/crm', 'team:crm')]])
const bothLate = new Map([...late, ['landing/erp', lateSource('landing/erp', 'team:erp')]])

/** An HTTP receiver on 127.0.0.1 that answers with the given statuses in turn (the last one repeats), or never when 'hang'. */
async function receiver(answers: readonly (number | 'hang')[]): Promise<{ url: string; bodies: SlackPayload[]; close: () => Promise<void> }> {
  const bodies: SlackPayload[] = []
  let served = 0
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    let text = ''
    for await (const chunk of request) text += chunk
    bodies.push(JSON.parse(text) as SlackPayload)
    const answer = answers[Math.min(served++, answers.length - 1)]!
    if (answer === 'hang') return
    response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'oops')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/T000/B000/secret`,
    bodies,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('alerts: sinks, retries and delivery records', () => {
  let dir: string
  let store: SqliteAutomationStore
  const closers: (() => Promise<void>)[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trb-alert-sinks-'))
    store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
    await store.migrate()
  })
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  function evaluate(statuses: ReadonlyMap<string, AssetStatusRecord>, config: AlertsConfig, options: Partial<DelivererOptions> & { extraSinks?: Sink[]; now?: Date } = {}) {
    const sinks = [...createSinks(config.sinks, { logWriter: () => undefined }), ...(options.extraSinks ?? [])]
    return evaluateAlerts({
      graph, statuses, sla: new Map(), drift: new Map(), store, config, now: options.now ?? NOW,
      deliver: createDeliverer({ store, sinks, backoffMs: 1, ...options }),
    })
  }

  test('a webhook answering 500 twice, then 200, gets three attempts, each recorded; the body is Slack-compatible', async () => {
    const hook = await receiver([500, 500, 200])
    closers.push(hook.close)
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }] }

    const incident = (await evaluate(late, config)).opened[0]!

    const deliveries = await store.listDeliveries(incident.id)
    assert.deepEqual(deliveries.map((d) => [d.sink, d.event, d.attempt, d.ok, d.error]), [
      ['slack', 'opened', 1, false, 'webhook answered HTTP 500: oops'],
      ['slack', 'opened', 2, false, 'webhook answered HTTP 500: oops'],
      ['slack', 'opened', 3, true, null],
    ])
    assert.ok(deliveries.every((d) => !d.error?.includes('secret')), 'the webhook URL carries a secret and is never recorded')
    assert.equal(hook.bodies.length, 3)
    const body = hook.bodies[2]!
    assert.match(body.text, /incident #\d+ opened: warning source_late on landing\/crm \(owner team:crm\): landing\/crm is late: last updated 30h 0m ago/)
    const blocks = JSON.stringify(body.blocks)
    for (const part of ['*Asset*\\nlanding/crm', '*Condition*\\nsource_late', '*Severity*\\nwarning', '*Owner*\\nteam:crm', '*Affected outputs*\\n• dashboards/pipeline']) {
      assert.ok(blocks.includes(part), `the blocks carry ${part}`)
    }
    assert.equal(body.blocks[0]!.type, 'header')
    assert.equal(body.tributary.incident.id, incident.id)
    assert.equal(body.tributary.event, 'opened')

    // Recovery is announced with its resolution.
    const fresh: AssetStatusRecord = { ...lateSource('landing/crm', 'team:crm'), status: 'fresh', ready: true, reasons: [], chain: [], rootCause: null, lastUpdated: NOW }
    await evaluate(new Map([['landing/crm', fresh]]), config, { now: new Date(NOW.getTime() + 60_000) })
    const resolved = hook.bodies.at(-1)!
    assert.equal(resolved.tributary.event, 'resolved')
    assert.match(JSON.stringify(resolved.blocks), /\*Resolution\*\\nrecovered: landing\/crm is fresh again at 2026-03-02T06:01:00.000Z/)
  })

  test('a command sink gets the incident as JSON on stdin; a non-zero exit is a recorded failure', async () => {
    const out = join(dir, 'notification.json')
    const script = "const fs = require('fs'); fs.writeFileSync(process.argv[1], JSON.stringify({ stdin: JSON.parse(fs.readFileSync(0, 'utf8')), event: process.env.TRIBUTARY_EVENT }))"
    const failing = "process.stderr.write('no pager configured'); process.exit(3)"
    const config: AlertsConfig = {
      sinks: [
        { type: 'command', name: 'pager', command: process.execPath, args: ['-e', script, out] },
        { type: 'command', name: 'broken-pager', command: process.execPath, args: ['-e', failing] },
      ],
    }

    const incident = (await evaluate(late, config, { attempts: 3 })).opened[0]!

    const written = JSON.parse(await readFile(out, 'utf8')) as { stdin: { event: string; incident: { id: number; assetKey: string; owner: string; affected: string[] } }; event: string }
    assert.equal(written.event, 'opened')
    assert.equal(written.stdin.event, 'opened')
    assert.deepEqual([written.stdin.incident.id, written.stdin.incident.assetKey, written.stdin.incident.owner, written.stdin.incident.affected], [incident.id, 'landing/crm', 'team:crm', ['dashboards/pipeline']])
    const deliveries = await store.listDeliveries(incident.id)
    assert.deepEqual(deliveries.filter((d) => d.sink === 'pager').map((d) => [d.attempt, d.ok]), [[1, true]])
    const broken = deliveries.filter((d) => d.sink === 'broken-pager')
    assert.deepEqual(broken.map((d) => [d.attempt, d.ok]), [[1, false], [2, false], [3, false]])
    assert.match(broken[0]!.error!, /exited with code 3: no pager configured$/)
  })

  test('sinks that always fail, hang or throw neither throw nor hold up the other sinks or the other incidents', async () => {
    const good = await receiver([200])
    const hanging = await receiver(['hang'])
    closers.push(good.close, hanging.close)
    const config: AlertsConfig = {
      sinks: [
        { type: 'webhook', name: 'refused', url: `http://127.0.0.1:${await closedPort()}/hook` },
        { type: 'webhook', name: 'hanging', url: hanging.url },
        { type: 'webhook', name: 'good', url: good.url },
        { type: 'command', name: 'missing', command: join(dir, 'no-such-command') },
        { type: 'log', name: 'log' },
      ],
    }
    const throwing: Sink = { name: 'throwing', send: () => { throw new Error('a bug in the sink') } }

    const started = performance.now()
    const report = await evaluate(bothLate, config, { attempts: 3, timeoutMs: 500, extraSinks: [throwing] })
    const elapsed = performance.now() - started

    assert.equal(report.opened.length, 2)
    assert.ok(elapsed < 6000, `bounded by attempts × timeout, not by the hanging receiver (took ${elapsed.toFixed(0)} ms)`)
    // At least once: on a loaded machine an answer can miss the 500 ms limit and be sent again, never lost.
    assert.deepEqual(new Set(good.bodies.map((body) => body.tributary.incident.id)), new Set(report.opened.map((incident) => incident.id)), 'both incidents reached the good webhook')
    for (const incident of report.opened) {
      const bySink = new Map<string, [number, boolean, string | null][]>()
      for (const d of await store.listDeliveries(incident.id)) bySink.set(d.sink, [...(bySink.get(d.sink) ?? []), [d.attempt, d.ok, d.error]])
      assert.equal(bySink.get('good')?.at(-1)?.[1], true, 'the good webhook took it')
      assert.deepEqual(bySink.get('log'), [[1, true, null]])
      for (const failing of ['refused', 'hanging', 'missing', 'throwing']) {
        assert.deepEqual(bySink.get(failing)?.map(([attempt, ok]) => [attempt, ok]), [[1, false], [2, false], [3, false]], `${failing} was tried three times`)
      }
      assert.match(bySink.get('refused')![0]![2]!, /^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/)
      assert.equal(bySink.get('hanging')![0]![2], 'timed out after 500 ms')
      assert.match(bySink.get('missing')![0]![2]!, /could not run: spawn .* ENOENT/)
      assert.equal(bySink.get('throwing')![0]![2], 'a bug in the sink')
    }
  })
})
