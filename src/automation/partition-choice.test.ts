import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AssetStatusRecord } from '../engine/status.js'
import { buildGraphOrThrow } from '../graph/build-graph.js'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { eager, onCron, onMissing } from '../model/automation.js'
import { dailyPartitions, hourlyPartitions, monthlyPartitions, staticPartitions } from '../model/partitions.js'
import { defineProject } from '../model/project.js'
import { evaluateCondition } from './conditions.js'
import { describePartitions, judgedPartitions, latestPartitions, schedulePartitions } from './partition-choice.js'
import type { PartitionFacts } from './partition-view.js'

const days = dailyPartitions({ start: '2026-03-01' })
const tick = new Date('2026-03-10T05:00:00Z')

function graph() {
  const asset = (key: string, partitions?: Parameters<typeof defineAsset>[0]['partitions']) => defineAsset({ key, partitions, async materialize() { return [] } })
  return buildGraphOrThrow(defineProject({
    name: 'p',
    assets: [
      asset('raw/hours', hourlyPartitions({ start: '2026-03-01T00' })), asset('raw/days', days), asset('raw/months', monthlyPartitions({ start: '2026-01-01' })),
      asset('raw/regions', staticPartitions(['eu', 'us'])), asset('raw/shops', staticPartitions(['a', 'b', 'c'])), asset('raw/later', dailyPartitions({ start: '2026-04-01' })),
      sqlAsset({ key: 'marts/total', sql: 'select count(*) as n from raw.days' }),
    ],
  }))
}

test('a tick materializes the newest partition ended by then, of the finest cadence selected', () => {
  const g = graph()
  assert.deepEqual(latestPartitions(g, ['raw/days', 'marts/total'], tick), { partition: '2026-03-09' })
  assert.deepEqual(latestPartitions(g, ['raw/months', 'raw/days'], tick), { partition: '2026-03-09' })
  assert.deepEqual(latestPartitions(g, ['raw/days', 'raw/hours'], tick), { partition: '2026-03-10T04' })
  assert.deepEqual(latestPartitions(g, ['raw/months'], tick), { partition: '2026-02' })
  assert.deepEqual(latestPartitions(g, ['raw/days', 'raw/regions'], tick), { partition: '2026-03-09' }, 'static assets beside time ones take every key')
  assert.deepEqual(latestPartitions(g, ['raw/shops'], tick), { from: 'a', to: 'c' })
  assert.deepEqual(latestPartitions(g, ['marts/total'], tick), {})
  assert.throws(() => latestPartitions(g, ['raw/regions', 'raw/shops'], tick), /TRB2004: raw\/regions and raw\/shops have different static partitions/)
  assert.throws(() => latestPartitions(g, ['raw/later'], tick), /TRB2004: no partition of raw\/later has ended by 2026-03-10T05:00:00.000Z/)
})

test('a partition function decides for its tick; what it returns must be a key', () => {
  const g = graph()
  assert.deepEqual(schedulePartitions(g, ['raw/days'], (t) => t.toISOString().slice(0, 10), tick), { partition: '2026-03-10' })
  assert.deepEqual(schedulePartitions(g, ['raw/days'], 'latest', tick), { partition: '2026-03-09' })
  assert.throws(() => schedulePartitions(g, ['raw/days'], () => 42 as unknown as string, tick), /TRB2004: the partition function returned 42/)
  assert.throws(() => schedulePartitions(g, ['raw/days'], () => { throw new Error('boom') }, tick), /TRB2004: the partition function threw for the tick at 2026-03-10T05:00:00.000Z: boom/)
  assert.equal(describePartitions({ partition: '2026-03-09' }), 'partition 2026-03-09')
  assert.equal(describePartitions({ from: 'a', to: 'c' }), 'partitions a..c')
  assert.equal(describePartitions({}), '')
})

test('conditions judge the newest ended window, or every static key', () => {
  assert.deepEqual(judgedPartitions(days, tick), ['2026-03-09'])
  assert.deepEqual(judgedPartitions(staticPartitions(['eu', 'us']), tick), ['eu', 'us'])
  assert.deepEqual(judgedPartitions(dailyPartitions({ start: '2026-04-01' }), tick), [])
})

test('a condition on a partition judges that partition: missing, stale, failed, waiting or running', () => {
  const self: AssetStatusRecord = { key: 'marts/x', status: 'fresh', ready: true, reasons: [], chain: [], rootCause: null, owner: null, lastUpdated: new Date('2026-03-09T05:00:00Z'), lastRunId: null }
  const up: AssetStatusRecord = { ...self, key: 'raw/a', lastUpdated: new Date('2026-03-10T06:05:00Z') }
  const facts = (fields: Partial<PartitionFacts>): PartitionFacts => ({ partition: '2026-03-09', state: 'missing', lastUpdated: null, waiting: [], ...fields })
  const judge = (condition: Parameters<typeof evaluateCondition>[0], partition: PartitionFacts) => evaluateCondition(condition, { key: 'marts/x', status: self, upstream: [up], now: new Date('2026-03-10T06:30:00Z'), partition })
  assert.deepEqual(judge(eager(), facts({})), { requested: true, reason: 'requested because it is missing and its inputs are ready' })
  assert.deepEqual(judge(eager(), facts({ state: 'fresh' })), { requested: false, reason: 'up to date' }, 'the asset as a whole does not matter')
  assert.equal(judge(eager(), facts({ state: 'stale' })).requested, true)
  assert.deepEqual(judge(eager(), facts({ state: 'failed' })), { requested: false, reason: 'failed; remediation retries it' })
  assert.deepEqual(judge(eager(), facts({ waiting: [{ key: 'raw/a', message: 'raw/a 2026-03-09, which is missing' }] })), { requested: false, reason: 'waiting for raw/a 2026-03-09, which is missing' })
  assert.deepEqual(judge(onMissing(), facts({ state: 'running' })), { requested: false, reason: 'already running' })
  assert.deepEqual(judge(onMissing(), facts({ state: 'stale' })), { requested: false, reason: 'already materialized' })
  assert.deepEqual(judge(eager(), facts({ state: 'running' })), { requested: false, reason: 'already running' })
  assert.equal(judge(onMissing(), facts({})).requested, true)
  const cron = onCron('0 6 * * *')
  assert.equal(judge(cron, facts({ state: 'fresh', lastUpdated: new Date('2026-03-10T06:10:00Z') })).reason, 'already updated since the 06:00 tick')
  assert.equal(judge(cron, facts({ state: 'fresh', lastUpdated: new Date('2026-03-10T04:00:00Z') })).requested, true)
})
