// Automation over HTTP on a real loopback server: webhook sensors (HMAC), incidents, decisions, predicted ready times.
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { pollSensor, webhookSensor } from '../src/model/automation.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { signWebhook } from '../src/server/webhook-signature.js'
import { landCrmExport, catalogAssets, serveInstance } from './helpers/server.js'
import { runFinished } from './helpers/poll.js'
import { openProject } from './helpers/temp-project.js'

const operatorToken = `op-${randomBytes(16).toString('hex')}`
const readToken = `rd-${randomBytes(16).toString('hex')}`
const SECRET_ENV = 'TRB_TEST_CRM_SENSOR_SECRET'
const secret = randomBytes(24).toString('hex')

describe('server: webhook sensors, incidents, decisions', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    process.env[SECRET_ENV] = secret
    p = await openProject({
      assets: catalogAssets(),
      sensors: [
        webhookSensor({ name: 'crm-landed', selection: 'raw/accounts+', secretEnv: SECRET_ENV }),
        webhookSensor({ name: 'no-secret', selection: 'raw/accounts', secretEnv: 'TRB_TEST_UNSET_SECRET' }),
        pollSensor({ name: 'poller', selection: 'raw/accounts', poll: () => ({ cursor: null, request: false }) }),
      ],
    })
    await landCrmExport(p.dir)
    s = await serveInstance(p.instance, { auth: { operatorToken, readToken } })
  })
  after(async () => {
    delete process.env[SECRET_ENV]
    await s.server.close()
    await p.close()
  })

  const send = (name: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${s.server.url}/api/sensors/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  // Signed "now" on the instance's clock: the tolerance window is judged by it.
  const signed = (body: string, key = secret, deliveryId?: string) => signWebhook(body, key, p.instance.clock.now(), deliveryId)

  test('/api/ready fills expectedAt for items not ready yet from the forecast (before anything is built)', async () => {
    const board = await s.api.get('/api/ready', { token: readToken })
    assert.equal(board.status, 200)
    for (const item of board.body as { ready: boolean; expectedAt: string | null }[]) {
      if (item.ready) assert.equal(item.expectedAt, null)
      else if (item.expectedAt !== null) assert.ok(!Number.isNaN(Date.parse(item.expectedAt)))
    }
    const forecast = await p.instance.forecast(['reports/regions'])
    const item = (board.body as { key: string; ready: boolean; expectedAt: string | null }[]).find((i) => i.key === 'reports/regions')!
    assert.equal(item.ready, false, 'nothing has been built into reports/regions yet')
    // Only a webhook sensor would build it, when it fires: no time is promised that nothing will keep.
    const prediction = forecast.predictions.get('reports/regions')!
    assert.equal(prediction.predictedAt, null)
    assert.equal(item.expectedAt, null)
    assert.match(prediction.basis, /^waiting for raw\/accounts, which has no predicted time \(sensor crm-landed and sensor no-secret and sensor poller would not start it at a time that can be predicted/)
  })

  test('a correctly signed event starts a run of the sensor\'s selection, triggered by sensor:<name>, without a token', async () => {
    const body = JSON.stringify({ event: 'export_landed', file: 'accounts.csv' })
    const response = await send('crm-landed', body, signed(body))
    assert.equal(response.status, 202)
    const started = (await response.json()) as { runId: string; steps: string[] }
    assert.match(started.runId, /\S/)
    assert.deepEqual(started.steps.slice(0, 2), ['raw/accounts', 'marts/accounts_by_region'])
    const run = await runFinished(p.instance, started.runId)
    assert.equal(run?.trigger, 'sensor:crm-landed')
    assert.equal(run?.status, 'succeeded')
  })

  test('bad signatures are 401: missing, wrong secret, another body, malformed; nothing runs', async () => {
    const runsBefore = (await p.instance.store.listRuns({ limit: 1000 })).length
    const body = '{"event":"export_landed"}'
    const good = signed(body)
    const timestamp = good['X-Tributary-Timestamp']!
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /header is missing/],
      ['no timestamp', { 'X-Tributary-Signature': good['X-Tributary-Signature']! }, /Timestamp header is missing/],
      ['wrong secret', signed(body, 'not-the-secret'), /does not match/],
      ['signature of another body', { ...signed('{"event":"other"}'), 'X-Tributary-Timestamp': timestamp }, /does not match/],
      ['another timestamp', { ...good, 'X-Tributary-Timestamp': String(Number(timestamp) - 1) }, /does not match/],
      ['the body alone signed (the old scheme)', { 'X-Tributary-Timestamp': timestamp, 'X-Tributary-Signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }, /does not match/],
      ['no sha256= prefix', { ...good, 'X-Tributary-Signature': good['X-Tributary-Signature']!.slice('sha256='.length) }, /does not match/],
      ['truncated', { ...good, 'X-Tributary-Signature': good['X-Tributary-Signature']!.slice(0, -2) }, /does not match/],
      ['empty', { ...good, 'X-Tributary-Signature': '' }, /missing/],
    ]
    for (const [label, headers, message] of cases) {
      const response = await send('crm-landed', body, headers)
      assert.equal(response.status, 401, label)
      const error = (await response.json()) as { error: { code: string; message: string; hint: string } }
      assert.equal(error.error.code, 'TRB6022', label)
      assert.match(error.error.message, message, label)
      assert.match(error.error.hint, /X-Tributary-Signature: sha256=/)
      assert.ok(!JSON.stringify(error).includes(secret))
    }
    const unset = await send('no-secret', body, signed(body, 'x'))
    assert.equal(unset.status, 401, 'a sensor whose secret is not set refuses everything')
    assert.equal((await p.instance.store.listRuns({ limit: 1000 })).length, runsBefore)
  })

  test('unknown sensors and non-webhook sensors are 404', async () => {
    const body = '{}'
    for (const name of ['nope', 'poller']) {
      const response = await send(name, body, signed(body))
      assert.equal(response.status, 404, name)
    }
  })

  test('incidents: list by status (read token), acknowledge and resolve (operator), unknown ids 404', async () => {
    const store = await p.instance.automation()
    const at = new Date('2026-03-02T06:00:00Z')
    const { incident } = await store.raiseIncident({ assetKey: 'landing/crm_accounts', condition: 'source_late', severity: 'warning', owner: 'team:crm', message: 'landing/crm_accounts is late', affected: ['dashboards/sales'], at })
    const other = (await store.raiseIncident({ assetKey: 'ops/heartbeat', condition: 'run_failed', severity: 'critical', owner: 'alice@example.com', message: 'boom', affected: [], at })).incident

    const all = await s.api.get('/api/incidents', { token: readToken })
    assert.equal(all.status, 200)
    assert.deepEqual(all.body.map((i: { id: number }) => i.id), [other.id, incident.id])
    assert.deepEqual(all.body[1], {
      id: incident.id, assetKey: 'landing/crm_accounts', condition: 'source_late', severity: 'warning', status: 'open', owner: 'team:crm',
      message: 'landing/crm_accounts is late', affected: ['dashboards/sales'], occurrences: 1, openedAt: at.toISOString(), updatedAt: at.toISOString(),
      escalatedAt: null, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolution: null,
    })
    assert.equal((await s.api.get('/api/incidents?status=bogus', { token: readToken })).status, 400)
    assert.equal((await s.api.get('/api/incidents')).status, 401, 'incidents need a token')

    assert.equal((await s.api.post(`/api/incidents/${incident.id}/ack`, { token: readToken, body: { by: 'bob' } })).status, 403)
    const acked = await s.api.post(`/api/incidents/${incident.id}/ack`, { token: operatorToken, body: { by: 'alice' } })
    assert.equal(acked.status, 200)
    assert.equal(acked.body.status, 'acknowledged')
    assert.equal(acked.body.acknowledgedBy, 'alice')
    assert.deepEqual((await s.api.get('/api/incidents?status=acknowledged', { token: readToken })).body.map((i: { id: number }) => i.id), [incident.id])

    assert.equal((await s.api.post(`/api/incidents/${incident.id}/resolve`, { token: operatorToken, body: {} })).status, 400, 'a message is required')
    const resolved = await s.api.post(`/api/incidents/${incident.id}/resolve`, { token: operatorToken, body: { message: 're-sent the CRM export' } })
    assert.equal(resolved.status, 200)
    assert.equal(resolved.body.status, 'resolved')
    assert.equal(resolved.body.resolution, 're-sent the CRM export')
    assert.equal((await s.api.post(`/api/incidents/${incident.id}/ack`, { token: operatorToken })).status, 409, 'a resolved incident cannot be acknowledged')
    assert.deepEqual((await s.api.get('/api/incidents?status=unresolved', { token: readToken })).body.map((i: { id: number }) => i.id), [other.id])

    assert.equal((await s.api.post('/api/incidents/999999/ack', { token: operatorToken })).status, 404)
    assert.equal((await s.api.post('/api/incidents/abc/resolve', { token: operatorToken, body: { message: 'x' } })).status, 400)
  })

  test('decisions: newest first, filtered by key', async () => {
    const store = await p.instance.automation()
    const at = new Date('2026-03-02T06:00:00Z')
    await store.recordDecisions([
      { tickId: 't1', assetKey: 'raw/accounts', requested: true, reason: 'requested because landing/crm_accounts updated at 05:12', runId: 'run-1', at },
      { tickId: 't1', assetKey: 'marts/accounts_by_region', requested: false, reason: 'waiting for raw/accounts, which is running', runId: null, at },
    ])
    const decisions = await s.api.get('/api/decisions?key=raw/accounts', { token: readToken })
    assert.equal(decisions.status, 200)
    assert.deepEqual(decisions.body.map((d: { assetKey: string; requested: boolean; reason: string; runId: string | null }) => [d.assetKey, d.requested, d.reason, d.runId]), [
      ['raw/accounts', true, 'requested because landing/crm_accounts updated at 05:12', 'run-1'],
    ])
    assert.equal((await s.api.get('/api/decisions', { token: readToken })).body.length, 2)
  })
})

describe('server: webhook sensors over partitioned assets', () => {
  test('a signed event builds the newest ended partition, as the other sensors do', async () => {
    process.env[SECRET_ENV] = secret
    const events = defineAsset({ key: 'raw/events', partitions: dailyPartitions({ start: '2026-01-01' }), materialize: async (_inputs, ctx) => [{ day: ctx.partition }] })
    const p = await openProject({ assets: [events], sensors: [webhookSensor({ name: 'events-landed', selection: 'raw/events', secretEnv: SECRET_ENV })] })
    const s = await serveInstance(p.instance)
    try {
      // The newest ended day when the event is sent (taken on both sides of it, for a send across midnight).
      const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      const before = yesterday()
      const body = '{"event":"landed"}'
      const response = await fetch(`${s.server.url}/api/sensors/events-landed`, { method: 'POST', headers: signWebhook(body, secret, p.instance.clock.now()), body })
      assert.equal(response.status, 202, await response.clone().text())
      const { runId } = (await response.json()) as { runId: string }
      const run = await runFinished(p.instance, runId)
      assert.equal(run?.status, 'succeeded')
      const built = (await p.instance.store.listSteps(runId)).map((step) => `${step.assetKey}@${step.partition}`)
      assert.equal(built.length, 1)
      assert.ok([before, yesterday()].some((day) => built[0] === `raw/events@${day}`), built[0])
    } finally {
      delete process.env[SECRET_ENV]
      await s.server.close()
      await p.close()
    }
  })
})
