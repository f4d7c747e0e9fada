import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AutomationStore } from '../src/store/automation-store.js'

/** Registers the AutomationStore conformance tests; every implementation runs them. */
export function automationStoreConformance(name: string, open: () => Promise<{ store: AutomationStore; cleanup: () => Promise<void> }>): void {
  const at = new Date('2026-03-02T05:30:00Z')
  const withStore = (body: (store: AutomationStore) => Promise<void>) => async () => {
    const { store, cleanup } = await open()
    try {
      await body(store)
    } finally {
      await cleanup()
    }
  }

  describe(`AutomationStore conformance: ${name}`, () => {
    test('a tick is claimed exactly once, even when claimed concurrently', withStore(async (store) => {
      const claims = await Promise.all([store.claimTick('nightly@2026-03-02T05:00Z', 'daemon-a', at), store.claimTick('nightly@2026-03-02T05:00Z', 'daemon-b', at)])
      assert.deepEqual(claims.filter(Boolean).length, 1)
      assert.equal(await store.claimTick('nightly@2026-03-02T05:00Z', 'daemon-a', at), false)
      assert.equal(await store.claimTick('nightly@2026-03-03T05:00Z', 'daemon-b', at), true)
    }))

    test('an uncompleted claim older than staleBefore is taken over; a completed one never is', withStore(async (store) => {
      const later = new Date(at.getTime() + 10 * 60_000)
      const staleBefore = new Date(later.getTime() - 5 * 60_000)
      assert.equal(await store.claimTick('t@1', 'dead-daemon', at), true)
      assert.equal(await store.claimTick('t@1', 'daemon-b', later, new Date(at.getTime() - 1)), false, 'not stale yet')
      assert.equal(await store.claimTick('t@1', 'daemon-b', later, staleBefore), true, 'taken over')
      assert.equal(await store.claimTick('t@1', 'daemon-c', later, staleBefore), false, 'the take-over is fresh')
      await store.claimTick('t@2', 'daemon-a', at)
      await store.completeTick('t@2', 'run-1', at)
      assert.equal(await store.claimTick('t@2', 'daemon-b', later, staleBefore), false, 'completed ticks stay done')
      assert.deepEqual(await store.getTick('t@2'), { holder: 'daemon-a', claimedAt: at, runId: 'run-1', completedAt: at })
      assert.equal((await store.getTick('t@1'))!.completedAt, null)
      assert.equal(await store.getTick('nope'), undefined)
    }))

    test('cursors are compare-and-set', withStore(async (store) => {
      assert.equal(await store.getCursor('schedule:nightly'), null)
      assert.equal(await store.setCursor('schedule:nightly', 'a', null), true)
      assert.equal(await store.setCursor('schedule:nightly', 'b', null), false, 'already set')
      assert.equal(await store.setCursor('schedule:nightly', 'c', 'wrong'), false)
      assert.equal(await store.setCursor('schedule:nightly', 'c', 'a'), true)
      assert.equal(await store.getCursor('schedule:nightly'), 'c')
    }))

    test('decisions are recorded and listed newest first, per asset', withStore(async (store) => {
      await store.recordDecisions([
        { tickId: 't1', assetKey: 'marts/a', requested: false, reason: 'waiting for raw/crm, which is late', runId: null, at },
        { tickId: 't2', assetKey: 'marts/a', requested: true, reason: 'requested because raw/crm updated at 05:12', runId: 'r1', at },
        { tickId: 't2', assetKey: 'marts/b', requested: false, reason: 'no upstream has new data', runId: null, at },
      ])
      const forA = await store.listDecisions({ assetKey: 'marts/a' })
      assert.deepEqual(forA.map((d) => [d.tickId, d.requested, d.runId]), [['t2', true, 'r1'], ['t1', false, null]])
      assert.equal((await store.listDecisions({ limit: 1 })).length, 1)
      assert.equal((await store.listDecisions()).length, 3)
    }))

    test('one incident per asset and condition: raised again it is updated, not repeated', withStore(async (store) => {
      const input = { assetKey: 'landing/crm', condition: 'source_late' as const, severity: 'warning' as const, owner: 'team:crm', message: 'late by 1h', affected: ['dashboards/revenue'], at }
      const first = await store.raiseIncident(input)
      assert.equal(first.created, true)
      assert.equal(first.incident.status, 'open')
      const second = await store.raiseIncident({ ...input, message: 'late by 2h', severity: 'critical' })
      assert.equal(second.created, false)
      assert.equal(second.incident.id, first.incident.id)
      assert.equal(second.incident.occurrences, 2)
      assert.equal(second.incident.message, 'late by 2h')
      const other = await store.raiseIncident({ ...input, condition: 'schema_drift' })
      assert.equal(other.created, true)
      assert.equal((await store.listIncidents({ status: 'unresolved' })).length, 2)
      assert.equal((await store.findOpenIncident('landing/crm', 'source_late'))!.id, first.incident.id)
    }))

    test('incidents are acknowledged, escalated and resolved; a resolved one is never reopened', withStore(async (store) => {
      const { incident } = await store.raiseIncident({ assetKey: 'raw/x', condition: 'run_failed', severity: 'critical', owner: null, message: 'boom', affected: [], at })
      const acked = await store.acknowledgeIncident(incident.id, 'alice@example.com', new Date(at.getTime() + 1000))
      assert.equal(acked!.status, 'acknowledged')
      assert.equal(acked!.acknowledgedBy, 'alice@example.com')
      await store.markEscalated(incident.id, new Date(at.getTime() + 2000))
      assert.equal((await store.getIncident(incident.id))!.escalatedAt!.getTime(), at.getTime() + 2000)
      const resolved = await store.resolveIncident(incident.id, 'recovered: raw/x materialized', new Date(at.getTime() + 3000))
      assert.equal(resolved!.status, 'resolved')
      assert.equal(resolved!.resolution, 'recovered: raw/x materialized')
      assert.equal(await store.findOpenIncident('raw/x', 'run_failed'), undefined)
      const again = await store.raiseIncident({ assetKey: 'raw/x', condition: 'run_failed', severity: 'critical', owner: null, message: 'boom again', affected: [], at })
      assert.equal(again.created, true)
      assert.notEqual(again.incident.id, incident.id)
      assert.deepEqual((await store.listIncidents({ status: 'resolved' })).map((i) => i.id), [incident.id])
      assert.equal(await store.getIncident(9999), undefined)
    }))

    test('deliveries are recorded per incident in order', withStore(async (store) => {
      const { incident } = await store.raiseIncident({ assetKey: 'raw/x', condition: 'check_failed', severity: 'warning', owner: null, message: 'm', affected: [], at })
      await store.recordDelivery({ incidentId: incident.id, sink: 'webhook', event: 'opened', attempt: 1, ok: false, error: 'HTTP 500', at })
      await store.recordDelivery({ incidentId: incident.id, sink: 'webhook', event: 'opened', attempt: 2, ok: true, error: null, at })
      const deliveries = await store.listDeliveries(incident.id)
      assert.deepEqual(deliveries.map((d) => [d.attempt, d.ok, d.error]), [[1, false, 'HTTP 500'], [2, true, null]])
    }))

    test('the outbox: queued with the incident change, one entry per incident and sink at a time, a lapsed lease taken over and recorded', withStore(async (store) => {
      const later = (ms: number) => new Date(at.getTime() + ms)
      const { incident } = await store.raiseIncident({ assetKey: 'raw/x', condition: 'run_failed', severity: 'critical', owner: 'team:x', message: 'boom', affected: [], at, notify: ['slack', 'pager'] })
      assert.equal((await store.raiseIncident({ assetKey: 'raw/x', condition: 'run_failed', severity: 'critical', owner: 'team:x', message: 'boom', affected: [], at, notify: ['slack'] })).created, false)
      await store.markEscalated(incident.id, later(1), ['slack'])
      await store.markEscalated(incident.id, later(2), ['slack'])
      await store.resolveIncident(incident.id, 'fixed', later(3), ['slack'])
      await store.resolveIncident(incident.id, 'fixed again', later(4), ['slack'])
      // Seen again, escalated twice, resolved twice: each change is announced once.
      assert.deepEqual((await store.listOutbox()).map((e) => [e.event, e.sink, e.status]).reverse(), [['opened', 'slack', 'pending'], ['opened', 'pager', 'pending'], ['escalated', 'slack', 'pending'], ['resolved', 'slack', 'pending']])
      assert.equal((await store.listOutbox({ status: 'pending' })).find((e) => e.event === 'resolved')?.incident.resolution, 'fixed', 'the entry carries the incident as it was changed')

      // Oldest first, and only the first pending entry of each incident and sink.
      const first = await store.claimOutbox({ holder: 'a', at: later(10), leaseUntil: later(1000), limit: 10 })
      assert.deepEqual(first.map((e) => [e.event, e.sink, e.attempts]), [['opened', 'slack', 1], ['opened', 'pager', 1]])
      assert.deepEqual(await store.claimOutbox({ holder: 'b', at: later(20), leaseUntil: later(1000), limit: 10 }), [], 'leased, and the rest waits its turn')
      assert.equal((await store.nextOutboxDue())?.getTime(), later(1000).getTime())

      await store.settleOutbox([{ id: first[0]!.id, error: null, at: later(30), retryAt: null }])
      const next = await store.claimOutbox({ holder: 'b', at: later(40), leaseUntil: later(1000), limit: 10 })
      assert.deepEqual(next.map((e) => [e.event, e.sink]), [['escalated', 'slack']])
      // 'a' died holding the pager's attempt: after its lease it is taken over, the lost attempt recorded.
      const takenOver = await store.claimOutbox({ holder: 'c', at: later(1001), leaseUntil: later(2000), limit: 10 })
      assert.deepEqual(takenOver.map((e) => [e.event, e.sink, e.attempts]), [['opened', 'pager', 2], ['escalated', 'slack', 2]])
      await store.settleOutbox(takenOver.map((e) => ({ id: e.id, error: 'HTTP 503', at: later(1002), retryAt: e.sink === 'pager' ? null : later(5000) })))
      assert.deepEqual((await store.listDeliveries(incident.id)).filter((d) => d.sink === 'pager').map((d) => [d.attempt, d.ok, d.error?.replace(/a stopped.*/, 'a stopped…')]), [[1, false, 'interrupted: a stopped…'], [2, false, 'HTTP 503']])
      assert.deepEqual(await store.countOutbox(), { pending: 2, delivered: 1, exhausted: 1 })
      assert.deepEqual((await store.listOutbox({ status: 'exhausted' })).map((e) => [e.sink, e.lastError]), [['pager', 'HTTP 503']])
    }))

    test('webhook deliveries: remembered once per sensor, a replay (any of its ids) refused whole, forgotten after the window', withStore(async (store) => {
      const at = new Date('2026-03-02T06:00:00Z')
      const later = (ms: number) => new Date(at.getTime() + ms)
      assert.equal(await store.rememberWebhookDelivery('landed', ['sig:a', 'id:1'], at, later(-600_000)), true)
      assert.equal(await store.rememberWebhookDelivery('landed', ['sig:a'], later(1), later(-600_000)), false, 'the same signature')
      assert.equal(await store.rememberWebhookDelivery('landed', ['sig:b', 'id:1'], later(2), later(-600_000)), false, 'the same delivery id, re-signed')
      assert.equal(await store.rememberWebhookDelivery('landed', ['sig:b'], later(3), later(-600_000)), true, 'sig:b was not kept by the refused replay')
      assert.equal(await store.rememberWebhookDelivery('other', ['sig:a'], later(4), later(-600_000)), true, 'per sensor')
      // Ten minutes on, what was received before the window is forgotten.
      assert.equal(await store.rememberWebhookDelivery('landed', ['sig:a'], later(600_001), later(1)), true)
    }))
  })
}
