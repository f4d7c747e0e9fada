import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { ManualClock } from '../src/engine/clock.js'
import { stepId } from '../src/engine/plan.js'
import { dailyPartitions, monthlyPartitions, window } from '../src/model/partitions.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { cli, cliProcess } from './helpers/cli.js'
import { runningStep } from './helpers/poll.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })

function project(options: { fail?: Set<string>; gate?: Promise<void>; gateOn?: string; reached?: () => void } = {}) {
  const raw = defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      if (options.fail?.has(ctx.partition!)) throw new Error(`bad file for ${ctx.partition}`)
      if (options.gate && ctx.partition === options.gateOn) {
        options.reached?.()
        await options.gate
      }
      return [{ id: 1, amount: Number(ctx.partition!.slice(8)) }]
    },
  })
  const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select sum(amount)::int as revenue from raw.payments where partition_key = {{ partition_key }}' })
  const weekly = defineAsset({
    key: 'marts/rolling', ins: { daily }, partitions: days, partitionMappings: { daily: window({ lookback: 1 }) },
    async materialize({ daily }, ctx) { return ctx.warehouse.query(`select sum(revenue)::int as revenue from ${daily.table}`) },
  })
  const monthly = sqlAsset({ key: 'marts/monthly', partitions: monthlyPartitions({ start: '2026-03-01' }), sql: 'select sum(revenue)::int as revenue from marts.daily' })
  const dashboard = sqlAsset({ key: 'dashboards/revenue', sql: 'select count(*)::int as days from marts.daily' })
  return [raw, daily, weekly, monthly, dashboard]
}

const clock = () => new ManualClock(new Date('2026-04-02T12:00:00Z'))
const ids = (steps: readonly { key: string; partition: string | null }[]) => steps.map(stepId)

describe('backfills', () => {
  test('plans the range and everything downstream in dependency order; only missing by default', async () => {
    const p = await openProject({ assets: project() }, { clock: clock() })
    try {
      const planned = await p.instance.planBackfill('raw/payments', { from: '2026-03-01', to: '2026-03-31' })
      assert.equal(planned.plan.steps.length, 31 * 3 + 1 + 1)
      const order = ids(planned.plan.steps)
      assert.ok(order.indexOf('raw/payments@2026-03-31') < order.indexOf('marts/daily@2026-03-01'), 'upstream assets first')
      assert.ok(order.indexOf('dashboards/revenue') > order.indexOf('marts/daily@2026-03-31'))
      const result = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-31' })
      assert.equal(result.status, 'succeeded')
      assert.equal(result.counts!.succeeded, 95)
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select revenue, partition_key from marts.monthly'), [{ revenue: 496, partition_key: '2026-03' }])
      assert.deepEqual(await session.query("select revenue from marts.rolling where partition_key = '2026-03-10'"), [{ revenue: 19 }])
      await session.close()
      const again = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-31' })
      assert.equal(again.runId, null, 'nothing missing')

      // Repair one day: only that day and what reads it are rebuilt.
      const repair = await p.instance.planBackfill('raw/payments', { partition: '2026-03-10', only: 'all' })
      assert.deepEqual(ids(repair.plan.steps), [
        'raw/payments@2026-03-10', 'marts/daily@2026-03-10', 'dashboards/revenue', 'marts/monthly@2026-03', 'marts/rolling@2026-03-10', 'marts/rolling@2026-03-11',
      ])
    } finally {
      await p.close()
    }
  })

  test('--only failed rebuilds what failed and what it skipped; a bad range is TRB2004', async () => {
    const p = await openProject({ assets: project({ fail: new Set(['2026-03-05']) }) }, { clock: clock() })
    try {
      const first = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-07' })
      assert.equal(first.status, 'failed')
      assert.equal(first.counts!.failed, 1)
      const failed = await p.instance.planBackfill('raw/payments', { from: '2026-03-01', to: '2026-03-07', only: 'failed' })
      assert.deepEqual(ids(failed.plan.steps).filter((id) => id.startsWith('raw/')), ['raw/payments@2026-03-05'])
      assert.ok(ids(failed.plan.steps).includes('marts/rolling@2026-03-06'), 'downstream of the failed day through the window')
      await assert.rejects(p.instance.planBackfill('raw/payments', { from: '2026-03-07', to: '2026-03-01' }), (e: { code?: string }) => e.code === 'TRB2004')
      await assert.rejects(p.instance.planBackfill('raw/payments', { from: '2026-03-01' }), (e: { code?: string }) => e.code === 'TRB2004')
      await assert.rejects(p.instance.planBackfill('raw/payments', { from: '2026-03-01', to: '2026-03-02', only: 'some' as 'all' }), (e: { code?: string }) => e.code === 'TRB6001')
    } finally {
      await p.close()
    }
  })

  test('--only failed also rebuilds stale partitions: those whose upstream data changed since they were built', async () => {
    const amounts = new Map<string, number>()
    const raw = defineAsset({ key: 'raw/payments', partitions: days, async materialize(_inputs, ctx) { return [{ id: 1, amount: amounts.get(ctx.partition!) ?? 1 }] } })
    const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select sum(amount)::int as revenue from raw.payments where partition_key = {{ partition_key }}' })
    const p = await openProject({ assets: [raw, daily] }, { clock: clock() })
    try {
      assert.equal((await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04' })).status, 'succeeded')
      amounts.set('2026-03-02', 99)
      assert.equal((await p.instance.materialize('raw/payments', { partition: '2026-03-02' })).status, 'succeeded')
      const plan = await p.instance.planBackfill('marts/daily', { from: '2026-03-01', to: '2026-03-04', only: 'failed' })
      assert.deepEqual(ids(plan.plan.steps), ['marts/daily@2026-03-02'])
      assert.equal((await p.instance.planBackfill('marts/daily', { from: '2026-03-01', to: '2026-03-04' })).plan.steps.length, 0, 'nothing is missing')
    } finally {
      await p.close()
    }
  })

  test('cancel stops the backfill; running it again resumes without redoing what it published', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let reached!: () => void
    const atGate = new Promise<void>((resolve) => (reached = resolve))
    const p = await openProject({ assets: project({ gate, gateOn: '2026-03-03', reached }), concurrency: 1 }, { clock: clock() })
    try {
      const controller = new AbortController()
      const running = p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04', only: 'all', signal: controller.signal })
      // The gated partition's step is running: what came before it in the range is published.
      await atGate
      controller.abort()
      release()
      const canceled = await running
      assert.equal(canceled.status, 'canceled')
      const published = canceled.counts!.succeeded
      assert.ok(published >= 2, `published before the cancel: ${published}`)
      const resumed = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04', only: 'all' })
      assert.equal(resumed.status, 'succeeded', JSON.stringify((await p.instance.store.listSteps(resumed.runId!)).filter((s) => s.status !== 'succeeded')))
      assert.equal(resumed.resumes, canceled.runId)
      assert.equal(resumed.alreadyDone, published)
      // The month is left out: it cannot be built from four days while the rest of March is missing.
      assert.equal(resumed.counts!.succeeded + published, 4 * 3 + 1)
      assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: '2026-03-01' })).length, 1, 'nothing published twice')
    } finally {
      await p.close()
    }
  })

  test('--resume <runId> continues a canceled backfill by id; an unknown run is TRB6002', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let reached!: () => void
    const atGate = new Promise<void>((resolve) => (reached = resolve))
    const p = await openProject({ assets: project({ gate, gateOn: '2026-03-02', reached }), concurrency: 1 }, { clock: clock() })
    try {
      const controller = new AbortController()
      const running = p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-03', only: 'all', signal: controller.signal })
      // The gated partition's step is running: what came before it in the range is published.
      await atGate
      controller.abort()
      release()
      const canceled = await running
      assert.equal(canceled.status, 'canceled')
      const resumed = await p.instance.backfill(undefined, { resume: canceled.runId! })
      assert.equal(resumed.status, 'succeeded')
      assert.equal(resumed.resumes, canceled.runId)
      assert.ok(resumed.alreadyDone >= 1)
      const steps = await p.instance.store.listSteps(resumed.runId!)
      assert.ok(!steps.some((s) => s.assetKey === 'raw/payments' && s.partition === '2026-03-01'), 'the published day is not redone')
      assert.equal((await p.instance.store.getRun(resumed.runId!))!.selection, (await p.instance.store.getRun(canceled.runId!))!.selection)
      await assert.rejects(p.instance.backfill(undefined, { resume: 'no-such-run' }), (e: { code?: string }) => e.code === 'TRB6002')
    } finally {
      await p.close()
    }
  })
})

const CRASH_CONFIG = `
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { dailyPartitions, defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'

const days = dailyPartitions({ start: '2026-03-01' })
export const raw = defineAsset({
  key: 'raw/events', partitions: days,
  async materialize(_inputs, ctx) {
    // The first run hangs on the 4th, after publishing the 1st to 3rd, until the test kills it.
    if (ctx.partition === '2026-03-04' && !existsSync(join(ctx.projectDir, 'go-fast'))) await new Promise((resolve) => setTimeout(resolve, 120_000))
    return [{ id: 1 }, { id: 2 }]
  },
})
export const daily = sqlAsset({ key: 'marts/events', partitions: days, sql: 'select count(*)::int as n from raw.events where partition_key = {{ partition_key }}' })
export default defineProject({ name: 'backfill-crash', assets: [raw, daily], concurrency: 1 })
`

describe('backfill crash safety', () => {
  test('SIGKILL mid-backfill, then the same command resumes: nothing published is redone or duplicated', async () => {
    const { dir, cleanup } = await tempDir('backfill-crash-')
    try {
      await writeFile(join(dir, 'tributary.config.ts'), CRASH_CONFIG)
      const args = ['backfill', 'raw/events', '--from', '2026-03-01', '--to', '2026-03-06', '--only', 'all', '--project', dir]
      const child = cliProcess(args)
      const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
      let runId: string | undefined
      try {
        runId = await runningStep(store, 'raw/events', '2026-03-04')
        assert.ok(runId, 'the hanging partition started')
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        const published = (await store.listSteps(runId)).filter((s) => s.status === 'succeeded').length
        assert.ok(published >= 3, `published before the crash: ${published}`)
      } finally {
        await store.close()
      }

      await writeFile(join(dir, 'go-fast'), '')
      const second = cli([...args, '--json'])
      assert.equal(second.code, 0, second.stderr)
      const result = JSON.parse(second.stdout)
      assert.equal(result.resumes, runId)
      assert.equal(result.status, 'succeeded')
      assert.equal(result.alreadyDone + result.counts.succeeded, 12, second.stdout)

      const reopened = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
      try {
        for (const day of ['01', '02', '03', '04', '05', '06']) {
          const materializations = await reopened.listMaterializations('raw/events', { partition: `2026-03-${day}` })
          assert.equal(materializations.length, 1, `raw/events 2026-03-${day} published exactly once`)
        }
        assert.equal((await reopened.getRun(runId!))!.status, 'failed')
      } finally {
        await reopened.close()
      }
      const { DuckDbWarehouse } = await import('../src/warehouse/duckdb/duckdb-warehouse.js')
      const warehouse = await DuckDbWarehouse.open(join(dir, '.tributary/warehouse.duckdb'))
      const session = await warehouse.session()
      assert.deepEqual(await session.query('select count(*)::int as n, count(distinct partition_key)::int as d from raw.events'), [{ n: 12, d: 6 }])
      assert.deepEqual(await session.query('select sum(n)::int as n from marts.events'), [{ n: 12 }])
      await session.close()
      await warehouse.close()
    } finally {
      await cleanup()
    }
  })
})
