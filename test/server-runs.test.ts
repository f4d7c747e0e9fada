// Starting, following and canceling runs over HTTP; bad input; the bare 500.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { CRM_CSV, catalogAssets, openEvents, serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

/** Runs until canceled (or 30 s). */
const slow = defineAsset({
  key: 'raw/slow', owner: 'team:data',
  async materialize(_inputs, ctx) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 30_000)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(ctx.signal.reason)
      }, { once: true })
    })
    return [{ done: true }]
  },
})

describe('server: runs', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    p = await openProject({ assets: [...catalogAssets(), slow] })
    await mkdir(join(p.dir, 'landing', 'crm'), { recursive: true })
    await writeFile(join(p.dir, 'landing', 'crm', 'accounts.csv'), CRM_CSV)
    s = await serveInstance(p.instance, { heartbeatMs: 50 })
  })
  after(async () => {
    await s.server.close()
    await p.close()
  })

  test('POST /api/runs starts a run; /api/events follows it to run_finished; the asset turns fresh', async () => {
    assert.equal((await s.api.get('/api/assets/dashboards/sales')).body.status, 'missing')
    const events = await openEvents(s.server.url)
    try {
      assert.equal(events.response.headers.get('content-type'), 'text/event-stream')
      const started = await s.api.post('/api/runs', { body: { selection: '+dashboards/sales' } })
      assert.equal(started.status, 202, started.text)
      assert.deepEqual(started.body.steps, ['raw/accounts', 'marts/accounts_by_region', 'dashboards/sales'])
      const runId: string = started.body.runId
      assert.match(runId, /^\d{8}-\d{6}-[0-9a-f]{6}$/)
      const finished = await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId)
      assert.deepEqual('data' in finished && finished.data, { type: 'run_finished', runId, status: 'succeeded' })
      const mine = events.events().filter((e) => 'runId' in e.data && e.data.runId === runId)
      assert.deepEqual(mine[0]!.data, { type: 'run_started', runId, total: 3 })
      const steps = mine.filter((e) => e.event === 'step')
      assert.ok(steps.length >= 3)
      // A step that ends says how long it took; only a failed one carries its error.
      for (const step of steps) assert.deepEqual(Object.keys(step.data).filter((k) => k !== 'durationMs').sort(), ['attempt', 'key', 'partition', 'reason', 'runId', 'status', 'type'])
      assert.ok(steps.some((e) => e.data.type === 'step' && e.data.status === 'succeeded' && typeof e.data.durationMs === 'number'))
      assert.ok(steps.some((e) => e.data.type === 'step' && e.data.key === 'dashboards/sales' && e.data.status === 'succeeded'))
      await events.waitFor((item) => 'comment' in item && item.comment === 'heartbeat')

      const dashboard = (await s.api.get('/api/assets/dashboards/sales')).body
      assert.equal(dashboard.status, 'fresh')
      assert.equal(dashboard.lastRunId, runId)
      const run = (await s.api.get(`/api/runs/${runId}`)).body
      assert.equal(run.run.status, 'succeeded')
      assert.equal(run.run.trigger, 'api')
      assert.equal(run.run.selection, '+dashboards/sales')
    } finally {
      events.close()
    }
  })

  test('a dry run returns the plan and starts nothing', async () => {
    const runsBefore = (await s.api.get('/api/runs')).body.length
    const plan = await s.api.post('/api/runs', { body: { selection: 'raw/accounts+', dryRun: true } })
    assert.equal(plan.status, 200)
    assert.deepEqual(plan.body, { runId: null, steps: ['raw/accounts', 'marts/accounts_by_region', 'dashboards/sales', 'reports/regions'] })
    assert.equal((await s.api.get('/api/runs')).body.length, runsBefore)
  })

  test('POST /api/runs/{id}/cancel cancels a slow run; canceling it again is a 409', async () => {
    const events = await openEvents(s.server.url)
    try {
      const started = await s.api.post('/api/runs', { body: { selection: 'raw/slow' } })
      assert.equal(started.status, 202)
      const runId: string = started.body.runId
      await events.waitFor((item) => 'event' in item && item.data.runId === runId && item.data.type === 'step' && item.data.status === 'running')
      assert.ok((await s.api.get('/api/runs?status=running')).body.some((r: { id: string }) => r.id === runId))
      const cancel = await s.api.post(`/api/runs/${runId}/cancel`)
      assert.equal(cancel.status, 202)
      assert.deepEqual(cancel.body, { runId, canceling: true })
      const finished = await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId)
      assert.equal('data' in finished && finished.data.status, 'canceled')
      const again = await s.api.post(`/api/runs/${runId}/cancel`)
      assert.equal(again.status, 409, 'it is no longer running')
      assert.equal(again.body.error.code, 'TRB6003')
      assert.match(again.body.error.message, /is not running: it ended canceled/)
      assert.equal((await s.api.post('/api/runs/no-such-run/cancel')).status, 404)
      assert.equal((await s.api.get(`/api/runs/${runId}`)).body.steps[0].status, 'canceled')
    } finally {
      events.close()
    }
  })

  test('bad input: selections, JSON and field types are 400s with codes and hints', async () => {
    const unknown = await s.api.post('/api/runs', { body: { selection: 'raw/acounts' } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error.code, 'TRB2003')
    assert.equal(unknown.body.error.hint, 'Did you mean raw/accounts?')
    assert.doesNotMatch(unknown.body.error.message, /^TRB/, 'the code is not repeated in the message')
    const malformed = await s.api.post('/api/runs', { body: { selection: 'raw/accounts,,' } })
    assert.equal(malformed.status, 400)
    assert.equal(malformed.body.error.code, 'TRB2001')
    const cases: [string, RegExp][] = [
      ['{"selection": ', /not valid JSON/], ['[1, 2]', /must be a JSON object/], ['null', /must be a JSON object/],
      ['{"selection": 5}', /selection must be a string/], ['{"dryRun": "yes"}', /dryRun must be true or false/],
    ]
    for (const [raw, message] of cases) {
      const response = await s.api.post('/api/runs', { raw })
      assert.equal(response.status, 400, raw)
      assert.equal(response.body.error.code, 'TRB6001', raw)
      assert.match(response.body.error.message, message)
    }
    const huge = await s.api.post('/api/runs', { raw: JSON.stringify({ selection: 'x'.repeat(100_000) }) })
    assert.equal(huge.status, 413)
    assert.equal(huge.body.error.code, 'TRB6001')
    assert.equal((await s.api.get('/api/runs')).body.filter((r: { selection: string }) => r.selection.startsWith('raw/acc')).length, 0, 'nothing started')
  })
})

describe('server: shutdown and internal errors', () => {
  test('close() ends open event streams', async () => {
    const p = await openProject({ assets: catalogAssets() })
    const s = await serveInstance(p.instance)
    try {
      const events = await openEvents(s.server.url)
      const started = Date.now()
      await s.server.close()
      await events.done
      assert.ok(Date.now() - started < 1_500, 'closed without waiting for the client')
    } finally {
      await p.close()
    }
  })

  test('an unexpected error is logged and answered with a bare 500, no message or stack', async () => {
    const p = await openProject({ assets: catalogAssets() })
    await p.instance.close()
    const logged: string[] = []
    const s = await serveInstance(p.instance, { log: (line) => logged.push(line) })
    try {
      for (const path of ['/api/runs', '/api/assets']) {
        const response = await s.api.get(path)
        assert.equal(response.status, 500, path)
        assert.equal(response.text, '{"error":{"code":"TRB0000","message":"internal error"}}')
      }
      assert.equal(logged.length, 2)
      assert.match(logged[0]!, /internal error on GET \/api\/runs: .*(not open|closed)/i)
      // A run that cannot even be recorded (the store is closed) is not accepted: 500, not a 202 whose id 404s.
      const events = await openEvents(s.server.url)
      const started = await s.api.post('/api/runs', { body: { selection: 'ops/heartbeat' } })
      assert.equal(started.status, 500)
      assert.equal(started.text, '{"error":{"code":"TRB0000","message":"internal error"}}')
      const finished = await events.waitFor((item) => 'event' in item && item.event === 'run_finished')
      assert.equal('data' in finished && finished.data.status, 'failed', 'whoever follows the stream sees it end')
      events.close()
      assert.ok(logged.some((line) => / could not run: /.test(line)), logged.join('\n'))
      // The event stream says once that it cannot read the event log, not at every poll.
      assert.equal(logged.filter((line) => line.startsWith('reading the event log failed')).length, 1)
    } finally {
      await s.server.close()
      await p.close().catch(() => undefined)
    }
  })
})
