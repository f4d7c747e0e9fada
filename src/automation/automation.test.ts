import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AssetStatusRecord, AssetStatus, StatusReason } from '../engine/status.js'
import { buildGraphOrThrow } from '../graph/build-graph.js'
import { defineAsset, sqlAsset, type AnyNode } from '../model/asset.js'
import { and, defineSchedule, eager, not, onCron, onMissing, or } from '../model/automation.js'
import { defineProject } from '../model/project.js'
import { defineSource, files } from '../model/source.js'
import { evaluateCondition } from './conditions.js'
import { previousTick, ticksBetween } from './cron.js'
import { expectedArrival, median, predictReadyTimes } from './prediction.js'
import { rebuildTriggers } from './rebuild-triggers.js'
import { judgeSla } from './sla.js'

const status = (key: string, s: AssetStatus, lastUpdated: string | null, reasons: StatusReason[] = []): AssetStatusRecord => ({
  key, status: s, ready: s === 'fresh', reasons, chain: [], rootCause: null, owner: null, lastUpdated: lastUpdated ? new Date(lastUpdated) : null, lastRunId: null,
})

const now = new Date('2026-03-02T06:30:00Z')

test('eager requests on newer upstream data, naming it and when it updated', () => {
  const upstream = status('raw/crm', 'fresh', '2026-03-02T05:12:00Z')
  const self = status('marts/x', 'stale', '2026-03-01T05:00:00Z', [{ type: 'upstream_newer', upstream: 'raw/crm', message: '' }])
  const decision = evaluateCondition(eager(), { key: 'marts/x', status: self, upstream: [upstream], now })
  assert.deepEqual(decision, { requested: true, reason: 'requested because raw/crm updated at 05:12' })
  assert.equal(evaluateCondition(eager(), { key: 'marts/x', status: status('marts/x', 'fresh', '2026-03-02T05:30:00Z'), upstream: [upstream], now }).requested, false)
  const lateUpstream = status('raw/crm', 'late', '2026-03-01T05:12:00Z')
  const waiting = evaluateCondition(eager(), { key: 'marts/x', status: self, upstream: [lateUpstream], now })
  assert.deepEqual(waiting, { requested: false, reason: 'waiting for raw/crm, which is late' })
})

test('eager re-requests an asset blocked waiting on an input once that input is ready, not before', () => {
  const self = status('raw/crm', 'blocked', '2026-03-01T05:00:00Z', [{ type: 'blocked', upstream: 'landing/crm', message: 'not ready: landing/crm is late' }])
  const landed = status('landing/crm', 'fresh', '2026-03-02T06:10:00Z')
  assert.deepEqual(evaluateCondition(eager(), { key: 'raw/crm', status: self, upstream: [landed], now }), { requested: true, reason: 'requested because landing/crm, which its last run waited for, is ready now' })
  const stillLate = status('landing/crm', 'late', '2026-03-01T05:00:00Z')
  assert.equal(evaluateCondition(eager(), { key: 'raw/crm', status: self, upstream: [stillLate], now }).requested, false)
  // Blocked by its own check: nothing new to react to.
  const ownCheck = status('raw/crm', 'blocked', '2026-03-01T05:00:00Z', [{ type: 'blocked', message: 'blocking check failed: unique(id)' }])
  assert.equal(evaluateCondition(eager(), { key: 'raw/crm', status: ownCheck, upstream: [landed], now }).requested, false)
})

test('onCron waits for every upstream to update after the tick, then requests once', () => {
  const cron = onCron('0 6 * * *', { timezone: 'UTC' })
  const oldUpstream = status('raw/a', 'fresh', '2026-03-02T05:00:00Z')
  const self = status('marts/x', 'fresh', '2026-03-01T06:10:00Z')
  assert.match(evaluateCondition(cron, { key: 'marts/x', status: self, upstream: [oldUpstream], now }).reason, /waiting for raw\/a to update since the 06:00 tick/)
  const newUpstream = status('raw/a', 'fresh', '2026-03-02T06:05:00Z')
  assert.deepEqual(evaluateCondition(cron, { key: 'marts/x', status: self, upstream: [newUpstream], now }), { requested: true, reason: 'requested because the 06:00 tick passed and every upstream updated since' })
  const done = status('marts/x', 'fresh', '2026-03-02T06:20:00Z')
  assert.equal(evaluateCondition(cron, { key: 'marts/x', status: done, upstream: [newUpstream], now }).requested, false)
})

test('onMissing, and, or, not compose', () => {
  const missing = status('marts/x', 'missing', null)
  const up = status('raw/a', 'fresh', '2026-03-02T05:00:00Z')
  assert.equal(evaluateCondition(onMissing(), { key: 'marts/x', status: missing, upstream: [up], now }).requested, true)
  assert.equal(evaluateCondition(and(onMissing(), not(onMissing())), { key: 'marts/x', status: missing, upstream: [up], now }).requested, false)
  assert.equal(evaluateCondition(or(eager(), onMissing()), { key: 'marts/x', status: missing, upstream: [up], now }).requested, true)
  const running = status('marts/x', 'running', null)
  assert.match(evaluateCondition(onMissing(), { key: 'marts/x', status: running, upstream: [up], now }).reason, /already running/)
})

test('cron ticks respect time zones across a DST change', () => {
  assert.equal(previousTick('0 6 * * *', 'Europe/London', new Date('2026-03-29T05:30:00Z'))!.toISOString(), '2026-03-29T05:00:00.000Z')
  assert.equal(previousTick('0 6 * * *', 'Europe/London', new Date('2026-03-28T05:30:00Z'))!.toISOString(), '2026-03-27T06:00:00.000Z')
  const ticks = ticksBetween('0 * * * *', 'UTC', new Date('2026-03-01T00:00:00Z'), new Date('2026-03-01T05:00:00Z'), 3)
  assert.deepEqual(ticks.map((t) => t.toISOString().slice(11, 16)), ['01:00', '02:00', '03:00'])
})

test('prediction follows the critical path and typical durations; unknown when a source is overdue', () => {
  const crm = defineSource({ key: 'landing/crm', observe: files('crm/*.csv') })
  const pay = defineSource({ key: 'landing/pay', observe: files('pay/*.csv') })
  const rawCrm = defineAsset({ key: 'raw/crm', ins: { crm }, automation: eager(), async materialize() { return [] } })
  const rawPay = defineAsset({ key: 'raw/pay', ins: { pay }, automation: eager(), async materialize() { return [] } })
  const mart = sqlAsset({ key: 'marts/m', sql: 'select * from raw.crm join raw.pay using (id)', automation: eager() })
  const project = defineProject({ name: 't', assets: [crm, pay, rawCrm, rawPay, mart] })
  const graph = buildGraphOrThrow(project)
  const triggers = rebuildTriggers(graph, project)
  const newer = (upstream: string): StatusReason[] => [{ type: 'upstream_newer', upstream, message: '' }]
  const statuses = new Map([
    ['landing/crm', status('landing/crm', 'late', '2026-03-01T05:00:00Z')],
    ['landing/pay', status('landing/pay', 'fresh', '2026-03-02T05:00:00Z')],
    ['raw/crm', status('raw/crm', 'stale', '2026-03-01T05:10:00Z')],
    ['raw/pay', status('raw/pay', 'stale', '2026-03-01T05:10:00Z', newer('landing/pay'))],
    ['marts/m', status('marts/m', 'stale', '2026-03-01T05:20:00Z')],
  ])
  const durations = new Map([['raw/crm', 120_000], ['raw/pay', 60_000], ['marts/m', 300_000]])
  const arrival = new Map([['landing/crm', new Date('2026-03-02T07:00:00Z')]])
  const predicted = predictReadyTimes({ graph, statuses, typicalDurationMs: durations, expectedArrival: arrival, triggers, now })
  assert.equal(predicted.get('raw/pay')!.predictedAt!.toISOString(), '2026-03-02T06:31:00.000Z')
  assert.equal(predicted.get('raw/crm')!.predictedAt!.toISOString(), '2026-03-02T07:02:00.000Z')
  assert.equal(predicted.get('marts/m')!.predictedAt!.toISOString(), '2026-03-02T07:07:00.000Z')
  assert.equal(predicted.get('marts/m')!.criticalUpstream, 'raw/crm')
  const overdue = predictReadyTimes({ graph, statuses, typicalDurationMs: durations, expectedArrival: new Map(), triggers, now })
  assert.equal(overdue.get('marts/m')!.predictedAt, null)
  assert.equal(overdue.get('marts/m')!.basis, 'not until landing/crm is fixed (owner not set): it is late, and overdue against its usual arrival')
  const noPattern = new Map([...statuses, ['landing/crm', status('landing/crm', 'missing', null)]])
  const unknown = predictReadyTimes({ graph, statuses: noPattern, typicalDurationMs: durations, expectedArrival: new Map(), triggers, now })
  assert.equal(unknown.get('marts/m')!.basis, 'waiting for landing/crm, which has no predicted time (no arrival pattern yet)', 'names what it all waits for, once')
  assert.equal(unknown.get('marts/m')!.blockedBy, null)
})

test('prediction: a blocked or failed upstream means "not until it is fixed", never now + its duration', () => {
  const source = defineSource({ key: 'landing/a', observe: files('a/*.csv') })
  const raw = defineAsset({ key: 'raw/a', owner: 'team:a', ins: { source }, automation: eager(), async materialize() { return [] } })
  const mart = sqlAsset({ key: 'marts/x', sql: 'select * from raw.a', automation: eager() })
  const project = defineProject({ name: 't', assets: [source, raw, mart] })
  const graph = buildGraphOrThrow(project)
  for (const own of ['blocked', 'failed'] as const) {
    const statuses = new Map([
      ['landing/a', status('landing/a', 'fresh', '2026-03-02T05:00:00Z')],
      ['raw/a', { ...status('raw/a', own, '2026-03-01T05:00:00Z', [{ type: own, message: 'blocking check failed: unique(id)' }]), owner: 'team:a' }],
      ['marts/x', status('marts/x', 'stale', '2026-03-01T05:10:00Z', [{ type: 'upstream_not_ready', upstream: 'raw/a', message: '' }])],
    ])
    const predicted = predictReadyTimes({ graph, statuses, typicalDurationMs: new Map([['raw/a', 18], ['marts/x', 18]]), expectedArrival: new Map(), triggers: rebuildTriggers(graph, project), now })
    assert.equal(predicted.get('marts/x')!.predictedAt, null, own)
    assert.equal(predicted.get('marts/x')!.basis, `not until raw/a is fixed (owner team:a): it is ${own}`)
    assert.deepEqual(predicted.get('marts/x')!.blockedBy, { key: 'raw/a', owner: 'team:a', status: own })
  }
  // Blocked only waiting on a late input (TRB3003): it follows that input, and eager() rebuilds it once it arrives.
  const waited = new Map([
    ['landing/a', status('landing/a', 'late', '2026-03-01T05:00:00Z')],
    ['raw/a', status('raw/a', 'blocked', '2026-03-01T05:00:00Z', [{ type: 'blocked', upstream: 'landing/a', message: 'not ready' }])],
    ['marts/x', status('marts/x', 'stale', '2026-03-01T05:10:00Z', [{ type: 'upstream_not_ready', upstream: 'raw/a', message: '' }])],
  ])
  const arrival = new Map([['landing/a', new Date('2026-03-02T07:00:00Z')]])
  const later = predictReadyTimes({ graph, statuses: waited, typicalDurationMs: new Map([['raw/a', 60_000], ['marts/x', 60_000]]), expectedArrival: arrival, triggers: rebuildTriggers(graph, project), now })
  assert.equal(later.get('marts/x')!.predictedAt!.toISOString(), '2026-03-02T07:02:00.000Z')
})

test('prediction follows what the automation will do: a schedule at its next tick, onCron, or nothing', () => {
  const source = defineSource({ key: 'landing/a', observe: files('a/*.csv') })
  const stale = (key: string) => status(key, 'stale', '2026-03-01T05:10:00Z', [{ type: 'upstream_newer', upstream: 'landing/a', message: '' }])
  const statuses = (key: string) => new Map([['landing/a', status('landing/a', 'fresh', '2026-03-02T05:00:00Z')], [key, stale(key)]])
  const predict = (asset: AnyNode, schedules: ReturnType<typeof defineSchedule>[] = []) => {
    const project = defineProject({ name: 't', assets: [source, asset], schedules })
    const graph = buildGraphOrThrow(project)
    return predictReadyTimes({ graph, statuses: statuses(asset.key), typicalDurationMs: new Map([[asset.key, 60_000]]), expectedArrival: new Map(), triggers: rebuildTriggers(graph, project), now }).get(asset.key)!
  }
  const manual = predict(defineAsset({ key: 'raw/a', ins: { source }, async materialize() { return [] } }))
  assert.equal(manual.predictedAt, null, 'nothing automated rebuilds it')
  assert.match(manual.basis, /nothing automated rebuilds it.*tributary materialize raw\/a/)
  const scheduled = predict(defineAsset({ key: 'raw/a', ins: { source }, async materialize() { return [] } }), [defineSchedule({ name: 'nightly', cron: '0 8 * * *', selection: 'raw/a' })])
  assert.equal(scheduled.predictedAt!.toISOString(), '2026-03-02T08:01:00.000Z')
  assert.match(scheduled.basis, /started by schedule nightly at 08:00 UTC/)
  const cron = predict(defineAsset({ key: 'raw/a', ins: { source }, automation: onCron('0 6 * * *'), async materialize() { return [] } }))
  assert.equal(cron.predictedAt!.toISOString(), '2026-03-02T06:31:00.000Z', 'its 06:00 tick passed after its last update: it starts now')
})

test('prediction queues runs in a pool behind each other, as the engine will', () => {
  const source = defineSource({ key: 'landing/a', observe: files('a/*.csv') })
  const loads = [1, 2, 3].map((i) => defineAsset({ key: `raw/l${i}`, ins: { source }, pool: 'db', automation: eager(), async materialize() { return [] } }))
  const project = defineProject({ name: 't', assets: [source, ...loads], pools: { db: 2 } })
  const graph = buildGraphOrThrow(project)
  const statuses = new Map([['landing/a', status('landing/a', 'fresh', '2026-03-02T05:00:00Z')]])
  for (const l of loads) statuses.set(l.key, status(l.key, 'stale', '2026-03-01T05:00:00Z', [{ type: 'upstream_newer', upstream: 'landing/a', message: '' }]))
  const durations = new Map(loads.map((l) => [l.key, 10 * 60_000]))
  const predicted = predictReadyTimes({ graph, statuses, typicalDurationMs: durations, expectedArrival: new Map(), triggers: rebuildTriggers(graph, project), pools: new Map([['db', 2]]), now })
  assert.deepEqual(loads.map((l) => predicted.get(l.key)!.predictedAt!.toISOString().slice(11, 16)), ['06:40', '06:40', '06:50'], 'two at a time: the third waits for a slot')
  assert.match(predicted.get('raw/l3')!.basis, /queued in pool db \(2 at a time\) until 06:40 UTC/)
})

test('expected arrival is the last update plus the median gap', () => {
  const updates = ['2026-03-01T05:00:00Z', '2026-02-28T05:10:00Z', '2026-02-27T04:50:00Z'].map((d) => new Date(d))
  assert.equal(expectedArrival(updates)!.toISOString(), '2026-03-02T05:05:00.000Z')
  assert.equal(expectedArrival([new Date()]), undefined)
  assert.equal(median([3, 1, 2, 10]), 2.5)
})

test('SLA: on time, at risk when predicted after the deadline or unknown, late once breached', () => {
  const policy = { deadline: '07:00', timezone: 'UTC' }
  const yesterday = new Date('2026-03-01T06:40:00Z')
  assert.equal(judgeSla(policy, yesterday, new Date('2026-03-02T06:50:00Z'), now).state, 'on_time')
  const risk = judgeSla(policy, yesterday, new Date('2026-03-02T07:20:00Z'), now)
  assert.equal(risk.state, 'at_risk')
  assert.equal(risk.dueAt!.toISOString(), '2026-03-02T07:00:00.000Z')
  assert.equal(judgeSla(policy, yesterday, null, now).state, 'at_risk')
  assert.equal(judgeSla(policy, yesterday, null, new Date('2026-03-02T07:01:00Z')).state, 'late')
  assert.equal(judgeSla(policy, new Date('2026-03-02T06:45:00Z'), null, new Date('2026-03-02T07:01:00Z')).state, 'on_time')
})
