// Backfills over HTTP on a real server (loopback, port 0): plan, start, progress, pause,
// resume, cancel, and the errors of each.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { openEvents, serveInstance } from './helpers/server.js'
import { poll } from './helpers/poll.js'
import { openProject } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })

// raw/payments waits on `gates` for the days listed there, so the test can act while it runs.
const gates = new Map<string, Promise<void>>()
function project() {
  const payments = defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      await gates.get(ctx.partition!)
      return [{ id: 1, amount: Number(ctx.partition!.slice(8)) }]
    },
  })
  const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select sum(amount)::int as revenue from raw.payments where partition_key = {{ partition_key }}' })
  const total = sqlAsset({ key: 'marts/total', sql: 'select count(*)::int as days from marts.daily' })
  return [payments, daily, total]
}

function gate(day: string): () => void {
  let release!: () => void
  gates.set(day, new Promise<void>((resolve) => (release = resolve)))
  return release
}


describe('server: backfills', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    p = await openProject({ assets: project(), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')), settings: { heartbeatMs: 100 } })
    s = await serveInstance(p.instance)
  })
  after(async () => {
    await s.server.close()
    await p.close()
  })

  test('a dry run answers the plan per asset without running anything', async () => {
    const response = await s.api.post('/api/backfills', { body: { selection: 'raw/payments', from: '2026-03-01', to: '2026-03-04', dryRun: true } })
    assert.equal(response.status, 200, response.text)
    assert.deepEqual(response.body, {
      runId: null, identity: 'backfill raw/payments --from 2026-03-01 --to 2026-03-04 --only missing', total: 9, alreadyDone: 0, resumes: null,
      assets: [
        { key: 'raw/payments', partitions: 4, first: '2026-03-01', last: '2026-03-04' },
        { key: 'marts/daily', partitions: 4, first: '2026-03-01', last: '2026-03-04' },
        { key: 'marts/total', partitions: 1, first: null, last: null },
      ],
    })
    assert.deepEqual(await p.instance.store.listRuns(), [])
  })

  test('start, watch progress, pause (the running day finishes), resume, and the events say so', async () => {
    const release = gate('2026-03-02')
    const events = await openEvents(s.server.url)
    try {
      const started = await s.api.post('/api/backfills', { body: { selection: 'raw/payments', from: '2026-03-01', to: '2026-03-05', only: 'all' } })
      assert.equal(started.status, 202, started.text)
      const runId: string = started.body.runId
      assert.equal(started.body.total, 11)

      await poll('2026-03-02 runs', async () => {
        const { body } = await s.api.get(`/api/runs/${runId}`)
        return body.steps?.some((step: { partition: string; status: string }) => step.partition === '2026-03-02' && step.status === 'running') ? true : undefined
      })
      const progress = await s.api.get(`/api/backfills/${runId}`)
      assert.equal(progress.status, 200)
      assert.equal(progress.body.run.status, 'running')
      assert.equal(progress.body.total, 11)
      assert.equal(progress.body.done, 1, 'the day before is done')
      assert.deepEqual(progress.body.assets[0], { key: 'raw/payments', total: 5, done: 1, counts: { succeeded: 1, running: 1, queued: 3 } })
      assert.equal(typeof progress.body.etaMs, 'number', 'an ETA once a step is done')

      const pause = await s.api.post(`/api/backfills/${runId}/pause`)
      assert.equal(pause.status, 202, pause.text)
      assert.equal(pause.body.requested, 'pause')
      release()
      const paused = await poll('the run is paused', async () => {
        const response = await s.api.get(`/api/backfills/${runId}`)
        return response.body.run.status === 'paused' ? response.body : undefined
      })
      assert.equal(paused.etaMs, null)
      assert.ok(paused.counts.canceled > 0, 'steps were left for later')
      assert.equal(paused.assets[0].counts.succeeded >= 2, true)
      await poll('run_finished paused is sent', async () => (events.items.some((i) => 'event' in i && i.event === 'run_finished' && i.data.runId === runId && i.data.status === 'paused') ? true : undefined))
      assert.ok(events.items.some((i) => 'event' in i && i.event === 'run_pausing' && i.data.runId === runId))

      const list = await s.api.get('/api/backfills?status=paused')
      assert.deepEqual(list.body.map((b: { run: { id: string } }) => b.run.id), [runId])

      const again = await s.api.post(`/api/backfills/${runId}/pause`)
      assert.equal(again.status, 409)
      assert.equal(again.body.error.code, 'TRB6003')

      const resumed = await s.api.post(`/api/backfills/${runId}/resume`, { body: { concurrency: 2 } })
      assert.equal(resumed.status, 202, resumed.text)
      assert.equal(resumed.body.resumes, runId)
      assert.equal(resumed.body.alreadyDone + resumed.body.total, 11)
      const second = await poll('the resumed run ends', async () => {
        const response = await s.api.get(`/api/backfills/${resumed.body.runId}`)
        return response.body.run.status === 'running' ? undefined : response.body
      })
      assert.equal(second.run.status, 'succeeded')
      for (const day of ['01', '02', '03', '04', '05']) {
        assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: `2026-03-${day}` })).length, 1, `2026-03-${day} published once`)
      }
      const nothing = await s.api.post(`/api/backfills/${resumed.body.runId}/resume`)
      assert.equal(nothing.status, 200, 'a finished backfill has nothing left to resume')
      assert.equal(nothing.body.runId, null)
    } finally {
      release()
      events.close()
    }
  })

  test('cancel stops a running backfill; POST /api/runs/{id}/cancel does the same', async () => {
    const release = gate('2026-03-07')
    try {
      const started = await s.api.post('/api/backfills', { body: { selection: 'raw/payments', partition: '2026-03-07' } })
      assert.equal(started.status, 202, started.text)
      const runId: string = started.body.runId
      await poll('2026-03-07 runs', async () => ((await s.api.get(`/api/backfills/${runId}`)).body.counts?.running === 1 ? true : undefined))
      const cancel = await s.api.post(`/api/runs/${runId}/cancel`)
      assert.equal(cancel.status, 202, cancel.text)
      const ended = await poll('the run ends', async () => {
        const response = await s.api.get(`/api/backfills/${runId}`)
        return response.body.run.status === 'running' ? undefined : response.body
      })
      assert.equal(ended.run.status, 'canceled')
      const late = await s.api.post(`/api/backfills/${runId}/cancel`)
      assert.equal(late.status, 409)
      assert.equal(late.body.error.code, 'TRB6003')
    } finally {
      release()
    }
  })

  test('bad requests are 400 with a hint; unknown runs 404; a plain run cannot be paused', async () => {
    const cases: [unknown, RegExp][] = [
      [{ selection: 'raw/payments', from: '2026-03-01' }, /--from and --to/],
      [{ selection: 'raw/payments', from: '2026-03-01', to: '2026-02-01' }, /./],
      [{ selection: 'raw/payments', partition: '2026-3-1' }, /2026-3-1/],
      [{ selection: 'raw/payments', partition: '2026-03-01', only: 'some' }, /only must be/],
      [{ selection: 'raw/payments', partition: '2026-03-01', concurrency: 0 }, /concurrency/],
      [{ selection: 'raw/payments', partition: '2026-03-01', dryrun: true }, /unknown field dryrun/],
      [{ selection: 42 }, /selection must be/],
    ]
    for (const [body, message] of cases) {
      const response = await s.api.post('/api/backfills', { body })
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`)
      assert.match(response.body.error.message, message, JSON.stringify(body))
      assert.match(response.body.error.code, /^TRB(2004|6001|6025)$/)
    }
    const unknown = await s.api.post('/api/backfills', { body: { selection: 'raw/paymnts', partition: '2026-03-01' } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error.code, 'TRB2003')
    assert.match(unknown.body.error.hint, /raw\/payments/)

    assert.equal((await s.api.get('/api/backfills/nope')).status, 404)
    assert.equal((await s.api.post('/api/backfills/nope/pause')).body.error.code, 'TRB6002')
    assert.equal((await s.api.post('/api/backfills/nope/resume')).status, 404)
    const plain = await p.instance.materialize('marts/total')
    const pause = await s.api.post(`/api/backfills/${plain.runId}/pause`)
    assert.equal(pause.status, 400)
    assert.equal(pause.body.error.code, 'TRB6001')
    assert.match(pause.body.error.hint, /Cancel it instead/)
    assert.equal((await s.api.get(`/api/backfills/${plain.runId}`)).status, 404, 'a plain run is not a backfill')
    assert.equal((await s.api.get('/api/backfills?status=sideways')).status, 400)
  })
})
