// Tests of the revenue example's assets with tributary-orchestrator/testing: each asset runs on
// inline fixtures in a temporary embedded project, its checks included; the last test plays a
// late export on a simulated clock. Run with `node scripts/run-tests.js examples/`.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineProject } from 'tributary-orchestrator'
import { simulate, testAsset } from 'tributary-orchestrator/testing'
import { revenue } from './assets/models.js'
import { payments } from './assets/raw.js'
import { paymentsExport } from './assets/sources.js'

const HEADER = 'payment_id,account_id,amount,status,paid_at'
const export1 = `${HEADER}\n1,10,120.5,paid,2026-06-01\n2,11,80.25,paid,2026-06-02\n3,10,20.5,refunded,2026-06-03\n`

test('raw/payments loads the day\'s export and passes its checks', async () => {
  const result = await testAsset(payments, { inputs: { 'landing/payments': { files: { 'landing/payments/payments_2026-06-03.csv': export1 } } } })
  assert.equal(result.status, 'succeeded', JSON.stringify(result.error))
  assert.equal(result.rows.length, 3)
  assert.ok(result.checks.length >= 4 && result.checks.every((c) => c.passed), JSON.stringify(result.checks))
  assert.ok(result.logs.some((l) => l.message.includes('loading 1 payment file(s)')), JSON.stringify(result.logs))
})

test('a duplicate payment_id fails the unique check and publishes nothing', async () => {
  const duplicated = `${export1}3,12,5.5,paid,2026-06-03\n`
  const result = await testAsset(payments, { inputs: { 'landing/payments': { files: { 'landing/payments/payments_2026-06-03.csv': duplicated } } } })
  assert.notEqual(result.status, 'succeeded')
  const unique = result.checks.find((c) => c.name.includes('unique'))
  assert.equal(unique?.passed, false, JSON.stringify(result.checks))
  assert.equal(unique?.failingRows, 2) // both rows with payment_id 3
  assert.deepEqual(result.rows, [])
})

test('marts/revenue nets refunds per month from inline rows of raw.payments', async () => {
  const rows = [
    { payment_id: 1, account_id: 10, amount: 100, status: 'paid', paid_at: new Date('2026-05-30') },
    { payment_id: 2, account_id: 11, amount: 50, status: 'paid', paid_at: new Date('2026-06-01') },
    { payment_id: 3, account_id: 11, amount: 20, status: 'refunded', paid_at: new Date('2026-06-02') },
  ]
  const result = await testAsset(revenue, { inputs: { 'raw/payments': rows } })
  assert.equal(result.status, 'succeeded', JSON.stringify(result.error))
  assert.deepEqual(result.rows.map((r) => [new Date(r.month as string).toISOString().slice(0, 7), Number(r.revenue), Number(r.paying_accounts)]), [['2026-05', 100, 1], ['2026-06', 30, 1]])
  assert.ok(result.checks.every((c) => c.passed))
})

test('a simulated night: the payments export does not land, so the source turns late and the mart misses its deadline', async () => {
  const sim = await simulate(defineProject({ name: 'revenue-sim', assets: [paymentsExport, payments, revenue], pools: { warehouse: 1 } }), { start: '2026-06-09T04:00:00+01:00' })
  try {
    await sim.land('landing/payments/payments_2026-06-09.csv', export1)
    const night1 = await sim.instance.materialize()
    assert.equal(night1.status, 'succeeded')
    // Day 2, 08:00 London: no new export for 28 h (maxAge 20h); the 07:00 deadline has passed.
    sim.set('2026-06-10T08:00:00+01:00')
    await sim.tick()
    const status = new Map((await sim.status()).map((s) => [s.key, s]))
    assert.equal(status.get('landing/payments')?.status, 'late')
    assert.equal(status.get('marts/revenue')?.ready, false)
    assert.equal(status.get('marts/revenue')?.rootCause?.key, 'landing/payments')
  } finally {
    await sim.close()
  }
})
