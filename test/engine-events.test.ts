// The engine announces the moments of each step attempt (staging written, checks done,
// published) on instance.events, so tests wait on the moment itself; the run's heartbeat goes
// through the injected clock, so a test steps it instead of waiting for it.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { check, unique } from '../src/checks/builtins.js'
import { ManualClock } from '../src/engine/clock.js'
import type { EngineEvent } from '../src/engine/engine-events.js'
import { defineAsset } from '../src/model/asset.js'
import { nextEvent } from './helpers/events.js'
import { openProject } from './helpers/temp-project.js'

const numbers = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1 }))
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('engine events', () => {
  test('staging written, checks done, published: in order, each at its moment (staged data there, nothing published until the checks pass)', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const orders = defineAsset({
      key: 'raw/orders',
      checks: [unique('id'), check('gate', async () => (await gate, { passed: true }))],
      async materialize() { return numbers(3) },
    })
    const p = await openProject({ assets: [orders] })
    const seen: EngineEvent[] = []
    const offs = (['staging_written', 'checks_done', 'published'] as const).map((type) => p.instance.events.on(type, (event) => seen.push(event)))
    const query = async (sql: string) => {
      const session = await (await p.instance.warehouse()).session()
      try {
        return await session.query(sql)
      } finally {
        await session.close()
      }
    }
    try {
      const staged = nextEvent(p.instance.events, 'staging_written', (e) => e.key === 'raw/orders')
      const published = nextEvent(p.instance.events, 'published', (e) => e.key === 'raw/orders')
      const done = p.instance.materialize('raw/orders')
      const staging = await staged
      assert.deepEqual([staging.partition, staging.attempt, staging.dir], [null, 1, null])
      assert.match(staging.relation!, /__trb_stage_/)
      // Held by the gate check: the rows are staged, and nothing is published yet.
      assert.deepEqual(await query(`select count(*)::int as n from ${staging.relation}`), [{ n: 3 }])
      assert.deepEqual(await query("select table_name from information_schema.tables where table_name = 'orders'"), [])
      release()
      const publication = await published
      const result = await done
      assert.equal(result.status, 'succeeded')
      assert.equal(publication.runId, result.runId)
      assert.equal(publication.rowCount, 3)
      const [materialization] = await p.instance.store.listMaterializations('raw/orders', { limit: 1 })
      assert.equal(publication.dataVersion, materialization!.dataVersion, 'announced once recorded')
      assert.deepEqual(seen.map((e) => e.type), ['staging_written', 'checks_done', 'published'])
      const checks = seen.find((e) => e.type === 'checks_done')
      assert.deepEqual(checks, {
        type: 'checks_done', runId: result.runId, key: 'raw/orders', partition: null, attempt: 1, blocked: false,
        checks: [{ name: 'unique(id)', passed: true, blocking: true, message: 'no duplicated id values' }, { name: 'gate', passed: true, blocking: true, message: null }],
      })
    } finally {
      for (const off of offs) off()
      await p.close()
    }
  })

  test('a blocking check that fails: checks done says blocked, with the outcomes, and nothing is published; a throwing listener breaks nothing', async () => {
    const dupes = defineAsset({ key: 'raw/dupes', checks: [unique('id')], async materialize() { return [...numbers(2), { id: 1 }] } })
    const p = await openProject({ assets: [dupes] })
    const published: EngineEvent[] = []
    const offs = [
      p.instance.events.on('staging_written', () => {
        throw new Error('a broken listener')
      }),
      p.instance.events.on('published', (event) => published.push(event)),
    ]
    try {
      const checked = nextEvent(p.instance.events, 'checks_done')
      const result = await p.instance.materialize('raw/dupes')
      const event = await checked
      assert.equal(event.blocked, true)
      assert.deepEqual(event.checks.map((c) => [c.name, c.passed, c.blocking]), [['unique(id)', false, true]])
      assert.match(event.checks[0]!.message ?? '', /duplicate/)
      assert.equal(result.counts.blocked, 1, 'the throwing listener did not fail the step')
      assert.deepEqual(published, [])
    } finally {
      for (const off of offs) off()
      await p.close()
    }
  })

  test('nextEvent fails naming the event it waited for and what came instead', async () => {
    const p = await openProject({ assets: [defineAsset({ key: 'raw/a', async materialize() { return numbers(1) } })] })
    try {
      const never = nextEvent(p.instance.events, 'published', (e) => e.key === 'raw/b', { timeoutMs: 2_000, what: 'raw/b published' })
      await p.instance.materialize('raw/a')
      await assert.rejects(never, /no raw\/b published event within 2000 ms; published events seen meanwhile: \[.*"key":"raw\/a"/)
    } finally {
      await p.close()
    }
  })
})

describe('run heartbeat on the clock', () => {
  test('a cancel asked by another process (in the store only) is acted on at the next beat on the clock, not before, and not on the wall clock', async () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z')
    const hung = defineAsset({
      key: 'raw/hung', io: 'none',
      async materialize(_inputs, ctx) {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
      },
    })
    const p = await openProject({ assets: [hung] }, { clock, settings: { heartbeatMs: 30_000 } })
    try {
      let runId = ''
      const running = new Promise<void>((resolve) => {
        const off = p.instance.subscribe((event) => {
          if (event.type !== 'step' || event.status !== 'running') return
          runId = event.runId
          off()
          resolve()
        })
      })
      let ended = false
      const done = p.instance.materialize('raw/hung').finally(() => (ended = true))
      await running
      // Not through this instance, which would stop its own run at once: as a CLI in another process asks.
      assert.equal((await p.instance.store.requestRun(runId, 'cancel', clock.now()))?.requested, 'cancel')
      clock.advance(29_999)
      for (let i = 0; i < 50; i++) await tick()
      assert.equal(ended, false, 'no beat yet: the request is not seen')
      clock.advance(1)
      // A beat on the wall clock would come 30 s from now: this one comes as the clock reaches it.
      const result = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the run did not see the cancel within 10 s of the beat')), 10_000).unref())])
      assert.equal(result.status, 'canceled')
      const run = await p.instance.store.getRun(runId)
      assert.equal(run!.heartbeatAt.toISOString(), '2026-03-01T00:00:30.000Z', 'the beat is stamped with the clock’s time')
    } finally {
      await p.close()
    }
  })

  test("a run's slot freed is announced before the next step starts in it, once per step", async () => {
    const first = defineAsset({ key: 'first', io: 'none', materialize: () => undefined })
    const second = defineAsset({ key: 'second', io: 'none', ins: { first }, materialize: () => undefined })
    const third = defineAsset({ key: 'third', io: 'none', materialize: () => undefined })
    const p = await openProject({ assets: [first, second, third], concurrency: 1 })
    const order: string[] = []
    const off = p.instance.events.on('slot_freed', (event) => order.push(`freed ${event.key}`))
    try {
      const result = await p.instance.materialize(undefined, { onProgress: (event) => { if (event.type === 'step' && event.status === 'running') order.push(`running ${event.key}`) } })
      assert.equal(result.status, 'succeeded')
      // One slot: each start comes after the previous step freed it.
      assert.equal(order.length, 6)
      for (let i = 0; i < 6; i += 2) assert.match(order[i]!, /^running /)
      for (let i = 1; i < 6; i += 2) assert.equal(order[i], order[i - 1]!.replace('running', 'freed'))
    } finally {
      off()
      await p.close()
    }
  })
})
