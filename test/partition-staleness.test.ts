// Partition status on real projects (temp dir, SQLite store, DuckDB): which partitions turn
// stale when an upstream is rebuilt through each mapping, and how failed and skipped
// partitions are told apart from missing ones.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ManualClock, type Clock } from '../src/engine/clock.js'
import type { AssetPartitionStatus } from '../src/engine/partition-status.js'
import { rowCount } from '../src/checks/builtins.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { allPartitions, dailyPartitions, staticPartitions, window } from '../src/model/partitions.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })
// Five partitions exist: 2026-03-01 … 2026-03-05.
const clock = () => new ManualClock(new Date('2026-03-06T12:00:00Z'))
/** A clock that moves one second each time it is read, as time does between steps. */
function ticking(): Clock {
  const still = clock()
  return { now: () => (still.advance(1000), still.now()), sleep: (ms, signal) => still.sleep(ms, signal) }
}
const ALL_DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05']

// raw/payments: one row per day whose amount the test changes to publish new data.
function payments(amounts: Map<string, number>, fail: ReadonlySet<string> = new Set()) {
  return defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      if (fail.has(ctx.partition!)) throw new Error(`the bank export for ${ctx.partition} is empty`)
      return [{ id: 1, amount: amounts.get(ctx.partition!) ?? 10 }]
    },
  })
}

const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select sum(amount)::int as revenue from raw.payments where partition_key = {{ partition_key }}' })

type Opened = Awaited<ReturnType<typeof openProject>>

async function statusOf(p: Opened, key: string, selection?: string): Promise<AssetPartitionStatus> {
  const status = (await p.instance.partitionStatus(selection)).find((s) => s.key === key)
  assert.ok(status, `no partition status for ${key}`)
  return status
}

async function succeed(run: Promise<{ status: string; runId: string | null }>): Promise<void> {
  const result = await run
  assert.equal(result.status, 'succeeded', `run ${result.runId} ${result.status}`)
}

describe('partition status: stale through every mapping', () => {
  test('identity: rebuilding one upstream partition with new data makes only that downstream partition stale', async () => {
    const amounts = new Map<string, number>()
    const p = await openProject({ assets: [payments(amounts), daily] }, { clock: clock() })
    try {
      await succeed(p.instance.materialize('raw/payments marts/daily', { from: '2026-03-01', to: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/daily')).counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })

      amounts.set('2026-03-03', 99)
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-03' }))
      const all = await statusOf(p, 'marts/daily')
      assert.deepEqual(all.stale, ['2026-03-03'])
      assert.deepEqual(all.counts, { fresh: 4, stale: 1, failed: 0, missing: 0, running: 0 })
      // Asking for the downstream alone (as `status --partitions marts/daily` and the UI do) must judge it the same.
      assert.deepEqual((await statusOf(p, 'marts/daily', 'marts/daily')).stale, ['2026-03-03'])

      // The same rows again are the same data version (a content hash): nothing downstream is stale for it.
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-04' }))
      assert.deepEqual((await statusOf(p, 'marts/daily')).stale, ['2026-03-03'])

      await succeed(p.instance.materialize('marts/daily', { partition: '2026-03-03' }))
      assert.deepEqual((await statusOf(p, 'marts/daily')).counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })
    } finally {
      await p.close()
    }
  })

  // A still clock gives every publish the same time, so status compares versions; a ticking one
  // lets it skip partitions whose upstream was all published before they read it.
  for (const [label, makeClock] of [['a still clock', clock], ['a ticking clock', ticking]] as const) test(`window lookback, ${label}: rebuilding one upstream day makes stale exactly the days whose window includes it`, async () => {
    const amounts = new Map<string, number>()
    const raw = payments(amounts)
    const rolling = defineAsset({
      key: 'marts/rolling_3d', ins: { raw }, partitions: days, partitionMappings: { raw: window({ lookback: 2 }) },
      async materialize({ raw }, ctx) { return ctx.warehouse.query(`select sum(amount)::int as revenue_3d from ${raw.table}`) },
    })
    const p = await openProject({ assets: [raw, rolling] }, { clock: makeClock() })
    try {
      await succeed(p.instance.materialize('raw/payments marts/rolling_3d', { from: '2026-03-01', to: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/rolling_3d')).counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })

      amounts.set('2026-03-02', 50)
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-02' }))
      const status = await statusOf(p, 'marts/rolling_3d', 'marts/rolling_3d')
      assert.deepEqual(status.stale, ['2026-03-02', '2026-03-03', '2026-03-04'])
      assert.deepEqual(status.counts, { fresh: 2, stale: 3, failed: 0, missing: 0, running: 0 })

      // The first day's window is clipped to the definition's start: it reads one day, and stays fresh.
      amounts.set('2026-03-05', 70)
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/rolling_3d')).stale, ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'])
      await succeed(p.instance.materialize('marts/rolling_3d', { from: '2026-03-02', to: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/rolling_3d')).stale, [])
    } finally {
      await p.close()
    }
  })

  test('allPartitions: rebuilding any upstream partition makes every downstream partition stale', async () => {
    const amounts = new Map<string, number>()
    const raw = payments(amounts)
    const byRegion = defineAsset({
      key: 'marts/by_region', ins: { raw }, partitions: staticPartitions(['eu', 'us']), partitionMappings: { raw: allPartitions() },
      async materialize({ raw }, ctx) { return ctx.warehouse.query(`select '${ctx.partition}' as region, sum(amount)::int as revenue from ${raw.table}`) },
    })
    const share = defineAsset({
      key: 'marts/share', ins: { raw }, partitions: days, partitionMappings: { raw: allPartitions() },
      async materialize({ raw }) { return [{ days: raw.partitions?.length ?? -1 }] },
    })
    const p = await openProject({ assets: [raw, byRegion, share] }, { clock: clock() })
    try {
      await succeed(p.instance.materialize('raw/payments', { from: '2026-03-01', to: '2026-03-05' }))
      await succeed(p.instance.materialize('marts/by_region', { from: 'eu', to: 'us' }))
      await succeed(p.instance.materialize('marts/share', { from: '2026-03-01', to: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/by_region')).counts, { fresh: 2, stale: 0, failed: 0, missing: 0, running: 0 })
      assert.deepEqual((await statusOf(p, 'marts/share')).counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })

      amounts.set('2026-03-04', 40)
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-04' }))
      assert.deepEqual((await statusOf(p, 'marts/by_region', 'marts/by_region')).stale, ['eu', 'us'])
      assert.deepEqual((await statusOf(p, 'marts/share')).stale, ALL_DAYS)

      await succeed(p.instance.materialize('marts/by_region', { partition: 'us' }))
      assert.deepEqual((await statusOf(p, 'marts/by_region')).stale, ['eu'])
    } finally {
      await p.close()
    }
  })

  test('unpartitioned upstream: rebuilding it with new data makes every partition of its partitioned reader stale', async () => {
    let rate = 1
    const fx = defineAsset({ key: 'dim/fx', async materialize() { return [{ currency: 'EUR', rate }] } })
    const raw = payments(new Map())
    const converted = defineAsset({
      key: 'marts/converted', ins: { raw, fx }, partitions: days,
      async materialize({ raw, fx }) {
        return [{ n: 1, raw: raw.partitions?.join(',') ?? '', fx: fx.table }]
      },
    })
    // Its only upstream is unpartitioned.
    const fxDaily = defineAsset({ key: 'marts/fx_daily', ins: { fx }, partitions: days, async materialize(_inputs, ctx) { return [{ day: ctx.partition }] } })
    // Ticking, so the rebuilt partition is the newest one.
    const p = await openProject({ assets: [fx, raw, converted, fxDaily] }, { clock: ticking() })
    try {
      await succeed(p.instance.materialize('dim/fx'))
      await succeed(p.instance.materialize('raw/payments marts/converted marts/fx_daily', { from: '2026-03-01', to: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/converted')).counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })

      rate = 2
      await succeed(p.instance.materialize('dim/fx'))
      assert.deepEqual((await statusOf(p, 'marts/converted', 'marts/converted')).stale, ALL_DAYS)

      await succeed(p.instance.materialize('marts/converted', { partition: '2026-03-05' }))
      const after = await statusOf(p, 'marts/converted')
      assert.deepEqual(after.stale, ALL_DAYS.slice(0, 4))
      assert.deepEqual(after.latest, { partition: '2026-03-05', state: 'fresh' })
      // The asset's own status agrees, also with no partitioned upstream: the newest partition read the new rate, four others did not.
      await succeed(p.instance.materialize('marts/fx_daily', { partition: '2026-03-05' }))
      assert.deepEqual((await statusOf(p, 'marts/fx_daily')).stale, ALL_DAYS.slice(0, 4))
      assert.equal((await p.instance.status('marts/fx_daily'))[0]!.status, 'stale')
      await succeed(p.instance.materialize('marts/fx_daily', { from: '2026-03-01', to: '2026-03-04' }))
      assert.equal((await p.instance.status('marts/fx_daily'))[0]!.status, 'fresh')
    } finally {
      await p.close()
    }
  })

  test('code change: every published partition of the changed asset is stale, its upstream stays fresh', async () => {
    const temp = await tempDir()
    const amounts = new Map<string, number>()
    try {
      const before = await openProject({ assets: [payments(amounts), daily] }, { clock: clock(), dir: temp.dir })
      try {
        await succeed(before.instance.materialize('raw/payments marts/daily', { from: '2026-03-01', to: '2026-03-04' }))
      } finally {
        await before.close()
      }
      const changed = sqlAsset({ ...daily, sql: 'select sum(amount)::bigint as revenue from raw.payments where partition_key = {{ partition_key }}' })
      const after = await openProject({ assets: [payments(amounts), changed] }, { clock: clock(), dir: temp.dir })
      try {
        const status = await statusOf(after, 'marts/daily')
        assert.deepEqual(status.stale, ALL_DAYS.slice(0, 4))
        assert.deepEqual(status.missing, ['2026-03-05'])
        assert.deepEqual((await statusOf(after, 'raw/payments')).stale, [])
      } finally {
        await after.close()
      }
    } finally {
      await temp.cleanup()
    }
  })
})

describe('partition status: failed and skipped partitions', () => {
  test('a partition skipped because its upstream partition failed is not failed itself: missing, with the reason', async () => {
    const fail = new Set(['2026-03-03'])
    const amounts = new Map<string, number>()
    const p = await openProject({ assets: [payments(amounts, fail), daily] }, { clock: clock() })
    try {
      const first = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-05' })
      assert.equal(first.status, 'failed')
      const raw = await statusOf(p, 'raw/payments')
      assert.deepEqual(raw.failed, ['2026-03-03'])
      assert.deepEqual(raw.failures, { '2026-03-03': 'asset raw/payments failed: the bank export for 2026-03-03 is empty' })
      const down = await statusOf(p, 'marts/daily', 'marts/daily')
      assert.deepEqual(down.counts, { fresh: 4, stale: 0, failed: 0, missing: 1, running: 0 })
      assert.deepEqual(down.missing, ['2026-03-03'])
      assert.deepEqual(down.failures, { '2026-03-03': 'skipped: upstream raw/payments@2026-03-03 failed' })

      // Repairing only the upstream leaves it missing (for automation to build, or a backfill) until it is built itself.
      fail.clear()
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-03' }))
      assert.deepEqual((await statusOf(p, 'raw/payments')).failures, {})
      assert.deepEqual((await statusOf(p, 'marts/daily')).missing, ['2026-03-03'])
      // `--only failed` picks it up when the selection includes it (what failed and what it skipped).
      const retry = await p.instance.planBackfill('raw/payments+', { from: '2026-03-01', to: '2026-03-05', only: 'failed' })
      assert.deepEqual(retry.plan.steps.map((s) => `${s.key}@${s.partition}`), ['marts/daily@2026-03-03'])
      await succeed(p.instance.backfill('raw/payments+', { from: '2026-03-01', to: '2026-03-05', only: 'failed' }))
      const repaired = await statusOf(p, 'marts/daily')
      assert.deepEqual(repaired.counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })
      assert.deepEqual(repaired.failures, {})
    } finally {
      await p.close()
    }
  })

  test('a failed rebuild keeps the last good version published and counts failed; the skipped reader stays fresh', async () => {
    const fail = new Set<string>()
    const amounts = new Map<string, number>()
    const p = await openProject({ assets: [payments(amounts, fail), daily] }, { clock: clock() })
    try {
      await succeed(p.instance.materialize('raw/payments marts/daily', { from: '2026-03-01', to: '2026-03-05' }))
      fail.add('2026-03-02')
      amounts.set('2026-03-02', 20)
      const rebuild = await p.instance.materialize('raw/payments marts/daily', { partition: '2026-03-02' })
      assert.equal(rebuild.status, 'failed')
      assert.deepEqual((await statusOf(p, 'raw/payments')).failed, ['2026-03-02'])
      // It still matches what is published upstream: skipping it changed nothing.
      const down = await statusOf(p, 'marts/daily')
      assert.deepEqual(down.counts, { fresh: 5, stale: 0, failed: 0, missing: 0, running: 0 })
      assert.deepEqual(down.failures, { '2026-03-02': 'skipped: upstream raw/payments@2026-03-02 failed' })

      fail.clear()
      await succeed(p.instance.materialize('raw/payments', { partition: '2026-03-02' }))
      assert.deepEqual((await statusOf(p, 'marts/daily')).stale, ['2026-03-02'])
    } finally {
      await p.close()
    }
  })

  test('a check blocking a partition counts it failed, with the check in the reason', async () => {
    const raw = defineAsset({
      key: 'raw/payments', partitions: days, checks: [rowCount({ min: 2 })],
      async materialize(_inputs, ctx) { return [{ id: 1, amount: 10 }, { id: 2, amount: 10 }].slice(ctx.partition === '2026-03-04' ? 1 : 0) },
    })
    const p = await openProject({ assets: [raw, daily] }, { clock: clock() })
    try {
      const run = await p.instance.materialize('raw/payments marts/daily', { from: '2026-03-01', to: '2026-03-05' })
      assert.equal(run.status, 'failed')
      const status = await statusOf(p, 'raw/payments')
      assert.deepEqual(status.failed, ['2026-03-04'])
      assert.match(status.failures?.['2026-03-04'] ?? '', /^blocking check failed: row_count\(2\.\.\) \(1 row/)
      const down = await statusOf(p, 'marts/daily')
      assert.deepEqual([down.missing, down.failed], [['2026-03-04'], []])
      assert.match(down.failures?.['2026-03-04'] ?? '', /^skipped: upstream raw\/payments@2026-03-04 blocked/)
    } finally {
      await p.close()
    }
  })
})
