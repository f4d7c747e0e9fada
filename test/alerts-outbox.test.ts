// The alert outbox: notifications kept in the store until a sink takes them, retried across passes, resolves by hand included.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { evaluateAlerts } from '../src/alerts/alert-engine.js'
import { createDeliverer, type DelivererOptions } from '../src/alerts/deliverer.js'
import { resolveByHand } from '../src/alerts/manual-resolve.js'
import { createSinks } from '../src/alerts/sinks/index.js'
import type { AssetStatusRecord } from '../src/engine/status.js'
import { ManualClock } from '../src/engine/clock.js'
import type { AlertsConfig } from '../src/model/alerts.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { alertGraph, freshCrm, lateCrm, receiver, landingCrm, rawCrm, dashboard } from './helpers/alert-world.js'
import { serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const T0 = new Date('2026-03-02T06:00:00Z')
const MINUTE = 60_000

describe('alerts: the outbox', () => {
  let dir: string
  let store: SqliteAutomationStore
  let clock: ManualClock
  const closers: (() => Promise<void>)[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trb-alert-outbox-'))
    store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
    await store.migrate()
    clock = new ManualClock(T0)
  })
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** One daemon tick at the clock's time (the ManualClock's sleeps move it on). */
  function tick(statuses: ReadonlyMap<string, AssetStatusRecord>, config: AlertsConfig, options: Partial<DelivererOptions> = {}) {
    return evaluateAlerts({
      graph: alertGraph, statuses, sla: new Map(), drift: new Map(), store, config, now: clock.now(),
      deliver: createDeliverer({ store, sinks: createSinks(config.sinks), clock, ...options }),
    })
  }

  test('a webhook down for longer than one pass keeps the notification pending; a later tick delivers it, under the same delivery id', async () => {
    const hook = await receiver([500, 500, 500, 200])
    closers.push(hook.close)
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }] }

    const first = await tick(lateCrm(clock.now()), config)
    const incident = first.opened[0]!
    // 1 s then 2 s of backoff fit in the pass's 5 s hold; the next (about 4 s later) does not.
    assert.equal(hook.received.length, 3)
    assert.deepEqual(first.delivery.retrying.map((e) => [e.sink, e.event, e.attempts]), [['slack', 'opened', 3]])
    const [pending] = await store.listOutbox({ status: 'pending' })
    assert.ok(pending && pending.nextAttemptAt.getTime() > clock.now().getTime(), 'the retry is scheduled, not dropped')

    clock.advance(MINUTE)
    const second = await tick(lateCrm(clock.now()), config)
    assert.deepEqual(second.opened, [], 'the same incident: not opened again')
    assert.deepEqual(second.delivery.delivered.map((e) => [e.sink, e.event, e.attempts]), [['slack', 'opened', 4]])
    assert.deepEqual((await store.listDeliveries(incident.id)).map((d) => [d.attempt, d.ok]), [[1, false], [2, false], [3, false], [4, true]])
    assert.deepEqual(new Set(hook.received.map((r) => r.deliveryId)), new Set([String(pending.id)]), 'every retry names the same delivery')
    assert.deepEqual(await store.countOutbox(), { pending: 0, delivered: 1, exhausted: 0 })
  })

  test('retries back off exponentially with jitter, capped; after `attempts` the entry is exhausted, listed, and never tried again', async () => {
    const hook = await receiver([503])
    closers.push(hook.close)
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }] }
    const options = { attempts: 6, backoffMs: 1000, maxBackoffMs: 6000, holdMs: 60 * MINUTE }

    await tick(lateCrm(clock.now()), config, options)

    const [entry] = await store.listOutbox()
    assert.equal(entry!.status, 'exhausted')
    assert.equal(entry!.attempts, 6)
    assert.equal(entry!.lastError, 'webhook answered HTTP 503: try later')
    const times = (await store.listDeliveries(entry!.incidentId)).map((d) => d.at.getTime())
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    // 1 s, 2 s, 4 s, then capped at 6 s, each ±20%.
    for (const [gap, base] of gaps.map((g, i) => [g, Math.min(6000, 1000 * 2 ** i)] as const)) assert.ok(gap >= base * 0.8 && gap <= Math.min(6000, base * 1.2), `gap ${gap} ms around ${base} ms`)
    assert.deepEqual(await store.countOutbox(), { pending: 0, delivered: 0, exhausted: 1 })

    clock.advance(20 * MINUTE)
    await tick(lateCrm(clock.now()), config, options)
    assert.equal(hook.received.length, 6, 'an exhausted entry is not retried')
  })

  test('a resolved announcement never overtakes the opened one it closes', async () => {
    const hook = await receiver([500, 500, 500, 500, 200])
    closers.push(hook.close)
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }] }

    await tick(lateCrm(clock.now()), config)
    clock.advance(MINUTE)
    const second = await tick(freshCrm(clock.now()), config)
    assert.equal(second.resolved.length, 1, 'resolved (queued)')
    assert.deepEqual(hook.events(), ['opened', 'opened', 'opened', 'opened'], 'resolved waits while opened is failing')

    clock.advance(MINUTE)
    await tick(freshCrm(clock.now()), config)
    assert.deepEqual(hook.events().slice(4), ['opened', 'resolved'])
    assert.deepEqual(await store.countOutbox(), { pending: 0, delivered: 2, exhausted: 0 })
  })

  test('a resolve by hand is queued with the change and announced; what the sink refuses, the next tick retries', async () => {
    const hook = await receiver([200, 500, 200])
    closers.push(hook.close)
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }] }
    const incident = (await tick(lateCrm(clock.now()), config)).opened[0]!

    clock.advance(MINUTE)
    const result = await resolveByHand({ store, id: incident.id, message: 're-sent the CRM export', config, clock, holdMs: 0 })
    assert.equal(result?.resolved, true)
    assert.equal(result.incident.status, 'resolved')
    assert.deepEqual(result.delivery.retrying.map((e) => [e.event, e.attempts, e.lastError]), [['resolved', 1, 'webhook answered HTTP 500: try later']])
    const again = await resolveByHand({ store, id: incident.id, message: 'again', config, clock, holdMs: 0 })
    assert.equal(again?.resolved, false, 'resolving twice announces once')

    clock.advance(MINUTE)
    await tick(freshCrm(clock.now()), config)
    assert.deepEqual(hook.events(), ['opened', 'resolved', 'resolved'])
    assert.equal(hook.received[2]!.body.tributary.incident.resolution, 're-sent the CRM export')
    assert.deepEqual((await store.listDeliveries(incident.id)).map((d) => [d.event, d.attempt, d.ok]), [['opened', 1, true], ['resolved', 1, false], ['resolved', 2, true]])
  })

  test('a sink removed from the config: its pending notifications are exhausted with that reason, not left or dropped', async () => {
    const hook = await receiver([500])
    closers.push(hook.close)
    await tick(lateCrm(clock.now()), { sinks: [{ type: 'webhook', name: 'old-hook', url: hook.url }] })
    clock.advance(MINUTE)
    await tick(lateCrm(clock.now()), { sinks: [{ type: 'log', name: 'log' }] })
    const [entry] = await store.listOutbox({ status: 'exhausted' })
    assert.equal(entry?.sink, 'old-hook')
    assert.equal(entry.lastError, "no sink named old-hook in the project's alerts config any more")
  })
})

describe('alerts: the outbox over HTTP', () => {
  test('GET /api/deliveries lists exhausted and pending notifications; POST …/resolve announces the resolve to the sinks', async () => {
    const hook = await receiver([500, 500, 200])
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }], delivery: { attempts: 2, backoff: '1ms' } }
    const p = await openProject({ assets: [landingCrm, rawCrm, dashboard], alerts: config })
    const s = await serveInstance(p.instance)
    try {
      const store = await p.instance.automation()
      const report = await evaluateAlerts({ graph: p.instance.graph, statuses: lateCrm(new Date()), sla: new Map(), drift: new Map(), store, config, now: new Date() })
      const incident = report.opened[0]!
      assert.equal(report.delivery.exhausted.length, 1)

      const exhausted = await s.api.get('/api/deliveries?status=exhausted')
      assert.equal(exhausted.status, 200)
      assert.deepEqual(exhausted.body.map((d: { incidentId: number; assetKey: string; event: string; sink: string; status: string; attempts: number; lastError: string; nextAttemptAt: string | null }) =>
        [d.incidentId, d.assetKey, d.event, d.sink, d.status, d.attempts, d.lastError, d.nextAttemptAt]), [[incident.id, 'landing/crm', 'opened', 'slack', 'exhausted', 2, 'webhook answered HTTP 500: try later', null]])
      assert.equal((await s.api.get('/api/deliveries?status=lost')).status, 400)

      const resolved = await s.api.post(`/api/incidents/${incident.id}/resolve`, { body: { message: 're-sent the CRM export' } })
      assert.equal(resolved.status, 200)
      assert.deepEqual(hook.events(), ['opened', 'opened', 'resolved'])
      const all = await s.api.get(`/api/deliveries?incident=${incident.id}`)
      assert.deepEqual(all.body.map((d: { event: string; status: string }) => [d.event, d.status]), [['resolved', 'delivered'], ['opened', 'exhausted']])
    } finally {
      await s.server.close()
      await p.close()
      await hook.close()
    }
  })
})
