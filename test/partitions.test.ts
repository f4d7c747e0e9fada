import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { rowCount, volumeChange } from '../src/checks/builtins.js'
import { ManualClock } from '../src/engine/clock.js'
import { stepId } from '../src/engine/plan.js'
import { dailyPartitions, staticPartitions, window } from '../src/model/partitions.js'
import { openProject } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })
const clock = () => new ManualClock(new Date('2026-03-10T12:00:00Z'))

// raw/payments (daily) → marts/daily (SQL, identity) → marts/rolling (TS, 3-day window) ; marts/total reads every partition.
function project(payments: (day: string) => { id: number; amount: number }[], seen: string[] = []) {
  const raw = defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      seen.push(`raw/payments@${ctx.partition} ${ctx.window!.start.toISOString()}..${ctx.window!.end.toISOString()}`)
      return payments(ctx.partition!)
    },
  })
  const daily = sqlAsset({
    key: 'marts/daily', partitions: days,
    sql: `select {{ partition_key }} as day, sum(amount)::bigint as revenue, count(*)::int as payments,
          {{ partition_start }} as window_start from raw.payments where partition_key = {{ partition_key }}`,
  })
  const rolling = defineAsset({
    key: 'marts/rolling', ins: { daily }, partitions: days, partitionMappings: { daily: window({ lookback: 2 }) },
    async materialize({ daily }, ctx) {
      seen.push(`marts/rolling@${ctx.partition} reads ${daily.partitions!.join(',')}`)
      return ctx.warehouse.query(`select sum(revenue)::bigint as revenue_3d from ${daily.table}`)
    },
  })
  const total = sqlAsset({ key: 'marts/total', sql: 'select count(*)::int as days, sum(revenue)::bigint as revenue from marts.daily' })
  return [raw, daily, rolling, total]
}

const paymentsOf = (day: string) => Array.from({ length: Number(day.slice(8)) }, (_, i) => ({ id: i + 1, amount: 10 }))

describe('partitioned materialization', () => {
  test('builds one partition and its mapped downstream; re-running replaces exactly that partition', async () => {
    const seen: string[] = []
    const p = await openProject({ assets: project(paymentsOf, seen) }, { clock: clock() })
    try {
      const first = await p.instance.materialize('raw/payments marts/daily', { from: '2026-03-01', to: '2026-03-03' })
      assert.equal(first.status, 'succeeded')
      assert.deepEqual((await p.instance.store.listSteps(first.runId)).map((s) => `${s.assetKey}@${s.partition}`).sort(), [
        'marts/daily@2026-03-01', 'marts/daily@2026-03-02', 'marts/daily@2026-03-03', 'raw/payments@2026-03-01', 'raw/payments@2026-03-02', 'raw/payments@2026-03-03',
      ])
      assert.ok(seen.includes('raw/payments@2026-03-02 2026-03-02T00:00:00.000Z..2026-03-03T00:00:00.000Z'), seen.join('\n'))
      const session = await (await p.instance.warehouse()).session()
      const query = (sql: string) => session.query(sql)
      assert.deepEqual(await query('select partition_key, count(*)::int as n from raw.payments group by 1 order by 1'), [
        { partition_key: '2026-03-01', n: 1 }, { partition_key: '2026-03-02', n: 2 }, { partition_key: '2026-03-03', n: 3 },
      ])
      assert.deepEqual((await query('select day, revenue::int as revenue, payments from marts.daily order by day')), [
        { day: '2026-03-01', revenue: 10, payments: 1 }, { day: '2026-03-02', revenue: 20, payments: 2 }, { day: '2026-03-03', revenue: 30, payments: 3 },
      ])
      // Re-running one partition twice never duplicates and never touches the others.
      for (let i = 0; i < 2; i++) assert.equal((await p.instance.materialize('raw/payments marts/daily', { partition: '2026-03-02' })).status, 'succeeded')
      assert.deepEqual(await query('select partition_key, count(*)::int as n from raw.payments group by 1 order by 1'), [
        { partition_key: '2026-03-01', n: 1 }, { partition_key: '2026-03-02', n: 2 }, { partition_key: '2026-03-03', n: 3 },
      ])
      assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: '2026-03-02' })).length, 3)
      assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: '2026-03-01' })).length, 1)

      // A window mapping reads exactly its mapped partitions, built earlier, outside this run.
      const rolling = await p.instance.materialize('marts/rolling', { partition: '2026-03-03' })
      assert.equal(rolling.status, 'succeeded')
      assert.ok(seen.includes('marts/rolling@2026-03-03 reads 2026-03-01,2026-03-02,2026-03-03'))
      assert.deepEqual(await query('select revenue_3d::int as r, partition_key from marts.rolling'), [{ r: 60, partition_key: '2026-03-03' }])
      // An unpartitioned downstream reads every partition.
      const totalRun = await p.instance.materialize('marts/total')
      assert.equal(totalRun.status, 'succeeded', JSON.stringify(await p.instance.store.listSteps(totalRun.runId)))
      assert.deepEqual(await query('select days, revenue::int as revenue from marts.total'), [{ days: 3, revenue: 60 }])
      await session.close()
    } finally {
      await p.close()
    }
  })

  test('a partition whose upstream partition is not published fails not-ready, naming it', async () => {
    const p = await openProject({ assets: project(paymentsOf) }, { clock: clock() })
    try {
      await p.instance.materialize('raw/payments marts/daily', { partition: '2026-03-03' })
      const result = await p.instance.materialize('marts/rolling', { partition: '2026-03-03' })
      assert.equal(result.status, 'failed')
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.error!.code, 'TRB3003')
      assert.match(step!.error!.message, /marts\/daily partition 2026-03-01 is not published/)
    } finally {
      await p.close()
    }
  })

  test('plans edges per partition, and rejects bad keys, half ranges and missing partitions', async () => {
    const p = await openProject({ assets: project(paymentsOf) }, { clock: clock() })
    try {
      const plan = p.instance.plan('raw/payments+', { from: '2026-03-02', to: '2026-03-03' })
      const step = (id: string) => plan.steps.find((s) => stepId(s) === id)!
      assert.deepEqual(step('marts/daily@2026-03-03').upstreamInRun, ['raw/payments@2026-03-03'])
      assert.deepEqual(step('marts/rolling@2026-03-03').upstreamInRun, ['marts/daily@2026-03-02', 'marts/daily@2026-03-03'])
      assert.deepEqual(step('marts/rolling@2026-03-03').waitsFor, { 'marts/daily': ['2026-03-01'] })
      assert.deepEqual(step('marts/total').upstreamInRun, ['marts/daily@2026-03-02', 'marts/daily@2026-03-03'])
      const code = (fn: () => unknown) => assert.throws(fn, (error: { code?: string }) => error.code === 'TRB2004')
      code(() => p.instance.plan('raw/payments'))
      code(() => p.instance.plan('raw/payments', { partition: '2026-02-30' }))
      code(() => p.instance.plan('raw/payments', { partition: 'yesterday' }))
      code(() => p.instance.plan('raw/payments', { from: '2026-03-02' }))
      code(() => p.instance.plan('raw/payments', { from: '2026-03-05', to: '2026-03-02' }))
      code(() => p.instance.plan('marts/total', { partition: '2026-03-02' }))
    } finally {
      await p.close()
    }
  })

  test('checks run on the staged partition; volume change compares with the previous partition', async () => {
    const counts: Record<string, number> = { eu: 5, us: 5 }
    const regions = defineAsset({
      key: 'raw/regions', partitions: staticPartitions(['eu', 'us']), checks: [rowCount({ min: 3 })],
      async materialize(_inputs, ctx) { return Array.from({ length: counts[ctx.partition!]! }, (_, i) => ({ id: i })) },
    })
    const volume = defineAsset({
      key: 'raw/volume', partitions: days, checks: [volumeChange({ maxDecrease: 0.5 })],
      async materialize(_inputs, ctx) { return Array.from({ length: ctx.partition === '2026-03-03' ? 2 : 10 }, (_, i) => ({ id: i })) },
    })
    const p = await openProject({ assets: [regions, volume] }, { clock: clock() })
    try {
      assert.equal((await p.instance.materialize('raw/regions', { partition: 'eu' })).status, 'succeeded')
      counts.us = 1
      const blocked = await p.instance.materialize('raw/regions', { partition: 'us' })
      assert.equal(blocked.status, 'failed')
      assert.equal((await p.instance.store.listSteps(blocked.runId))[0]!.status, 'blocked')
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select partition_key, count(*)::int as n from raw.regions group by 1'), [{ partition_key: 'eu', n: 5 }])
      assert.equal((await p.instance.materialize('raw/volume', { from: '2026-03-01', to: '2026-03-02' })).status, 'succeeded')
      const run = await p.instance.materialize('raw/volume', { partition: '2026-03-03' })
      const [step] = await p.instance.store.listSteps(run.runId)
      assert.equal(step!.status, 'blocked', 'a drop from 10 rows on 2 March to 2 on 3 March')
      await session.close()
    } finally {
      await p.close()
    }
  })

  test('rows of another partition are refused before anything is published', async () => {
    const wrong = defineAsset({ key: 'raw/wrong', partitions: days, async materialize() { return [{ id: 1, partition_key: '2026-03-01' }] } })
    const p = await openProject({ assets: [wrong] }, { clock: clock() })
    try {
      const result = await p.instance.materialize('raw/wrong', { partition: '2026-03-02' })
      assert.equal(result.status, 'failed')
      assert.equal((await p.instance.store.listSteps(result.runId))[0]!.error!.code, 'TRB3008')
    } finally {
      await p.close()
    }
  })
})

describe('concurrent partition publishes', () => {
  test('60 partitions of one table published 8 at a time: every partition once, nothing lost', async () => {
    const wide = defineAsset({
      key: 'raw/wide', partitions: dailyPartitions({ start: '2026-01-01' }),
      async materialize(_inputs, ctx) { return Array.from({ length: 50 }, (_, i) => ({ id: i, day: ctx.partition })) },
    })
    const p = await openProject({ assets: [wide], concurrency: 8 }, { clock: new ManualClock(new Date('2026-04-01T00:00:00Z')) })
    try {
      const first = await p.instance.materialize('raw/wide', { from: '2026-01-01', to: '2026-03-01' })
      assert.equal(first.status, 'succeeded', JSON.stringify(first.counts))
      const again = await p.instance.materialize('raw/wide', { from: '2026-01-01', to: '2026-03-01' })
      assert.equal(again.status, 'succeeded')
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select count(*)::int as n, count(distinct partition_key)::int as d, count(distinct (partition_key, id))::int as u from raw.wide'), [{ n: 3000, d: 60, u: 3000 }])
      await session.close()
    } finally {
      await p.close()
    }
  })
})

describe('partition status', () => {
  test('per asset: which partitions are fresh, failed, missing and stale; asset status stands on all of them', async () => {
    const fail = new Set<string>()
    let calls = 0
    const now = new ManualClock(new Date('2026-03-06T12:00:00Z'))
    const raw = defineAsset({
      key: 'raw/payments', partitions: days, freshness: { deadline: '07:00' },
      async materialize(_inputs, ctx) {
        if (fail.has(ctx.partition!)) throw new Error('bad file')
        return [{ id: 1, attempt: ++calls }]
      },
    })
    const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select count(*)::int as n from raw.payments where partition_key = {{ partition_key }}' })
    const total = sqlAsset({ key: 'marts/total', sql: 'select count(*)::int as n from marts.daily' })
    const p = await openProject({ assets: [raw, daily, total] }, { clock: now })
    try {
      fail.add('2026-03-03')
      await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04' })
      fail.clear()
      await p.instance.materialize('raw/payments', { partition: '2026-03-02' })
      const [rawStatus, dailyStatus] = await p.instance.partitionStatus()
      assert.equal(rawStatus!.total, 5)
      assert.deepEqual(rawStatus!.counts, { fresh: 3, stale: 0, failed: 1, missing: 1, running: 0 })
      assert.deepEqual(rawStatus!.failed, ['2026-03-03'])
      assert.deepEqual(rawStatus!.missing, ['2026-03-05'])
      assert.deepEqual(rawStatus!.latest, { partition: '2026-03-05', state: 'missing' })
      assert.match(rawStatus!.late!, /partition 2026-03-05 is late: missing, not published by 07:00 UTC/)
      assert.deepEqual(dailyStatus!.stale, ['2026-03-02'], 'its upstream partition was republished')
      assert.deepEqual(dailyStatus!.missing, ['2026-03-03', '2026-03-05'])
      assert.deepEqual(dailyStatus!.failures, { '2026-03-03': 'skipped: upstream raw/payments@2026-03-03 failed' }, 'missing because its upstream failed')

      const statuses = Object.fromEntries((await p.instance.status()).map((s) => [s.key, s]))
      assert.equal(statuses['raw/payments']!.status, 'failed', 'a failed partition fails the asset')
      assert.equal((await p.instance.ready('marts/daily')).status, 'stale')

      // Repair: the failed day and the missing one; then only lateness-free, fresh partitions remain.
      await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-05', only: 'failed' })
      await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-05' })
      await p.instance.backfill('raw/payments', { partition: '2026-03-02', only: 'all' })
      const [after] = await p.instance.partitionStatus('raw/payments')
      assert.deepEqual(after!.counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })
      assert.equal(after!.late, null)
      assert.equal((await p.instance.materialize('marts/total')).status, 'succeeded')
      const final = Object.fromEntries((await p.instance.status()).map((s) => [s.key, s.status]))
      assert.deepEqual(final, { 'raw/payments': 'fresh', 'marts/daily': 'fresh', 'marts/total': 'fresh' })
      now.advance(24 * 3_600_000)
      const late = await p.instance.ready('raw/payments')
      assert.equal(late.status, 'late', "today's partition is late")
      assert.match(late.reasons[0]!.message, /partition 2026-03-06 is late/)
    } finally {
      await p.close()
    }
  })
})
