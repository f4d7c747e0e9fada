import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGraphOrThrow } from '../graph/build-graph.js'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { defineSource, files, table } from '../model/source.js'
import type { AssetStateRecord, MaterializationRecord, ObservationRecord, StepRecord, StepStatus } from '../store/records.js'
import { deriveStatuses, lateness, usableAsInput, type AssetStatusRecord, type ReasonType } from './status.js'

const noop = () => []
const HOUR = 3_600_000
const NOW = new Date('2026-07-15T12:00:00Z')
const ago = (ms: number) => new Date(NOW.getTime() - ms)

// landing/crm (source, 26h) → raw/crm → marts/pipeline → dashboards/pipeline
// replica/accounts (table source) → marts/accounts (deadline 07:00 London)
// raw/hourly (maxAge 1h)
const landing = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { maxAge: '26h' }, observe: files('landing/crm/*.csv') })
const accounts = defineSource({ key: 'replica/accounts', owner: 'team:replica', observe: table('replica.accounts') })
const rawCrm = defineAsset({ key: 'raw/crm', ins: { landing }, owner: 'team:data', materialize: noop })
const pipeline = sqlAsset({ key: 'marts/pipeline', owner: 'team:analytics', sql: 'select * from raw.crm' })
const dashboard = defineAsset({ key: 'dashboards/pipeline', ins: { pipeline }, io: 'none', owner: 'alice@example.com', materialize: noop })
const martAccounts = sqlAsset({ key: 'marts/accounts', freshness: { deadline: '07:00', timezone: 'Europe/London' }, sql: 'select * from replica.accounts' })
const hourly = defineAsset({ key: 'raw/hourly', freshness: { maxAge: '1h' }, materialize: noop })
const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [landing, accounts, rawCrm, pipeline, dashboard, martAccounts, hourly] }))

let nextId = 1
function materialization(key: string, fields: Partial<MaterializationRecord> = {}): MaterializationRecord {
  return {
    id: nextId++, assetKey: key, partition: null, runId: 'run-1', codeVersion: graph.get(key).codeVersion,
    dataVersion: `${key}@1`, inputVersions: {}, rowCount: 10, columns: null, durationMs: 5, createdAt: ago(HOUR), ...fields,
  }
}

function step(key: string, status: StepStatus, fields: Partial<StepRecord> = {}): StepRecord {
  return { runId: 'run-1', assetKey: key, partition: null, status, attempt: 1, startedAt: ago(HOUR), finishedAt: ago(HOUR), durationMs: 5, error: null, reason: null, ...fields }
}

function state(key: string, lastMaterialization: MaterializationRecord | null, lastStep: StepRecord | null): AssetStateRecord {
  return { assetKey: key, partition: null, lastMaterialization, lastStep, lastChecks: [] }
}

function observation(key: string, fields: Partial<ObservationRecord> = {}): ObservationRecord {
  return { sourceKey: key, observedAt: NOW, exists: true, lastUpdated: ago(HOUR), dataVersion: `${key}@1`, rowCount: 3, schemaFingerprint: 'f', columns: null, ...fields }
}

/** Every asset materialized an hour ago by run-1 from the current data of its inputs. */
function healthyStates(): Map<string, AssetStateRecord> {
  const states = new Map<string, AssetStateRecord>()
  const put = (key: string, inputs: string[]) => {
    const m = materialization(key, { inputVersions: Object.fromEntries(inputs.map((i) => [i, `${i}@1`])) })
    states.set(key, state(key, m, step(key, 'succeeded')))
  }
  put('raw/crm', ['landing/crm'])
  put('marts/pipeline', ['raw/crm'])
  put('dashboards/pipeline', ['marts/pipeline'])
  put('marts/accounts', ['replica/accounts'])
  put('raw/hourly', [])
  return states
}

function healthyObservations(): Map<string, ObservationRecord> {
  return new Map([['landing/crm', observation('landing/crm')], ['replica/accounts', observation('replica/accounts')]])
}

function derive(options: { states?: Map<string, AssetStateRecord>; observations?: Map<string, ObservationRecord>; active?: string[]; now?: Date } = {}) {
  return deriveStatuses({
    graph,
    states: options.states ?? healthyStates(),
    observations: options.observations ?? healthyObservations(),
    activeRunIds: new Set(options.active ?? []),
    now: options.now ?? NOW,
  })
}

function reasonTypes(record: AssetStatusRecord | undefined): ReasonType[] {
  return (record?.reasons ?? []).map((r) => r.type)
}

test('everything fresh: ready, no reasons, no chain', () => {
  const statuses = derive()
  assert.deepEqual([...statuses.keys()], graph.order)
  for (const [key, record] of statuses) {
    assert.equal(record.key, key)
    assert.equal(record.status, 'fresh', `${key}: ${record.reasons.map((r) => r.message).join('; ')}`)
    assert.equal(record.ready, true)
    assert.deepEqual(record.reasons, [])
    assert.deepEqual(record.chain, [])
    assert.equal(record.rootCause, null)
  }
  const raw = statuses.get('raw/crm')!
  assert.equal(raw.owner, 'team:data')
  assert.deepEqual(raw.lastUpdated, ago(HOUR))
  assert.equal(raw.lastRunId, 'run-1')
  const source = statuses.get('landing/crm')!
  assert.equal(source.owner, 'team:crm')
  assert.deepEqual(source.lastUpdated, ago(HOUR))
  assert.equal(source.lastRunId, null)
  assert.equal(statuses.get('marts/accounts')!.owner, null)
})

test('missing: never materialized', () => {
  const states = healthyStates()
  states.delete('raw/hourly')
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'missing')
  assert.equal(record.ready, false)
  assert.deepEqual(record.reasons, [{ type: 'missing', message: 'never materialized' }])
  assert.equal(record.lastUpdated, null)
  assert.equal(record.lastRunId, null)
  assert.deepEqual(record.chain, [{ key: 'raw/hourly', status: 'missing', owner: null, message: 'never materialized' }])
  assert.equal(record.rootCause?.key, 'raw/hourly')
})

test('missing: a step that finished without publishing (skipped) leaves it missing', () => {
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', null, step('raw/hourly', 'skipped', { runId: 'run-2', reason: 'upstream failed' })))
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'missing')
  assert.equal(record.lastRunId, 'run-2')
})

test('failed: the last step failed after the last materialization', () => {
  const states = healthyStates()
  const m = materialization('raw/hourly', { runId: 'run-1', createdAt: ago(30 * 60_000) })
  states.set('raw/hourly', state('raw/hourly', m, step('raw/hourly', 'failed', { runId: 'run-2', error: { code: 'TRB3001', message: 'asset raw/hourly failed: boom' } })))
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'failed')
  assert.deepEqual(record.reasons, [{ type: 'failed', message: 'asset raw/hourly failed: boom' }])
  // Data of the last good version is still there.
  assert.deepEqual(record.lastUpdated, ago(30 * 60_000))
  assert.equal(record.lastRunId, 'run-2')
  assert.equal(usableAsInput(record), false)
})

test('failed: falls back to the step reason, then to "failed"', () => {
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', null, step('raw/hourly', 'failed', { runId: 'run-2', reason: 'process died' })))
  assert.equal(derive({ states }).get('raw/hourly')!.reasons[0]!.message, 'process died')
  states.set('raw/hourly', state('raw/hourly', null, step('raw/hourly', 'failed', { runId: 'run-2' })))
  assert.equal(derive({ states }).get('raw/hourly')!.reasons[0]!.message, 'failed')
})

test('blocked: a blocking check failed on the newest step', () => {
  const states = healthyStates()
  const m = materialization('raw/hourly')
  states.set('raw/hourly', state('raw/hourly', m, step('raw/hourly', 'blocked', { runId: 'run-2', reason: 'check unique(id) failed: 3 rows' })))
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'blocked')
  assert.deepEqual(record.reasons, [{ type: 'blocked', message: 'check unique(id) failed: 3 rows' }])
  states.set('raw/hourly', state('raw/hourly', m, step('raw/hourly', 'blocked', { runId: 'run-2' })))
  assert.deepEqual(derive({ states }).get('raw/hourly')!.reasons, [{ type: 'blocked', message: 'a blocking check failed' }])
})

test('running only while the step\'s run is active', () => {
  for (const status of ['queued', 'waiting', 'running'] as const) {
    const states = healthyStates()
    states.set('raw/hourly', state('raw/hourly', materialization('raw/hourly'), step('raw/hourly', status, { runId: 'run-2', finishedAt: null })))
    const active = derive({ states, active: ['run-2'] }).get('raw/hourly')!
    assert.equal(active.status, 'running', status)
    assert.deepEqual(active.reasons, [{ type: 'running', message: `${status} in run run-2` }])
    assert.equal(active.lastRunId, 'run-2')
    // Another run being active does not count; an interrupted step shows the data's own status.
    assert.equal(derive({ states, active: ['run-3'] }).get('raw/hourly')!.status, 'fresh', status)
  }
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', null, step('raw/hourly', 'running', { runId: 'run-2' })))
  assert.equal(derive({ states, active: [] }).get('raw/hourly')!.status, 'missing')
  assert.equal(derive({ states, active: ['run-2'] }).get('raw/hourly')!.status, 'running')
})

test('a succeeded step newer than the materialization (nothing published) does not change the status', () => {
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', materialization('raw/hourly'), step('raw/hourly', 'succeeded', { runId: 'run-2' })))
  assert.equal(derive({ states }).get('raw/hourly')!.status, 'fresh')
})

test('stale: upstream_newer when an input changed since it was read', () => {
  const observations = healthyObservations()
  observations.set('landing/crm', observation('landing/crm', { dataVersion: 'landing/crm@2' }))
  const statuses = derive({ observations })
  const raw = statuses.get('raw/crm')!
  assert.equal(raw.status, 'stale')
  assert.deepEqual(raw.reasons, [{ type: 'upstream_newer', upstream: 'landing/crm', message: 'upstream landing/crm has newer data' }])
  assert.equal(raw.ready, false)
  assert.equal(usableAsInput(raw), true)
  // Stale for newer data is still usable: downstream stays fresh.
  assert.equal(statuses.get('marts/pipeline')!.status, 'fresh')

  const states = healthyStates()
  states.set('marts/pipeline', state('marts/pipeline', materialization('marts/pipeline', { inputVersions: { 'raw/crm': 'raw/crm@0' } }), step('marts/pipeline', 'succeeded')))
  const mart = derive({ states }).get('marts/pipeline')!
  assert.equal(mart.status, 'stale')
  assert.deepEqual(reasonTypes(mart), ['upstream_newer'])
  assert.equal(mart.reasons[0]!.upstream, 'raw/crm')
})

test('stale: code_changed when the code version differs', () => {
  const states = healthyStates()
  const old = materialization('marts/pipeline', { codeVersion: '0123456789abcdef', inputVersions: { 'raw/crm': 'raw/crm@1' } })
  states.set('marts/pipeline', state('marts/pipeline', old, step('marts/pipeline', 'succeeded')))
  const statuses = derive({ states })
  const mart = statuses.get('marts/pipeline')!
  assert.equal(mart.status, 'stale')
  assert.deepEqual(reasonTypes(mart), ['code_changed'])
  assert.match(mart.reasons[0]!.message, new RegExp(`0123456789abcdef → ${graph.get('marts/pipeline').codeVersion}`))
  assert.equal(usableAsInput(mart), true)
  assert.deepEqual(mart.chain, [{ key: 'marts/pipeline', status: 'stale', owner: 'team:analytics', message: mart.reasons[0]!.message }])
  assert.equal(statuses.get('dashboards/pipeline')!.status, 'fresh')
})

test('late via maxAge on an asset', () => {
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', materialization('raw/hourly', { createdAt: ago(2 * HOUR) }), step('raw/hourly', 'succeeded')))
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'late')
  assert.deepEqual(reasonTypes(record), ['late'])
  assert.equal(record.reasons[0]!.message, 'last updated 2h 0m ago, older than maxAge 1h')
  assert.equal(usableAsInput(record), false)
  // Exactly at maxAge is not late yet.
  states.set('raw/hourly', state('raw/hourly', materialization('raw/hourly', { createdAt: ago(HOUR) }), step('raw/hourly', 'succeeded')))
  assert.equal(derive({ states }).get('raw/hourly')!.status, 'fresh')
})

test('late wins over stale, with all reasons kept', () => {
  const states = healthyStates()
  states.set('raw/hourly', state('raw/hourly', materialization('raw/hourly', { createdAt: ago(3 * HOUR), codeVersion: 'old' }), step('raw/hourly', 'succeeded')))
  const record = derive({ states }).get('raw/hourly')!
  assert.equal(record.status, 'late')
  assert.deepEqual(reasonTypes(record), ['late', 'code_changed'])
})

test('late via a deadline in a time zone', () => {
  // 2026-07-15: 07:00 London is 06:00Z.
  const states = healthyStates()
  const at = (createdAt: string, now: string) => {
    states.set('marts/accounts', state('marts/accounts', materialization('marts/accounts', { createdAt: new Date(createdAt), inputVersions: { 'replica/accounts': 'replica/accounts@1' } }), step('marts/accounts', 'succeeded')))
    return derive({ states, now: new Date(now) }).get('marts/accounts')!
  }
  const late = at('2026-07-14T05:30:00Z', '2026-07-15T06:30:00Z')
  assert.equal(late.status, 'late')
  assert.deepEqual(late.reasons, [{ type: 'late', message: 'not updated by its 07:00 Europe/London deadline' }])
  // Half an hour earlier the 07:00 deadline had not come, so yesterday's deadline applies.
  assert.equal(at('2026-07-14T05:30:00Z', '2026-07-15T05:30:00Z').status, 'fresh')
  assert.equal(at('2026-07-14T06:30:00Z', '2026-07-15T06:30:00Z').status, 'fresh')
  assert.equal(at('2026-07-15T06:10:00Z', '2026-07-16T05:00:00Z').status, 'fresh')
})

test('lateness: maxAge and deadline rules', () => {
  assert.equal(lateness(undefined, null, NOW), undefined)
  assert.equal(lateness({ maxAge: '26h' }, ago(25 * HOUR), NOW), undefined)
  assert.equal(lateness({ maxAge: '26h' }, ago(26 * HOUR), NOW), undefined)
  assert.deepEqual(lateness({ maxAge: '26h' }, ago(27 * HOUR), NOW), { type: 'late', message: 'last updated 27h 0m ago, older than maxAge 26h' })
  assert.deepEqual(lateness({ maxAge: 60_000 }, null, NOW), { type: 'late', message: 'last updated never, older than maxAge 60000' })
  assert.deepEqual(lateness({ deadline: '07:00' }, null, NOW), { type: 'late', message: 'not updated by its 07:00 UTC deadline' })
  // UTC is the default zone: the 07:00Z deadline of 2026-07-15 passed; updated 2026-07-14 08:00Z is within the day before it.
  assert.equal(lateness({ deadline: '07:00' }, new Date('2026-07-14T08:00:00Z'), NOW), undefined)
  assert.ok(lateness({ deadline: '07:00' }, new Date('2026-07-14T06:59:00Z'), NOW))
  // The same instant is fine in UTC but late in London, whose 07:00 comes an hour earlier.
  const now = new Date('2026-07-15T06:30:00Z')
  const updated = new Date('2026-07-14T05:30:00Z')
  assert.equal(lateness({ deadline: '07:00', timezone: 'UTC' }, updated, now), undefined)
  assert.ok(lateness({ deadline: '07:00', timezone: 'Europe/London' }, updated, now))
  // Both fields: either one can make it late.
  assert.ok(lateness({ maxAge: '1h', deadline: '07:00' }, ago(2 * HOUR), NOW))
  assert.ok(lateness({ maxAge: '48h', deadline: '07:00' }, new Date('2026-07-14T06:00:00Z'), NOW))
  assert.equal(lateness({ maxAge: '48h', deadline: '07:00' }, new Date('2026-07-15T07:30:00Z'), NOW), undefined)
})

test('lateness on DST-change days in Europe/London follows the local clock', () => {
  const policy = { deadline: '07:00', timezone: 'Europe/London' }
  // 2026-03-29 (clocks go forward): 07:00 BST is 06:00Z.
  assert.ok(lateness(policy, new Date('2026-03-28T05:30:00Z'), new Date('2026-03-29T06:30:00Z')))
  assert.equal(lateness(policy, new Date('2026-03-28T07:30:00Z'), new Date('2026-03-29T06:30:00Z')), undefined)
  assert.equal(lateness(policy, new Date('2026-03-29T06:10:00Z'), new Date('2026-03-30T05:30:00Z')), undefined)
  assert.equal(lateness(policy, null, new Date('2026-03-29T06:30:00Z'))?.message, 'not updated by its 07:00 Europe/London deadline')
  // 2026-10-25 (clocks go back): 07:00 GMT is 07:00Z; before it, the deadline in force is 2026-10-24 07:00 BST (06:00Z).
  assert.equal(lateness(policy, new Date('2026-10-23T06:30:00Z'), new Date('2026-10-25T06:30:00Z')), undefined)
  assert.ok(lateness(policy, new Date('2026-10-23T05:30:00Z'), new Date('2026-10-25T06:30:00Z')))
  assert.equal(lateness(policy, new Date('2026-10-25T06:30:00Z'), new Date('2026-10-25T08:00:00Z')), undefined)
})

test('lateness measures a deadline against the previous local deadline on DST-change days', () => {
  const policy = { deadline: '07:00', timezone: 'Europe/London' }
  // 2026-10-25 is 25 h long: updated 2026-10-24 06:30Z = 07:30 BST, after that day's deadline, so in time for the next one.
  assert.equal(lateness(policy, new Date('2026-10-24T06:30:00Z'), new Date('2026-10-25T08:00:00Z')), undefined)
  // 2026-03-29 is 23 h long: updated 2026-03-28 06:30Z = 06:30 GMT, before that day's deadline, so nothing came for the next one.
  assert.ok(lateness(policy, new Date('2026-03-28T06:30:00Z'), new Date('2026-03-29T08:00:00Z')))
})

test('sources: missing when not observed or nothing matched', () => {
  const observations = new Map<string, ObservationRecord>()
  let statuses = derive({ observations })
  const landingStatus = statuses.get('landing/crm')!
  assert.equal(landingStatus.status, 'missing')
  assert.deepEqual(landingStatus.reasons, [{ type: 'missing', message: 'no files match landing/crm/*.csv (not observed yet)' }])
  assert.equal(landingStatus.lastUpdated, null)
  assert.deepEqual(landingStatus.chain, [{ key: 'landing/crm', status: 'missing', owner: 'team:crm', message: 'no files match landing/crm/*.csv (not observed yet)' }])
  observations.set('landing/crm', observation('landing/crm', { exists: false, lastUpdated: null, dataVersion: null }))
  observations.set('replica/accounts', observation('replica/accounts', { exists: false, lastUpdated: null, dataVersion: null }))
  statuses = derive({ observations })
  assert.deepEqual(statuses.get('landing/crm')!.reasons, [{ type: 'missing', message: 'no files match landing/crm/*.csv' }])
  assert.deepEqual(statuses.get('replica/accounts')!.reasons, [{ type: 'missing', message: 'table replica.accounts does not exist' }])
  // Downstream of a missing source is not usable.
  const raw = statuses.get('raw/crm')!
  assert.equal(raw.status, 'stale')
  assert.deepEqual(reasonTypes(raw), ['upstream_not_ready'])
  assert.equal(usableAsInput(raw), false)
})

test('sources: late past maxAge, fresh within it, fresh without a policy however old', () => {
  const observations = healthyObservations()
  observations.set('landing/crm', observation('landing/crm', { lastUpdated: ago(30 * HOUR) }))
  observations.set('replica/accounts', observation('replica/accounts', { lastUpdated: ago(1000 * HOUR) }))
  const statuses = derive({ observations })
  const source = statuses.get('landing/crm')!
  assert.equal(source.status, 'late')
  assert.equal(source.reasons[0]!.message, 'last updated 30h 0m ago, older than maxAge 26h')
  assert.deepEqual(source.lastUpdated, ago(30 * HOUR))
  assert.equal(statuses.get('replica/accounts')!.status, 'fresh')
  observations.set('landing/crm', observation('landing/crm', { lastUpdated: ago(25 * HOUR) }))
  assert.equal(derive({ observations }).get('landing/crm')!.status, 'fresh')
  // Seen, but with no known update time: late under a policy.
  observations.set('landing/crm', observation('landing/crm', { lastUpdated: null }))
  assert.equal(derive({ observations }).get('landing/crm')!.status, 'late')
})

test('the reason chain walks to the root cause and its owner across three levels', () => {
  const observations = healthyObservations()
  observations.set('landing/crm', observation('landing/crm', { lastUpdated: ago(30 * HOUR) }))
  const states = healthyStates()
  states.set('raw/crm', state('raw/crm', materialization('raw/crm', { inputVersions: { 'landing/crm': 'landing/crm@1' } }), step('raw/crm', 'failed', {
    runId: 'run-2',
    error: { code: 'TRB3003', message: 'upstream landing/crm is late (owner team:crm)', upstream: 'landing/crm' },
  })))
  const statuses = derive({ states, observations })

  const source = statuses.get('landing/crm')!
  assert.equal(source.status, 'late')
  assert.deepEqual(source.chain.map((l) => l.key), ['landing/crm'])

  const raw = statuses.get('raw/crm')!
  assert.equal(raw.status, 'failed')
  assert.deepEqual(raw.reasons, [{ type: 'failed', message: 'upstream landing/crm is late (owner team:crm)', upstream: 'landing/crm' }])
  assert.deepEqual(raw.chain.map((l) => [l.key, l.status, l.owner]), [['raw/crm', 'failed', 'team:data'], ['landing/crm', 'late', 'team:crm']])

  const mart = statuses.get('marts/pipeline')!
  assert.equal(mart.status, 'stale')
  assert.deepEqual(mart.reasons, [{ type: 'upstream_not_ready', upstream: 'raw/crm', message: 'upstream raw/crm is failed' }])
  assert.equal(usableAsInput(mart), false)

  const dash = statuses.get('dashboards/pipeline')!
  assert.equal(dash.status, 'stale')
  assert.equal(dash.ready, false)
  assert.deepEqual(dash.reasons, [{ type: 'upstream_not_ready', upstream: 'marts/pipeline', message: 'upstream marts/pipeline is stale' }])
  assert.deepEqual(dash.chain, [
    { key: 'dashboards/pipeline', status: 'stale', owner: 'alice@example.com', message: 'upstream marts/pipeline is stale' },
    { key: 'marts/pipeline', status: 'stale', owner: 'team:analytics', message: 'upstream raw/crm is failed' },
    { key: 'raw/crm', status: 'failed', owner: 'team:data', message: 'upstream landing/crm is late (owner team:crm)' },
    { key: 'landing/crm', status: 'late', owner: 'team:crm', message: 'last updated 30h 0m ago, older than maxAge 26h' },
  ])
  assert.deepEqual(dash.rootCause, dash.chain[3])
  assert.equal(dash.rootCause?.owner, 'team:crm')
  // Unrelated assets are untouched.
  assert.equal(statuses.get('marts/accounts')!.status, 'fresh')
})

test('a failure without an upstream is its own root cause', () => {
  const states = healthyStates()
  states.set('raw/crm', state('raw/crm', materialization('raw/crm', { inputVersions: { 'landing/crm': 'landing/crm@1' } }), step('raw/crm', 'failed', {
    runId: 'run-2', error: { code: 'TRB3001', message: 'asset raw/crm failed: boom' },
  })))
  const statuses = derive({ states })
  const dash = statuses.get('dashboards/pipeline')!
  assert.deepEqual(dash.chain.map((l) => l.key), ['dashboards/pipeline', 'marts/pipeline', 'raw/crm'])
  assert.equal(dash.rootCause?.key, 'raw/crm')
  assert.equal(dash.rootCause?.owner, 'team:data')
})

test('an upstream being re-materialized makes downstream not usable until it finishes', () => {
  const states = healthyStates()
  states.set('raw/crm', state('raw/crm', materialization('raw/crm', { inputVersions: { 'landing/crm': 'landing/crm@1' } }), step('raw/crm', 'running', { runId: 'run-2' })))
  const statuses = derive({ states, active: ['run-2'] })
  assert.equal(statuses.get('raw/crm')!.status, 'running')
  assert.deepEqual(reasonTypes(statuses.get('marts/pipeline')), ['upstream_not_ready'])
})

test('usableAsInput: fresh, or stale only for newer upstream data or changed code', () => {
  const record = (status: AssetStatusRecord['status'], types: ReasonType[]): AssetStatusRecord => ({
    key: 'x', status, ready: status === 'fresh', reasons: types.map((type) => ({ type, message: type })), chain: [], rootCause: null, owner: null, lastUpdated: null, lastRunId: null,
  })
  assert.equal(usableAsInput(record('fresh', [])), true)
  assert.equal(usableAsInput(record('stale', ['code_changed'])), true)
  assert.equal(usableAsInput(record('stale', ['upstream_newer'])), true)
  assert.equal(usableAsInput(record('stale', ['code_changed', 'upstream_newer'])), true)
  assert.equal(usableAsInput(record('stale', ['upstream_not_ready'])), false)
  assert.equal(usableAsInput(record('stale', ['code_changed', 'upstream_not_ready'])), false)
  assert.equal(usableAsInput(record('late', ['late'])), false)
  assert.equal(usableAsInput(record('late', ['code_changed'])), false)
  for (const status of ['failed', 'blocked', 'missing', 'running'] as const) assert.equal(usableAsInput(record(status, [status])), false, status)
})

test('a never-materialized asset whose upstream failed points its chain at the upstream', () => {
  const states = healthyStates()
  states.delete('dashboards/pipeline')
  states.set('marts/pipeline', state('marts/pipeline', null, step('marts/pipeline', 'failed', { error: { code: 'TRB3001', message: 'boom' } })))
  const dashboardStatus = derive({ states }).get('dashboards/pipeline')!
  assert.equal(dashboardStatus.status, 'missing')
  assert.deepEqual(dashboardStatus.chain.map((link) => link.key), ['dashboards/pipeline', 'marts/pipeline'])
  assert.equal(dashboardStatus.rootCause!.owner, 'team:analytics')
})

test('a cron deadline makes an asset late when it was not updated since the tick before the last', async () => {
  const { lateness: late } = await import('./status.js')
  const policy = { deadline: '0 7 * * 1-5', timezone: 'UTC' }
  // Monday 2026-07-13 07:30: the deadline passed at 07:00; the one before was Friday 07:00.
  const monday = new Date('2026-07-13T07:30:00Z')
  assert.equal(late(policy, new Date('2026-07-10T08:00:00Z'), monday), undefined, 'updated after Friday’s deadline')
  assert.match(late(policy, new Date('2026-07-10T06:00:00Z'), monday)!.message, /0 7 \* \* 1-5 UTC deadline/)
})

test('blocked waiting on a late input: the chain walks to the input, whose owner is the root cause', () => {
  const observations = healthyObservations()
  observations.set('landing/crm', observation('landing/crm', { lastUpdated: ago(30 * HOUR) }))
  const states = healthyStates()
  states.set('raw/crm', state('raw/crm', materialization('raw/crm', { inputVersions: { 'landing/crm': 'landing/crm@1' } }), step('raw/crm', 'blocked', {
    runId: 'run-2', reason: 'raw/crm not ready: upstream landing/crm is late (owner team:crm)',
    error: { code: 'TRB3003', message: 'raw/crm not ready: upstream landing/crm is late (owner team:crm)', upstream: 'landing/crm' },
  })))
  const raw = derive({ states, observations }).get('raw/crm')!
  assert.equal(raw.status, 'blocked')
  assert.deepEqual(raw.reasons, [{ type: 'blocked', message: 'raw/crm not ready: upstream landing/crm is late (owner team:crm)', upstream: 'landing/crm' }])
  assert.deepEqual(raw.chain.map((l) => [l.key, l.status, l.owner]), [['raw/crm', 'blocked', 'team:data'], ['landing/crm', 'late', 'team:crm']])
  assert.deepEqual([raw.rootCause!.key, raw.rootCause!.owner], ['landing/crm', 'team:crm'])
})

test('a schema break fails the source (usable by readers it does not break) and blocks the reader, root cause the source', () => {
  const change = { removed: ['amount'], retyped: [], added: ['amount_eur'] }
  const schemaBreaks = new Map([['marts/accounts', {
    reader: 'marts/accounts', source: 'replica/accounts', owner: 'team:replica', change, columns: ['amount'],
    detail: 'removed amount, which marts/accounts reads', message: 'upstream replica/accounts changed its schema: removed amount, which marts/accounts reads (owner team:replica)',
  }]])
  const statuses = deriveStatuses({ graph, states: healthyStates(), observations: healthyObservations(), activeRunIds: new Set(), now: NOW, schemaBreaks })
  const source = statuses.get('replica/accounts')!
  assert.equal(source.status, 'failed')
  assert.deepEqual(source.reasons, [{ type: 'schema_changed', message: 'schema changed: removed amount, which marts/accounts reads' }])
  assert.equal(usableAsInput(source), true, 'other readers may still read it')
  const reader = statuses.get('marts/accounts')!
  assert.equal(reader.status, 'blocked')
  assert.deepEqual(reader.chain.map((l) => [l.key, l.status, l.owner]), [['marts/accounts', 'blocked', null], ['replica/accounts', 'failed', 'team:replica']])
})

test('only some nodes: each gets the status, reasons and chain the whole derivation gives it; no other node is derived', () => {
  const states = healthyStates()
  states.set('raw/crm', state('raw/crm', materialization('raw/crm'), step('raw/crm', 'failed', { runId: 'run-2', error: { code: 'TRB3001', message: 'boom' } })))
  const inputs = { graph, states, observations: healthyObservations(), activeRunIds: new Set<string>(), now: NOW }
  const all = deriveStatuses(inputs)
  const some = deriveStatuses({ ...inputs, only: new Set(['landing/crm', 'raw/crm', 'marts/pipeline']) })
  assert.deepEqual([...some.keys()].sort(), ['landing/crm', 'marts/pipeline', 'raw/crm'])
  for (const [key, status] of some) assert.deepEqual(status, all.get(key), key)
  assert.equal(some.get('marts/pipeline')!.rootCause?.key, 'raw/crm')
})
