// Checks that a number makes business sense, run in write-audit-publish on a real DuckDB
// warehouse: a failing one holds the new data back, and readers keep the last good version.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { metricChange, metricRange, reconcile } from '../src/checks/builtins.js'
import { defineAsset } from '../src/model/asset.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { openProject } from './helpers/temp-project.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function open(assets: Parameters<typeof openProject>[0]['assets']) {
  const project = await openProject({ assets })
  cleanups.push(() => project.close())
  const { instance } = project
  const checks = async (key: string) => (await instance.store.listCheckResults(key, { limit: 1 }))
  const published = async (sql: string) => {
    const session = await (await instance.warehouse()).session()
    try {
      return await session.query(sql)
    } finally {
      await session.close()
    }
  }
  return { instance, checks, published }
}

test('metricRange and metricChange: revenue out of range, or halved overnight, is held back with the numbers; within bounds it is published', async () => {
  let amounts = [100, 250, 150]
  const revenue = defineAsset({
    key: 'marts/revenue',
    checks: [metricRange('sum(amount)', { min: 1, max: 10_000 }), metricChange('sum(amount)', { maxDecrease: 0.3, maxIncrease: 1 })],
    materialize: () => amounts.map((amount, i) => ({ id: i, amount })),
  })
  const { instance, checks, published } = await open([revenue])
  const total = async () => Number((await published('select sum(amount) as t from marts.revenue'))[0]!.t)

  assert.equal((await instance.materialize()).status, 'succeeded')
  const first = await instance.store.listCheckResults('marts/revenue', { limit: 2 })
  assert.deepEqual(first.map((c) => [c.checkName, c.passed, c.message]).sort(), [
    ['metric_change(sum(amount))', true, 'no previous materialization to compare with'],
    ['metric_range(sum(amount))', true, 'sum(amount) is 500, within 1..10,000'],
  ])

  // Half the revenue: the change check holds the run's data back; readers still see 500.
  amounts = [100, 150]
  const halved = await instance.materialize()
  assert.equal(halved.status, 'failed')
  const [step] = await instance.store.listSteps(halved.runId)
  assert.equal(step!.status, 'blocked')
  assert.match(step!.reason!, /metric_change\(sum\(amount\)\) \(sum\(amount\) fell 50% \(500 → 250\); at most 30% allowed\)/)
  assert.equal(await total(), 500)

  // Out of range: said with the value and the bound.
  amounts = [20_000]
  await instance.materialize()
  const [range] = (await instance.store.listCheckResults('marts/revenue', { limit: 2 })).filter((c) => c.checkName.startsWith('metric_range'))
  assert.deepEqual([range!.passed, range!.message], [false, 'sum(amount) is 20,000, above the maximum of 10,000'])

  // A rise within the bounds publishes, and the change is said.
  amounts = [100, 250, 150, 300]
  assert.equal((await instance.materialize()).status, 'succeeded')
  assert.equal(await total(), 800)
  const [change] = (await checks('marts/revenue'))
  assert.equal(change!.checkName, 'metric_change(sum(amount))')
  assert.equal(change!.message, 'sum(amount) changed +60% (500 → 800)')
})

test('reconcile: the mart\'s total must match the payments it was built from, within the tolerance', async () => {
  let payments = [10, 20, 30]
  let dropped = 0
  const raw = defineAsset({ key: 'raw/payments', materialize: () => payments.map((amount, i) => ({ id: i, amount })) })
  const mart = defineAsset({
    key: 'marts/daily', ins: { raw },
    checks: [reconcile('sum(total)', { with: raw, sql: 'sum(amount)' }, { tolerance: 0.01 })],
    materialize: () => [{ total: payments.slice(dropped).reduce((a, b) => a + b, 0) }],
  })
  const { instance, checks } = await open([raw, mart])
  assert.equal((await instance.materialize()).status, 'succeeded')
  assert.equal((await checks('marts/daily'))[0]!.message, 'sum(total) = 60, raw/payments.sum(amount) = 60: equal')

  // The mart loses a payment: 50 against 60 is off by more than 1%.
  payments = [10, 20, 30, 40]
  dropped = 1
  const result = await instance.materialize()
  assert.equal(result.status, 'failed')
  const [outcome] = await checks('marts/daily')
  assert.deepEqual([outcome!.passed, outcome!.message], [false, 'sum(total) = 90, raw/payments.sum(amount) = 100: off by 10, more than 1%'])
})

test('metricChange on a partitioned asset compares each partition with its own published data, not the whole table', async () => {
  const byDay: Record<string, number> = { '2026-03-01': 1_000, '2026-03-02': 10 }
  const sales = defineAsset({
    key: 'marts/sales', partitions: dailyPartitions({ start: '2026-03-01', end: '2026-03-03' }),
    checks: [metricChange('sum(amount)', { maxDecrease: 0.5 })],
    materialize: (_inputs, ctx) => [{ amount: byDay[ctx.partition!] }],
  })
  const { instance, checks } = await open([sales])
  assert.equal((await instance.materialize(undefined, { partition: '2026-03-01' })).status, 'succeeded')
  // A small day is not a drop against the big day before it: its own partition was never published.
  assert.equal((await instance.materialize(undefined, { partition: '2026-03-02' })).status, 'succeeded')
  assert.equal((await checks('marts/sales'))[0]!.message, 'nothing published of this partition to compare with (sum(amount) is 10)')
  // Rebuilt with half its sales, the first day is compared with its own 1,000.
  byDay['2026-03-01'] = 400
  const again = await instance.materialize(undefined, { partition: '2026-03-01' })
  assert.equal(again.status, 'failed')
  assert.equal((await checks('marts/sales'))[0]!.message, 'sum(amount) fell 60% (1,000 → 400); at most 50% allowed')
})

test('a metric that is not a number, or that the warehouse cannot compute, fails its check with the reason', async () => {
  const names = defineAsset({
    key: 'raw/names',
    checks: [metricRange('max(name)', { min: 0 }), metricRange('sum(amout)', { min: 0 }, { name: 'typo' })],
    materialize: () => [{ name: 'ada', amount: 1 }],
  })
  const { instance } = await open([names])
  const result = await instance.materialize()
  assert.equal(result.status, 'failed')
  const outcomes = new Map((await instance.store.listCheckResults('raw/names', { limit: 2 })).map((c) => [c.checkName, c]))
  assert.equal(outcomes.get('metric_range(max(name))')!.message, 'max(name) is "ada", not a number: write an aggregate that returns one')
  assert.equal(outcomes.get('typo')!.passed, false)
  assert.match(outcomes.get('typo')!.message!, /^could not run the check: .*amout/)
})
