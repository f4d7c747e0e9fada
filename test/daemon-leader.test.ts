// Leader election of daemons on the PostgreSQL store, driven by a ManualClock: two daemon loops
// share one database (each its own automation store, so its own connections); only the leader
// ticks, the standby retries through the clock and takes over when the leader stops or loses
// its session. Real PostgreSQL, a database per test.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { AutomationDaemon } from '../src/automation/daemon.js'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset } from '../src/model/asset.js'
import { defineSchedule } from '../src/model/automation.js'
import { PostgresAutomationStore } from '../src/store/postgres/postgres-automation-store.js'
import { postgres } from '../src/store/store-config.js'
import { createDatabase } from './helpers/postgres-database.js'
import { openProject } from './helpers/temp-project.js'

const noop = (key: string) => defineAsset({ key, io: 'none', async materialize() {} })

async function setup() {
  const database = await createDatabase()
  const config = postgres({ url: database.url, poolSize: 2 })
  const clock = new ManualClock('2026-03-02T04:00:00Z')
  // The daemons' own clock, so only their loops set timers on it (runs keep the system clock).
  const project = await openProject({ assets: [noop('jobs/a')], store: config, schedules: [defineSchedule({ name: 'minutely', cron: '* * * * *', selection: 'jobs/a', catchUp: 'all' })] })
  const stores: PostgresAutomationStore[] = []
  const lines: string[] = []
  const daemon = async (holder: string) => {
    const automation = await PostgresAutomationStore.open(config)
    await automation.migrate()
    stores.push(automation)
    return new AutomationDaemon(() => project.instance, automation, { clock, holder, waitForRuns: true, log: (line) => lines.push(`${holder}: ${line}`) })
  }
  const ticks = async () => {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      return (await client.query<{ tick_id: string; holder: string }>("SELECT tick_id, holder FROM daemon_ticks WHERE tick_id LIKE 'schedule:%' ORDER BY tick_id")).rows
    } finally {
      await client.end()
    }
  }
  const close = async () => {
    for (const store of stores) await store.close()
    await project.close()
    await database.drop()
  }
  return { database, clock, project, daemon, ticks, lines, close }
}

describe('daemon leadership on the PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = []
  // A lone daemon's loop: it takes the lead at once, then ticks once more a minute later.
  const leadOneMinute = async (p: Awaited<ReturnType<typeof setup>>, daemon: AutomationDaemon) => {
    const stop = new AbortController()
    const loop = daemon.start({ interval: '1m', standbyRetry: '5s', signal: stop.signal })
    cleanups.unshift(async () => { stop.abort(); await loop })
    await p.clock.timersSet(1)
    assert.equal(daemon.leading, true)
    p.clock.advance(60_000)
    await p.clock.timersSet(1)
  }
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('only the leader ticks; when it stops, the standby takes the lead at its next retry and every minute fires once', async () => {
    const p = await setup()
    cleanups.push(p.close)
    const [a, b] = [await p.daemon('a'), await p.daemon('b')]
    const stopA = new AbortController()
    const stopB = new AbortController()
    const loopA = a.start({ interval: '1m', standbyRetry: '5s', signal: stopA.signal })
    cleanups.unshift(async () => { stopA.abort(); await loopA })
    await p.clock.timersSet(1)
    assert.equal(a.leading, true)
    const loopB = b.start({ interval: '1m', standbyRetry: '5s', signal: stopB.signal })
    cleanups.unshift(async () => { stopB.abort(); await loopB })
    await p.clock.timersSet(2)
    assert.equal(b.leading, false, 'the lock is taken: b stands by')
    assert.deepEqual(await b.leader().then((l) => l?.holder), 'a')

    // Three minutes of a leading: b retries every 5 s and never ticks.
    for (let step = 0; step < 36; step++) {
      p.clock.advance(5_000)
      await p.clock.timersSet(2)
    }
    const led = await p.ticks()
    assert.deepEqual(led.map((t) => t.holder), ['a', 'a', 'a'])
    assert.equal(b.leading, false)

    // a stops (gives the lock up); b's next retry, 5 s later, takes the lead.
    stopA.abort()
    await loopA
    assert.equal(a.leading, false)
    p.clock.advance(5_000)
    await p.clock.timersSet(1)
    assert.equal(b.leading, true)
    assert.equal((await b.leader())?.holder, 'b')
    assert.ok(p.lines.some((line) => /^b: leading: .*taking over from a/.test(line)), p.lines.join('\n'))

    // Two more minutes: b fires them, each once, none repeated or lost.
    for (let step = 0; step < 24; step++) {
      p.clock.advance(5_000)
      await p.clock.timersSet(1)
    }
    const all = await p.ticks()
    assert.deepEqual(all.map((t) => t.tick_id), [
      'schedule:minutely@2026-03-02T04:01:00.000Z', 'schedule:minutely@2026-03-02T04:02:00.000Z', 'schedule:minutely@2026-03-02T04:03:00.000Z',
      'schedule:minutely@2026-03-02T04:04:00.000Z', 'schedule:minutely@2026-03-02T04:05:00.000Z',
    ])
    assert.deepEqual(all.slice(3).map((t) => t.holder), ['b', 'b'])
    assert.equal((await p.project.instance.store.listRuns({ limit: 100 })).length, 5, 'one run per tick')
  })

  test('a leader whose session PostgreSQL ended stops ticking; the standby takes over', async () => {
    const p = await setup()
    cleanups.push(p.close)
    const [a, b] = [await p.daemon('a'), await p.daemon('b')]
    const stopA = new AbortController()
    const stopB = new AbortController()
    const loopA = a.start({ interval: '1m', standbyRetry: '5s', signal: stopA.signal })
    cleanups.unshift(async () => { stopA.abort(); await loopA })
    await p.clock.timersSet(1)
    const loopB = b.start({ interval: '1m', standbyRetry: '5s', signal: stopB.signal })
    cleanups.unshift(async () => { stopB.abort(); await loopB })
    await p.clock.timersSet(2)
    assert.deepEqual([a.leading, b.leading], [true, false])

    // The session holding the lock ends (a network cut, an administrator): a's hold is gone with it.
    const admin = new pg.Client({ connectionString: p.database.url })
    await admin.connect()
    try {
      const { rows } = await admin.query<{ ended: boolean }>("SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
      assert.deepEqual(rows, [{ ended: true }])
      // The backend ends (and frees its locks) just after the signal: wait for it, bounded, before b's retry.
      const deadline = Date.now() + 10_000
      while ((await admin.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rowCount !== 0) {
        assert.ok(Date.now() < deadline, 'the terminated session still holds its lock after 10 s')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    } finally {
      await admin.end()
    }
    // b's retry comes first and takes the free lock; a, at its next tick, finds it taken and stands by.
    p.clock.advance(5_000)
    await p.clock.timersSet(2)
    assert.equal(b.leading, true)
    p.clock.advance(60_000)
    await p.clock.timersSet(2)
    assert.deepEqual([a.leading, b.leading], [false, true])
    assert.ok(p.lines.some((line) => /^a: (lost the lead|standing by)/.test(line)), p.lines.join('\n'))
    const ticks = await p.ticks()
    assert.deepEqual(ticks.map((t) => [t.tick_id, t.holder]), [['schedule:minutely@2026-03-02T04:01:00.000Z', 'b']])
  })
  test('a claim the former leader made and never completed is taken over by the new leader after 30 s, not 5 minutes', async () => {
    const p = await setup()
    cleanups.push(p.close)
    // A leader on another machine claimed the 04:01 tick ahead of time, then vanished with its machine.
    const admin = new pg.Client({ connectionString: p.database.url })
    await admin.connect()
    try {
      await admin.query('INSERT INTO daemon_ticks (tick_id, holder, claimed_at) VALUES ($1, $2, $3)',
        ['schedule:minutely@2026-03-02T04:01:00.000Z', 'vanished-host:4242', Date.parse('2026-03-02T03:59:45Z')])
    } finally {
      await admin.end()
    }
    await leadOneMinute(p, await p.daemon('b'))
    const ticks = await p.ticks()
    assert.deepEqual(ticks.map((t) => [t.tick_id, t.holder]), [['schedule:minutely@2026-03-02T04:01:00.000Z', 'b']])
    assert.equal((await p.project.instance.store.listRuns({ limit: 10 })).length, 1, 'the tick fired once, by b')
    assert.ok(p.lines.some((line) => line.includes('taking over the claim vanished-host:4242 made at 2026-03-02T03:59:45.000Z')), p.lines.join('\n'))
  })
  test('a leader whose claim was taken over while it was mid-tick does not start the run', async () => {
    const p = await setup()
    cleanups.push(p.close)
    const automation = await PostgresAutomationStore.open(postgres({ url: p.database.url, poolSize: 2 }))
    await automation.migrate()
    cleanups.unshift(() => automation.close())
    // Between b's claim of the 04:01 tick and its run, the store stalls long enough for a newly
    // elected leader elsewhere to take the claim over (as the test above shows it may).
    const stalled = new Proxy(automation, {
      get(target, property) {
        if (property !== 'claimTick') return Reflect.get(target, property, target) as unknown
        return async (...args: Parameters<PostgresAutomationStore['claimTick']>) => {
          const claimed = await target.claimTick(...args)
          if (claimed && args[0] === 'schedule:minutely@2026-03-02T04:01:00.000Z') {
            await target.claimTick(args[0], 'new-leader:7', args[2], new Date(args[2].getTime() + 1))
          }
          return claimed
        }
      },
    })
    await leadOneMinute(p, new AutomationDaemon(() => p.project.instance, stalled, { clock: p.clock, holder: 'b', waitForRuns: true, log: (line) => p.lines.push(`b: ${line}`) }))
    assert.deepEqual((await p.ticks()).map((t) => [t.tick_id, t.holder]), [['schedule:minutely@2026-03-02T04:01:00.000Z', 'new-leader:7']])
    assert.equal((await p.project.instance.store.listRuns({ limit: 10 })).length, 0, 'b started no run for a tick it no longer holds')
    assert.ok(p.lines.some((line) => line.includes('not started here: another daemon took over the claim')), p.lines.join('\n'))
  })
})
