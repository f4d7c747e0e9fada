import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { tempDir } from './helpers/temp-project.js'

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'revenue', 'partitioned')

test('partitioned revenue demo: backfill 90 days, then repairing one bad day rebuilds only that day and its downstream', async () => {
  const temp = await tempDir('revenue-daily-')
  try {
    for (const file of ['tributary.config.ts', 'assets.ts', 'landing.ts']) await cp(join(EXAMPLE, file), join(temp.dir, file))
    const demo = spawnSync(process.execPath, ['--import', 'tsx', join(EXAMPLE, 'demo.ts'), temp.dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 })
    assert.equal(demo.status, 0, `${demo.stdout.slice(-3000)}\n${demo.stderr.slice(-2000)}`)
    assert.match(demo.stdout, /the repair run \S+ succeeded: 11 steps/)
    // status --partitions says why the bad day and what reads it are not built.
    assert.match(demo.stdout, /raw\/payments 2026-03-03: blocking check failed: unique\(payment_id\)/)
    assert.match(demo.stdout, /marts\/daily_revenue 2026-03-03: skipped: upstream raw\/payments@2026-03-03 blocked/)

    const instance = await Tributary.open({ projectDir: temp.dir })
    try {
      const runs = await instance.store.listRuns()
      const repair = await instance.store.listSteps(runs[0]!.id)
      assert.deepEqual(repair.map((s) => `${s.assetKey}@${s.partition}`).sort(), [
        'dashboards/revenue_series@null', 'marts/daily_revenue@2026-03-03', 'marts/monthly_revenue@2026-03',
        ...['03', '04', '05', '06', '07', '08', '09'].map((d) => `marts/revenue_7d@2026-03-${d}`), 'raw/payments@2026-03-03',
      ])
      // Other days were published once, by the first backfill, and never touched again.
      assert.equal((await instance.store.listMaterializations('raw/payments', { partition: '2026-03-02' })).length, 1)
      assert.equal((await instance.store.listMaterializations('raw/payments', { partition: '2026-03-03' })).length, 1)
      const [raw] = await instance.partitionStatus('raw/payments')
      assert.deepEqual(raw!.counts, { fresh: 90, stale: 0, failed: 0, missing: 0, running: 0 })
      const session = await (await instance.warehouse()).session()
      assert.deepEqual(await session.query('select count(*)::int as n, count(distinct payment_id)::int as d from raw.payments'), [{ n: 1080, d: 1080 }])
      assert.deepEqual(await session.query('select sum(days)::int as days from marts.monthly_revenue'), [{ days: 90 }])
      await session.close()
    } finally {
      await instance.close()
    }
  } finally {
    await temp.cleanup()
  }
})
