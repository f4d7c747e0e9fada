// /api/events tails the store's event log: runs of other instances appear live, with ids, and a
// reconnecting client resumes from Last-Event-ID without missing or repeating an event.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { Tributary } from '../src/instance/tributary.js'
import { apiEventOf } from '../src/server/log-events.js'
import { openEvents, serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

/** Assets whose middle step waits for the test to open `gate`, and logs on the way. */
function gatedAssets(gate: { wait: Promise<void> }) {
  const first = defineAsset({ key: 'raw/first', async materialize(_inputs, ctx) {
    ctx.log.info('first starts')
    return [{ id: 1 }]
  } })
  const gated = defineAsset({ key: 'raw/gated', ins: { first }, async materialize(_inputs, ctx) {
    ctx.log.info('waiting for the gate')
    await gate.wait
    ctx.log.warn('through the gate')
    return [{ id: 2 }]
  } })
  const last = defineAsset({ key: 'marts/last', ins: { gated }, async materialize() {
    return [{ id: 3 }]
  } })
  return [first, gated, last]
}

function newGate() {
  let open = () => {}
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

describe('/api/events from the event log', () => {
  let gate = newGate()
  let p: Awaited<ReturnType<typeof openProject>>
  let other: Tributary
  let s: Awaited<ReturnType<typeof serveInstance>>

  before(async () => {
    const assets = gatedAssets({ get wait() { return gate.wait } })
    p = await openProject({ assets })
    // A second instance on the same project: its own store connection and warehouse, as another process has.
    other = await Tributary.open({ projectDir: p.dir, project: defineProject({ name: 'test', assets }), settings: { readinessTimeoutMs: 0, heartbeatMs: 50 } })
    s = await serveInstance(p.instance, { eventPollMs: 20 })
  })
  after(async () => {
    await s.server.close()
    await other.close()
    await p.close()
  })

  test('a run of another instance appears live: every event with its id from the log, logs included', async () => {
    gate = newGate()
    gate.open()
    const events = await openEvents(s.server.url)
    try {
      const result = await other.materialize('*', { trigger: 'cli', force: true })
      assert.equal(result.status, 'succeeded')
      await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === result.runId)
      const mine = events.events().filter((e) => 'runId' in e.data && e.data.runId === result.runId)
      const expected = (await p.instance.store.listEvents({ runId: result.runId })).filter((record) => apiEventOf(record))
      assert.deepEqual(mine.map((e) => Number(e.id)), expected.map((record) => record.id), 'every followed event of the run, once, in log order, with its id')
      assert.deepEqual(mine[0]!.data, { type: 'run_started', runId: result.runId, total: 3 })
      const logs = mine.filter((e) => e.event === 'log').map((e) => e.data)
      assert.deepEqual(logs.map((l) => l.type === 'log' && [l.key, l.level, l.message, l.stream]), [
        ['raw/first', 'info', 'first starts', 'log'], ['raw/gated', 'info', 'waiting for the gate', 'log'], ['raw/gated', 'warn', 'through the gate', 'log'],
      ])
      assert.ok(logs.every((l) => l.type === 'log' && !Number.isNaN(Date.parse(l.at))))
    } finally {
      events.close()
    }
  })

  test('a client that reconnects with Last-Event-ID gets what happened meanwhile, then live events: nothing missed, nothing twice', async () => {
    gate = newGate()
    const first = await openEvents(s.server.url)
    const running = other.materialize('*', { trigger: 'cli', force: true })
    const waiting = await first.waitFor((item) => 'event' in item && item.event === 'log' && item.data.type === 'log' && item.data.message === 'waiting for the gate')
    const runId = 'event' in waiting && waiting.data.runId
    first.close()
    await first.done
    const seen = first.events().filter((e) => 'runId' in e.data && e.data.runId === runId)
    const lastId = seen.at(-1)!.id!
    // While no one listens: the rest of the run happens.
    gate.open()
    const result = await running
    assert.equal(result.runId, runId)
    const second = await openEvents(s.server.url, '', { 'last-event-id': lastId })
    try {
      await second.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId)
      const resumed = second.events().filter((e) => 'runId' in e.data && e.data.runId === runId)
      const ids = [...seen, ...resumed].map((e) => Number(e.id))
      const expected = (await p.instance.store.listEvents({ runId: result.runId })).filter((record) => apiEventOf(record)).map((record) => record.id)
      assert.deepEqual(ids, expected)
      assert.ok(resumed.length > 0 && Number(resumed[0]!.id) > Number(lastId))
      // And a later live event of a new run still arrives on the resumed stream.
      gate = newGate()
      gate.open()
      const again = await other.materialize('raw/first', { trigger: 'cli', force: true })
      await second.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === again.runId)
    } finally {
      second.close()
    }
  })

  test('a stream opened after an idle time starts at what is newest, not with what happened while no one listened', async () => {
    gate = newGate()
    gate.open()
    const quiet = await other.materialize('raw/first', { trigger: 'cli', force: true })
    const stream = await openEvents(s.server.url)
    try {
      const next = await other.materialize('raw/first', { trigger: 'cli', force: true })
      await stream.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === next.runId)
      assert.ok(!stream.events().some((e) => 'runId' in e.data && e.data.runId === quiet.runId), 'nothing of the run before the stream opened')
    } finally {
      stream.close()
    }
  })

  test('?lastEventId= resumes too, and ?runId= keeps one run', async () => {
    gate = newGate()
    gate.open()
    const mark = await p.instance.store.lastEventId()
    const a = await other.materialize('raw/first', { trigger: 'cli', force: true })
    const b = await other.materialize('raw/first', { trigger: 'cli', force: true })
    const stream = await openEvents(s.server.url, `?lastEventId=${mark}&runId=${b.runId}`)
    try {
      await stream.waitFor((item) => 'event' in item && item.event === 'run_finished')
      const runs = new Set(stream.events().map((e) => 'runId' in e.data && e.data.runId))
      assert.deepEqual([...runs], [b.runId], `only run ${b.runId}, not ${a.runId}`)
    } finally {
      stream.close()
    }
  })
})
