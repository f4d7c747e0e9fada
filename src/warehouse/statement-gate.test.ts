import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../engine/clock.js'
import { TributaryError } from '../model/errors.js'
import { StatementGate } from './statement-gate.js'

const isInterrupted = (error: unknown) => error instanceof TributaryError && error.code === 'TRB5030'

/** A statement that runs until stopped: each stop ends it unless `ignore` stops are still to be missed; resends timed on `clock`. */
function fakeConnection(ignore = 0, clock = new ManualClock()) {
  let finish: ((error?: Error) => void) | undefined
  const sent: string[] = []
  let stops = 0
  const gate = new StatementGate(() => {
    stops++
    if (stops > ignore) finish?.(new Error('Interrupted!'))
  }, clock)
  const statement = (sql: string, long = false) => gate.statement(sql, () => {
    sent.push(sql)
    return long ? new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve()))) : Promise.resolve()
  })
  return { gate, statement, sent, stops: () => stops, clock, end: () => finish?.() }
}

test('an interrupt stops the running statement (resent while it is missed), lets its rollback through and refuses the rest but cleanup', async () => {
  const c = fakeConnection(2)
  const work = c.gate.run(async () => {
    await c.statement('begin')
    try {
      await c.statement('create table t as select 1', true)
      await c.statement('commit')
    } catch (error) {
      await c.statement('rollback')
      throw error
    }
  })
  const failed = work.then(() => undefined, (e: unknown) => e)
  await new Promise((resolve) => setImmediate(resolve))
  const interrupting = c.gate.interrupt()
  // The two missed stops are resent once due on the clock: 50 ms, then 100 ms later.
  await c.clock.timersSet()
  c.clock.advance(50)
  await c.clock.timersSet()
  c.clock.advance(100)
  await interrupting
  assert.equal(c.clock.pendingTimers, 0, 'the next resend was called off when the statement ended')
  const error = await failed
  assert.ok(isInterrupted(error), String(error))
  assert.match(String((error as Error).cause), /Interrupted!/, 'the statement was stopped, with its own error as the cause')
  assert.equal(c.stops(), 3, 'resent until the statement ended')
  assert.deepEqual(c.sent, ['begin', 'create table t as select 1', 'rollback'], 'no commit after the interrupt')
  await assert.rejects(c.gate.run(() => c.statement('select 1')), isInterrupted)
  await c.gate.run(() => c.statement('drop table if exists s'), true)
  assert.deepEqual(c.sent.slice(3), ['drop table if exists s'])
})

test('a commit under way is not stopped and completes; an interrupt with nothing running only refuses later work', async () => {
  const c = fakeConnection()
  let end: (() => void) | undefined
  const work = c.gate.run(() => c.gate.statement('commit', () => new Promise<void>((resolve) => (end = resolve))))
  await new Promise((resolve) => setImmediate(resolve))
  const interrupting = c.gate.interrupt()
  end!()
  await work
  await interrupting
  assert.equal(c.stops(), 0, 'a commit is let finish')

  const idle = fakeConnection()
  await idle.gate.interrupt()
  assert.equal(idle.stops(), 0)
  await assert.rejects(idle.gate.run(() => idle.statement('select 1')), isInterrupted)
})

const turn = () => new Promise((resolve) => setImmediate(resolve))

test('resends follow the injected clock: none while it stands still, each once due (50 ms doubling to 1 s), none after the statement ends', async () => {
  const c = fakeConnection(Infinity)
  const work = c.gate.run(() => c.statement('select pg_sleep(30)', true))
  const failed = work.then(() => undefined, (e: unknown) => e)
  await turn()
  const interrupting = c.gate.interrupt()
  const again = c.gate.interrupt()
  await c.clock.timersSet()
  assert.equal(c.stops(), 1, 'the first stop goes at once, and a second interrupt joins the first')
  for (const [i, wait] of [50, 100, 200, 400, 800, 1000, 1000, 1000].entries()) {
    c.clock.advance(wait - 1)
    await turn()
    assert.equal(c.stops(), i + 1, `no resend ${wait - 1} ms after the last stop`)
    assert.equal(c.clock.pendingTimers, 1)
    c.clock.advance(1)
    // The timer fired; the gate resends, then sets the next one.
    await c.clock.timersSet()
    assert.equal(c.stops(), i + 2, `resent ${wait} ms after the last stop`)
  }
  // The statement ends (as a stop that finally lands would end it): the interrupt resolves without the clock moving.
  c.end()
  await interrupting
  await again
  assert.equal(c.clock.pendingTimers, 0, 'the pending resend was called off')
  assert.equal(c.stops(), 9)
  assert.equal(await failed, undefined, 'the statement ended on its own')
  c.clock.advance(10_000)
  await turn()
  assert.equal(c.stops(), 9, 'nothing resent once the statement has ended')
})
