import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { AutomationDaemon } from '../src/automation/daemon.js'
import { ManualClock } from '../src/engine/clock.js'
import { Tributary } from '../src/instance/tributary.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineSchedule, eager, onMissing, pollSensor, type ScheduleDefinition } from '../src/model/automation.js'
import { dailyPartitions, staticPartitions } from '../src/model/partitions.js'
import { defineProject, type ProjectSpec } from '../src/model/project.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { openProject } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })
const regions = staticPartitions(['eu', 'us', 'apac'])

async function setup(spec: Omit<ProjectSpec, 'name'>, start: string) {
  const clock = new ManualClock(start)
  const project = await openProject(spec, { clock })
  const automation = await SqliteAutomationStore.open(join(project.dir, '.tributary/metadata.sqlite'))
  await automation.migrate()
  const daemon = new AutomationDaemon(() => project.instance, automation, { clock, holder: 'daemon-a', waitForRuns: true })
  const partitions = async (key: string) => (await project.instance.partitionStatus(key))[0]!
  // Every published partition of a table, straight from DuckDB.
  const published = async (table: string) => {
    const session = await (await project.instance.warehouse()).session()
    try {
      return (await session.query(`select distinct partition_key from ${table} order by 1`)).map((row) => String(row.partition_key))
    } finally {
      await session.close()
    }
  }
  const steps = async (runId: string | null) => (await project.instance.store.listSteps(runId!)).map((s) => (s.partition === null ? s.assetKey : `${s.assetKey}@${s.partition}`)).sort()
  return { ...project, clock, automation, daemon, partitions, published, steps, close: async () => { await automation.close(); await project.close() } }
}

// raw/payments (daily) → marts/daily (daily, identity) → marts/total (unpartitioned: reads every day).
function revenue(options: { schedule?: Partial<Parameters<typeof defineSchedule>[0]>; dailyAutomation?: boolean } = {}) {
  const payments = defineAsset({ key: 'raw/payments', partitions: days, async materialize(_inputs, ctx) { return [{ id: 1, amount: 10, day: ctx.partition }] } })
  const daily = sqlAsset({
    key: 'marts/daily', partitions: days, ...(options.dailyAutomation ? { automation: eager() } : {}),
    sql: 'select {{ partition_key }} as day, sum(amount)::bigint as revenue from raw.payments where partition_key = {{ partition_key }}',
  })
  const total = sqlAsset({ key: 'marts/total', sql: 'select count(*)::int as days from marts.daily' })
  const schedules: ScheduleDefinition[] = options.schedule ? [defineSchedule({ name: 'nightly', cron: '0 5 * * *', selection: 'raw/payments+', ...options.schedule })] : []
  return { assets: [payments, daily, total], schedules }
}

describe('automation daemon: partitioned assets', () => {
  test("a daily schedule's tick materializes exactly the partition that ended before it, and the unpartitioned downstream", async () => {
    const p = await setup(revenue({ schedule: {} }), '2026-03-10T04:00:00Z')
    try {
      await p.daemon.runOnce()
      p.clock.set('2026-03-10T05:00:30Z')
      const report = await p.daemon.runOnce()
      assert.equal(report.fired.length, 1)
      const [run] = report.fired
      assert.equal(run!.error, undefined)
      assert.deepEqual(run!.partitions, { partition: '2026-03-09' })
      assert.match(run!.reason, /tick at 2026-03-10T05:00:00.000Z, for partition 2026-03-09$/)
      assert.deepEqual(await p.steps(run!.runId), ['marts/daily@2026-03-09', 'marts/total', 'raw/payments@2026-03-09'])
      assert.equal((await p.instance.store.getRun(run!.runId!))?.status, 'succeeded')
      assert.deepEqual(await p.published('raw.payments'), ['2026-03-09'])
      const status = await p.partitions('marts/daily')
      assert.deepEqual([status.counts.fresh, status.counts.missing, status.latest], [1, 8, { partition: '2026-03-09', state: 'fresh' }])
    } finally {
      await p.close()
    }
  })

  test("catch-up 'all' gives each missed tick its own partition; 'latest' only the newest", async () => {
    for (const [catchUp, expected] of [['all', ['2026-03-07', '2026-03-08', '2026-03-09']], ['latest', ['2026-03-09']]] as const) {
      const p = await setup(revenue({ schedule: { catchUp } }), '2026-03-07T06:00:00Z')
      try {
        await p.daemon.runOnce()
        p.clock.set('2026-03-10T06:00:00Z') // down through the 05:00 ticks of the 8th, 9th and 10th
        const report = await p.daemon.runOnce()
        assert.deepEqual(report.fired.map((f) => [f.partitions?.partition, f.error]), expected.map((day) => [day, undefined]), catchUp)
        for (const f of report.fired) assert.equal((await p.instance.store.getRun(f.runId!))?.status, 'succeeded', `${catchUp} ${f.runId}`)
        assert.deepEqual(await p.published('raw.payments'), [...expected], catchUp)
        assert.deepEqual(await p.published('marts.daily'), [...expected], catchUp)
      } finally {
        await p.close()
      }
    }
  })

  test('a partition function overrides the tick partition; a bad key it returns is the tick\'s error, not a crash', async () => {
    const twoDaysBack = (tick: Date) => new Date(tick.getTime() - 2 * 86_400_000).toISOString().slice(0, 10)
    const p = await setup(revenue({ schedule: { partition: twoDaysBack } }), '2026-03-10T04:00:00Z')
    try {
      await p.daemon.runOnce()
      p.clock.set('2026-03-10T05:00:30Z')
      assert.deepEqual((await p.daemon.runOnce()).fired.map((f) => f.partitions), [{ partition: '2026-03-08' }])
      assert.deepEqual(await p.published('raw.payments'), ['2026-03-08'])
    } finally {
      await p.close()
    }
    const bad = await setup(revenue({ schedule: { partition: () => '2025-12-31' } }), '2026-03-10T04:00:00Z')
    try {
      await bad.daemon.runOnce()
      bad.clock.set('2026-03-10T05:00:30Z')
      const [fired] = (await bad.daemon.runOnce()).fired
      assert.equal(fired!.runId, null)
      assert.match(fired!.error!, /^TRB2004: raw\/payments has no partitions between 2025-12-31 and 2025-12-31$/)
      bad.clock.set('2026-03-10T05:10:00Z')
      assert.equal((await bad.daemon.runOnce()).fired.length, 0, 'the failed tick is done with, not retried every tick')
    } finally {
      await bad.close()
    }
  })

  test('an invalid partition option is a definition error (TRB1013) when the project is validated', () => {
    const { assets } = revenue()
    const invalid = (schedule: ScheduleDefinition) => {
      try {
        Tributary.validate(defineProject({ name: 'p', assets, schedules: [schedule] }))
      } catch (error) {
        return (error as { problems: { message: string }[] }).problems.map((p) => p.message)
      }
      return []
    }
    assert.deepEqual(invalid(defineSchedule({ name: 'nightly', cron: '0 5 * * *', partition: 'yesterday' as 'latest' })), [
      'TRB1013: partition of schedule nightly is "yesterday", which is neither \'latest\' nor a function',
    ])
    assert.deepEqual(invalid(defineSchedule({ name: 'totals', cron: '0 5 * * *', selection: 'marts/total', partition: () => '2026-03-01' })), [
      'TRB1013: schedule totals has a partition function, but its selection "marts/total" has no partitioned asset',
    ])
    assert.match(invalid(defineSchedule({ name: 'typo', cron: '0 5 * *', timezone: 'Europe/Londn' })).join('\n'), /TRB1008: timezone of schedule typo[^\n]*\nTRB1013: cron of schedule typo is "0 5 \* \*"/)
    assert.deepEqual(invalid(defineSchedule({ name: 'ok', cron: '0 5 * * *', partition: (tick) => tick.toISOString().slice(0, 10) })), [])
  })

  test('static partitions: a schedule materializes every key; onMissing requests each missing key and names it', async () => {
    const sales = defineAsset({ key: 'raw/sales', partitions: regions, async materialize(_inputs, ctx) { return [{ region: ctx.partition, amount: 5 }] } })
    const report = sqlAsset({ key: 'marts/sales', partitions: regions, automation: onMissing(), sql: 'select sum(amount)::bigint as amount from raw.sales where partition_key = {{ partition_key }}' })
    const p = await setup({ assets: [sales, report], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'raw/sales' })] }, '2026-03-10T04:30:00Z')
    try {
      const first = await p.daemon.runOnce()
      assert.deepEqual(first.fired, [])
      assert.deepEqual(first.decisions.map((d) => d.reason), ['eu', 'us', 'apac'].map((key) => `partition ${key}: waiting for raw/sales ${key}, which is missing`))
      p.clock.set('2026-03-10T05:00:10Z')
      const second = await p.daemon.runOnce()
      assert.deepEqual(second.fired.map((f) => [f.by, f.partitions, f.error]), [['schedule:hourly', { from: 'eu', to: 'apac' }, undefined]])
      assert.deepEqual(await p.steps(second.fired[0]!.runId), ['raw/sales@apac', 'raw/sales@eu', 'raw/sales@us'])
      // The schedule's run was still going when conditions were judged; the next tick sees every key missing downstream.
      p.clock.set('2026-03-10T05:01:00Z')
      const third = await p.daemon.runOnce()
      assert.deepEqual(third.fired.map((f) => [f.selection, f.partitions?.partition, f.error]), [['marts/sales', 'eu', undefined], ['marts/sales', 'us', undefined], ['marts/sales', 'apac', undefined]])
      assert.deepEqual(third.decisions.map((d) => d.reason), ['eu', 'us', 'apac'].map((key) => `partition ${key}: requested because it was never materialized and its inputs are ready`))
      assert.deepEqual(await p.published('marts.sales'), ['apac', 'eu', 'us'])
      p.clock.set('2026-03-10T05:02:00Z')
      const fourth = await p.daemon.runOnce()
      assert.deepEqual([fourth.fired, fourth.decisions.map((d) => d.reason)], [[], ['partitions eu, us, apac: already materialized']])
    } finally {
      await p.close()
    }
  })

  test('eager on a partitioned downstream: requests the newest ended partition once its input lands, and again when it is republished', async () => {
    let amount = 10
    const payments = defineAsset({ key: 'raw/payments', partitions: days, async materialize(_inputs, ctx) { return [{ id: 1, amount, day: ctx.partition }] } })
    const daily = sqlAsset({
      key: 'marts/daily', partitions: days, automation: eager(),
      sql: 'select sum(amount)::bigint as revenue from raw.payments where partition_key = {{ partition_key }}',
    })
    const total = sqlAsset({ key: 'marts/total', automation: eager(), sql: 'select sum(revenue)::bigint as revenue from marts.daily' })
    const p = await setup({ assets: [payments, daily, total] }, '2026-03-10T06:00:00Z')
    const decision = (report: { decisions: readonly { assetKey: string; reason: string }[] }, key = 'marts/daily') => report.decisions.find((d) => d.assetKey === key)?.reason
    try {
      const waiting = await p.daemon.runOnce()
      assert.deepEqual(waiting.fired, [])
      assert.equal(decision(waiting), 'partition 2026-03-09: waiting for raw/payments 2026-03-09, which is missing')

      await p.instance.materialize('raw/payments', { partition: '2026-03-05' })
      assert.deepEqual((await p.daemon.runOnce()).fired, [], 'an older day landing is for backfills, not eager')

      await p.instance.materialize('raw/payments', { partition: '2026-03-09' })
      const landed = await p.daemon.runOnce()
      assert.deepEqual(landed.fired.map((f) => [f.selection, f.partitions, f.error]), [['marts/daily marts/total', { partition: '2026-03-09' }, undefined]])
      assert.match(landed.fired[0]!.reason, /^marts\/daily 2026-03-09: requested because it is missing and its inputs are ready; marts\/total: requested because marts\/daily is rebuilt in the same run, for partition 2026-03-09$/)
      assert.equal(decision(landed), 'partition 2026-03-09: requested because it is missing and its inputs are ready')
      assert.deepEqual(await p.steps(landed.fired[0]!.runId), ['marts/daily@2026-03-09', 'marts/total'])
      const decisions = await p.automation.listDecisions({ assetKey: 'marts/daily' })
      assert.equal(decisions[0]!.runId, landed.fired[0]!.runId)

      p.clock.advance(60_000)
      const quiet = await p.daemon.runOnce()
      assert.deepEqual([quiet.fired, decision(quiet)], [[], 'partition 2026-03-09: up to date'])

      amount = 20
      p.clock.advance(60_000)
      await p.instance.materialize('raw/payments', { partition: '2026-03-09' })
      const republished = await p.daemon.runOnce()
      assert.deepEqual(republished.fired.map((f) => f.partitions), [{ partition: '2026-03-09' }])
      assert.match(decision(republished)!, /^partition 2026-03-09: requested because it is stale/)

      p.clock.set('2026-03-11T06:00:00Z') // a new day: its partition waits for its own input
      assert.equal(decision(await p.daemon.runOnce()), 'partition 2026-03-10: waiting for raw/payments 2026-03-10, which is missing')
    } finally {
      await p.close()
    }
  })

  test('remediation retries the failed partition, and a poll sensor may name the partition it found', async () => {
    let failures = 1
    const payments = defineAsset({
      key: 'raw/payments', partitions: days,
      async materialize(_inputs, ctx) {
        if (ctx.partition === '2026-03-04' && failures-- > 0) throw new Error('export truncated')
        return [{ id: 1, amount: 10 }]
      },
    })
    const sensor = pollSensor({ name: 'vendor', selection: 'raw/payments', poll: (cursor) => ({ cursor: '2026-03-06', request: cursor !== '2026-03-06', partition: '2026-03-06', reason: 'vendor export 2026-03-06 is available' }) })
    const p = await setup({ assets: [payments], sensors: [sensor] }, '2026-03-10T06:00:00Z')
    try {
      const sensed = await p.daemon.runOnce()
      assert.deepEqual(sensed.fired.map((f) => [f.by, f.partitions, f.reason]), [['sensor:vendor', { partition: '2026-03-06' }, 'vendor export 2026-03-06 is available, for partition 2026-03-06']])
      assert.equal((await p.instance.materialize('raw/payments', { partition: '2026-03-04' })).status, 'failed')
      p.clock.advance(60_000)
      const retried = await p.daemon.runOnce()
      assert.deepEqual(retried.fired.map((f) => [f.by, f.selection, f.partitions]), [['automation', 'raw/payments', { partition: '2026-03-04' }]])
      assert.match(retried.fired[0]!.reason, /^raw\/payments 2026-03-04: remediation 1\/3: retrying after failure in run /)
      assert.equal((await p.instance.store.getRun(retried.fired[0]!.runId!))?.status, 'succeeded')
      assert.deepEqual(await p.published('raw.payments'), ['2026-03-04', '2026-03-06'])
      p.clock.advance(60_000)
      assert.deepEqual((await p.daemon.runOnce()).fired, [], 'healed: nothing more to retry')
    } finally {
      await p.close()
    }
  })
})
