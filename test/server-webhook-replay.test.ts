// Webhook replay: a captured signed delivery cannot be re-sent. The timestamp is signed with the
// body, judged against the instance's (manual) clock, and delivery ids are remembered in the
// store within the window, across a restart.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset } from '../src/model/asset.js'
import { webhookSensor } from '../src/model/automation.js'
import { DEFAULT_WEBHOOK_TOLERANCE_MS, signWebhook } from '../src/server/webhook-signature.js'
import { serveInstance } from './helpers/server.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const SECRET_ENV = 'TRB_TEST_REPLAY_SECRET'
const secret = randomBytes(24).toString('hex')
const spec = {
  assets: [defineAsset({ key: 'ops/heartbeat', io: 'none', materialize: () => undefined })],
  sensors: [webhookSensor({ name: 'landed', selection: 'ops/heartbeat', secretEnv: SECRET_ENV })],
}

describe('server: webhook replay', () => {
  const clock = new ManualClock('2026-03-02T06:00:00Z')
  let temp: Awaited<ReturnType<typeof tempDir>>
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    process.env[SECRET_ENV] = secret
    temp = await tempDir('replay-')
    p = await openProject(spec, { clock, dir: temp.dir })
    s = await serveInstance(p.instance)
  })
  after(async () => {
    delete process.env[SECRET_ENV]
    await s?.server.close()
    await p?.close()
    await temp?.cleanup()
  })

  const send = (body: string, headers: Record<string, string>) =>
    fetch(`${s.server.url}/api/sensors/landed`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const runs = async () => (await p.instance.store.listRuns({ limit: 100 })).length

  test('the same signed delivery sent twice starts one run; the second is 409 TRB6024', async () => {
    const body = '{"event":"landed","n":1}'
    const headers = signWebhook(body, secret, clock.now())
    const first = await send(body, headers)
    assert.equal(first.status, 202, await first.clone().text())
    const replay = await send(body, headers)
    assert.equal(replay.status, 409)
    const error = (await replay.json()) as { error: { code: string; message: string; hint: string } }
    assert.equal(error.error.code, 'TRB6024')
    assert.match(error.error.message, /already received/)
    assert.equal(await runs(), 1)
  })

  test('a delivery id seen before is a replay even re-signed with a new timestamp', async () => {
    const body = '{"event":"landed","n":2}'
    assert.equal((await send(body, signWebhook(body, secret, clock.now(), 'evt-42'))).status, 202)
    clock.advance(1_000)
    const resigned = await send(body, signWebhook(body, secret, clock.now(), 'evt-42'))
    assert.equal(resigned.status, 409)
    assert.equal(await runs(), 2)
  })

  test('a timestamp outside the 5-minute window is 401 TRB6023, either way; inside it is accepted', async () => {
    assert.equal(DEFAULT_WEBHOOK_TOLERANCE_MS, 300_000)
    const body = '{"event":"landed","n":3}'
    const captured = signWebhook(body, secret, clock.now())
    clock.advance(DEFAULT_WEBHOOK_TOLERANCE_MS + 1_000)
    const late = await send(body, captured)
    assert.equal(late.status, 401)
    const error = (await late.json()) as { error: { code: string; message: string } }
    assert.equal(error.error.code, 'TRB6023')
    assert.match(error.error.message, /signed 301 s ago; at most 300 s/)
    const ahead = await send(body, signWebhook(body, secret, new Date(clock.now().getTime() + DEFAULT_WEBHOOK_TOLERANCE_MS + 1_000)))
    assert.equal(ahead.status, 401)
    const skewed = await send('{"event":"landed","n":4}', signWebhook('{"event":"landed","n":4}', secret, new Date(clock.now().getTime() - 299_000)))
    assert.equal(skewed.status, 202, 'a clock 299 s behind is within the window')
    assert.equal(await runs(), 3)
  })

  test('deliveries are remembered in the store: a replay after a restart is still recognised', async () => {
    const body = '{"event":"landed","n":5}'
    const headers = signWebhook(body, secret, clock.now())
    assert.equal((await send(body, headers)).status, 202)
    await s.server.close()
    await p.instance.close()
    p = await openProject(spec, { clock, dir: temp.dir })
    s = await serveInstance(p.instance)
    clock.advance(60_000)
    assert.equal((await send(body, headers)).status, 409)
    assert.equal(await runs(), 4)
  })
})
