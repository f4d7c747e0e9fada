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
  })
}
