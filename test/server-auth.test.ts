// Tokens and roles, the loopback rule, and that no response ever carries a secret.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { TributaryError } from '../src/model/errors.js'
import { authFromEnv, isLoopback } from '../src/server/auth.js'
import { startServer } from '../src/server/server.js'
import { landCrmExport, catalogAssets, openEvents, serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const operatorToken = `op-${randomBytes(16).toString('hex')}`
const readToken = `rd-${randomBytes(16).toString('hex')}`

describe('server: auth', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    p = await openProject({ assets: catalogAssets() })
    await landCrmExport(p.dir)
    s = await serveInstance(p.instance, { auth: { operatorToken, readToken } })
  })
  after(async () => {
    await s.server.close()
    await p.close()
  })

  test('no token or a wrong one: 401 with a JSON error and WWW-Authenticate', async () => {
    for (const token of [undefined, 'wrong', operatorToken.slice(0, -1), `${operatorToken}x`]) {
      const response = await s.api.get('/api/health', token ? { token } : {})
      assert.equal(response.status, 401, String(token))
      assert.equal(response.body.error.code, 'TRB6001')
      assert.match(response.body.error.message, token ? /not valid/ : /needs a token/)
      assert.match(response.headers.get('www-authenticate')!, /^Bearer/)
    }
    assert.equal((await s.api.post('/api/runs', { body: { dryRun: true } })).status, 401)
    assert.equal((await s.api.get(`/api/health?token=${operatorToken}`)).status, 401, '?token= is for the event stream only')
  })

  test('the read token reads but may not start or cancel runs (403)', async () => {
    const health = await s.api.get('/api/health', { token: readToken })
    assert.equal(health.status, 200)
    assert.equal(health.body.role, 'read')
    assert.equal((await s.api.get('/api/assets', { token: readToken })).status, 200)
    const start = await s.api.post('/api/runs', { token: readToken, body: { selection: 'ops/heartbeat' } })
    assert.equal(start.status, 403)
    assert.equal(start.body.error.code, 'TRB6001')
    assert.match(start.body.error.message, /read-only/)
    assert.equal((await s.api.post('/api/runs/some-run/cancel', { token: readToken })).status, 403)
    assert.equal((await s.api.get('/api/runs', { token: readToken })).body.length, 0, 'nothing started')
  })

  test('the operator token may start runs', async () => {
    assert.equal((await s.api.get('/api/health', { token: operatorToken })).body.role, 'operator')
    const started = await s.api.post('/api/runs', { token: operatorToken, body: { selection: 'ops/heartbeat' } })
    assert.equal(started.status, 202)
    const plan = await s.api.post('/api/runs', { token: operatorToken, body: { dryRun: true } })
    assert.equal(plan.status, 200)
  })

  test('the event stream takes ?token= (EventSource cannot send headers)', async () => {
    const denied = await fetch(`${s.server.url}/api/events?token=wrong`)
    assert.equal(denied.status, 401)
    await denied.body?.cancel()
    const events = await openEvents(s.server.url, `?token=${readToken}`)
    assert.equal(events.response.status, 200)
    const started = await s.api.post('/api/runs', { token: operatorToken, body: { selection: 'ops/heartbeat' } })
    await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === started.body.runId)
    events.close()
  })

  test('no response contains a token or the state directory, on any endpoint or error', async () => {
    const run = await s.api.post('/api/runs', { token: operatorToken, body: { selection: 'ops/heartbeat' } })
    const secrets = [operatorToken, readToken, p.instance.stateDir, 'metadata.sqlite', 'warehouse.duckdb']
    const requests: [string, string, string | undefined, string?][] = [
      ['GET', '/api/health', operatorToken], ['GET', '/api/openapi.json', operatorToken], ['GET', '/api/assets', readToken],
      ['GET', '/api/assets/raw/accounts', readToken], ['GET', '/api/assets/nope', readToken], ['GET', '/api/lineage', readToken],
      ['GET', '/api/materializations?key=raw/accounts', readToken], ['GET', '/api/check-results?key=raw/accounts', readToken],
      ['GET', '/api/ready', readToken], ['GET', '/api/runs', readToken], ['GET', `/api/runs/${run.body.runId}`, readToken],
      ['GET', '/api/runs/nope', readToken], ['GET', '/api/nope', readToken], ['GET', '/api/health', undefined],
      ['GET', '/api/health', `${operatorToken}0`], ['POST', '/api/runs', readToken, '{}'], ['POST', '/api/runs', operatorToken, '{"selection":'],
      ['POST', '/api/runs', operatorToken, `{"selection":"${operatorToken}"}`], ['POST', '/api/runs/nope/cancel', operatorToken], ['GET', '/', undefined], ['GET', `/api/${operatorToken}`, operatorToken],
      ['GET', `/api/assets/${readToken}`, readToken], ['GET', `/api/runs/${operatorToken}`, operatorToken],
    ]
    for (const [method, path, token, raw] of requests) {
      const response = await s.api.call(method, path, { ...(token ? { token } : {}), ...(raw !== undefined ? { raw } : {}) })
      const headers = JSON.stringify([...response.headers])
      for (const secret of secrets) {
        assert.ok(!response.text.includes(secret) && !headers.includes(secret), `${method} ${path} (${response.status}) contains a secret`)
      }
    }
    const events = await openEvents(s.server.url, `?token=${operatorToken}`)
    const again = await s.api.post('/api/runs', { token: operatorToken, body: { selection: 'ops/heartbeat' } })
    await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === again.body.runId)
    events.close()
    for (const secret of secrets) assert.ok(!JSON.stringify(events.items).includes(secret), 'the event stream contains a secret')
  })
})

describe('server: binding', () => {
  test('refuses a non-loopback host without TRIBUTARY_TOKEN; loopback needs none', async () => {
    const p = await openProject({ assets: catalogAssets() })
    try {
      for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
        await assert.rejects(startServer({ instance: () => p.instance, host, port: 0, auth: { readToken } }), (error: unknown) => {
          assert.ok(error instanceof TributaryError)
          assert.equal(error.code, 'TRB6001')
          assert.match(error.message, new RegExp(`refusing to listen on ${host.replace(/\./g, '\\.')} without a token`))
          assert.match(error.hint!, /TRIBUTARY_TOKEN/)
          return true
        })
      }
      const open = await startServer({ instance: () => p.instance, host: '0.0.0.0', port: 0, auth: { operatorToken } })
      try {
        const response = await fetch(`${open.url.replace('0.0.0.0', '127.0.0.1')}/api/health`)
        assert.equal(response.status, 401, 'tokens are enforced')
        await response.body?.cancel()
      } finally {
        await open.close()
      }
      const local = await startServer({ instance: () => p.instance, host: 'localhost', port: 0, auth: {} })
      try {
        const response = await fetch(`${local.url}/api/health`)
        assert.equal(response.status, 200)
        assert.equal(((await response.json()) as { role: string }).role, 'operator')
      } finally {
        await local.close()
      }
    } finally {
      await p.close()
    }
  })

  test('loopback hosts and tokens from the environment', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) assert.ok(isLoopback(host), host)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(host), host)
    assert.deepEqual(authFromEnv({ TRIBUTARY_TOKEN: 'a', TRIBUTARY_READ_TOKEN: '' }), { operatorToken: 'a', readToken: undefined })
    assert.deepEqual(authFromEnv({}), { operatorToken: undefined, readToken: undefined })
  })
})
