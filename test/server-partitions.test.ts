// GET /api/partitions on a real server (loopback, port 0) over a small daily-partitioned project.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { dailyPartitions, hourlyPartitions } from '../src/model/partitions.js'
import { serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })

// raw/payments (daily; 2026-03-07 fails) → marts/total (unpartitioned); raw/clicks hourly, never built.
function project() {
  const payments = defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      if (ctx.partition === '2026-03-07') throw new Error('the bank export for 2026-03-07 is empty')
      return [{ id: 1, amount: Number(ctx.partition!.slice(8)) }]
    },
  })
  const total = sqlAsset({ key: 'marts/total', sql: 'select count(*)::int as days from raw.payments' })
  const clicks = defineAsset({ key: 'raw/clicks', partitions: hourlyPartitions({ start: '2026-02-01T00' }), materialize: async () => [{ n: 1 }] })
  return [payments, total, clicks]
}

describe('server: partition status', () => {
  const clock = new ManualClock(new Date('2026-03-10T12:00:00Z'))
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  let goodRun: string
  let badRun: string
  before(async () => {
    p = await openProject({ assets: project() }, { clock })
    s = await serveInstance(p.instance)
    const good = await p.instance.materialize('raw/payments', { from: '2026-03-01', to: '2026-03-05' })
    assert.equal(good.status, 'succeeded')
    goodRun = good.runId
    clock.advance(60_000)
    const bad = await p.instance.materialize('raw/payments', { partition: '2026-03-07' })
    assert.equal(bad.status, 'failed')
    badRun = bad.runId
  })
  after(async () => {
    await s.server.close()
    await p.close()
  })

  test('counts and every partition, oldest first, with when and by which run', async () => {
    const response = await s.api.get('/api/partitions?key=raw/payments')
    assert.equal(response.status, 200, response.text)
    const body = response.body
    assert.deepEqual(Object.keys(body).sort(), ['cadence', 'counts', 'key', 'partitioned', 'partitions', 'total', 'truncated'])
    assert.equal(body.key, 'raw/payments')
    assert.equal(body.partitioned, true)
    assert.equal(body.cadence, 'daily')
    assert.equal(body.total, 9)
    assert.equal(body.truncated, false)
    assert.deepEqual(body.counts, { fresh: 5, stale: 0, failed: 1, missing: 3, running: 0 })
    assert.deepEqual(body.partitions.map((x: { key: string; status: string }) => `${x.key} ${x.status}`), [
      '2026-03-01 fresh', '2026-03-02 fresh', '2026-03-03 fresh', '2026-03-04 fresh', '2026-03-05 fresh',
      '2026-03-06 missing', '2026-03-07 failed', '2026-03-08 missing', '2026-03-09 missing',
    ])
    const [first] = body.partitions
    assert.deepEqual(Object.keys(first).sort(), ['key', 'lastUpdated', 'reason', 'runId', 'status'])
    assert.equal(first.reason, null)
    assert.equal(first.runId, goodRun)
    assert.equal(new Date(first.lastUpdated).toISOString(), first.lastUpdated)
    const failed = body.partitions.find((x: { key: string }) => x.key === '2026-03-07')
    assert.deepEqual(failed, { key: '2026-03-07', status: 'failed', lastUpdated: null, runId: badRun, reason: failed.reason })
    assert.match(failed.reason, /the bank export for 2026-03-07 is empty/)
    const missing = body.partitions.find((x: { key: string }) => x.key === '2026-03-06')
    assert.deepEqual(missing, { key: '2026-03-06', status: 'missing', lastUpdated: null, runId: null, reason: null })
  })

  test('the 400 newest partitions of a long history, with truncated set', async () => {
    const response = await s.api.get('/api/partitions?key=raw/clicks')
    assert.equal(response.status, 200, response.text)
    const hours = 28 * 24 + 9 * 24 + 12 // 2026-02-01T00 .. 2026-03-10T11, the last hour that has ended
    assert.equal(response.body.total, hours)
    assert.equal(response.body.cadence, 'hourly')
    assert.equal(response.body.truncated, true)
    assert.equal(response.body.partitions.length, 400)
    assert.equal(response.body.partitions.at(-1).key, '2026-03-10T11')
    assert.deepEqual(response.body.counts, { fresh: 0, stale: 0, failed: 0, missing: hours, running: 0 })
  })

  test('an unpartitioned asset answers partitioned false; an unknown key is 404 TRB2003; no key is 400', async () => {
    const total = await s.api.get('/api/partitions?key=marts/total')
    assert.equal(total.status, 200, total.text)
    assert.deepEqual(total.body, {
      key: 'marts/total', partitioned: false, cadence: null, total: 0,
      counts: { fresh: 0, stale: 0, failed: 0, missing: 0, running: 0 }, partitions: [], truncated: false,
    })
    const unknown = await s.api.get('/api/partitions?key=raw/paymants')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.error.code, 'TRB2003')
    assert.match(unknown.body.error.hint, /raw\/payments/)
    const none = await s.api.get('/api/partitions')
    assert.equal(none.status, 400)
    assert.equal(none.body.error.code, 'TRB6001')
  })
})
