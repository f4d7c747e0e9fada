import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TributaryError } from '../model/errors.js'
import { StatementGate } from './statement-gate.js'

const isInterrupted = (error: unknown) => error instanceof TributaryError && error.code === 'TRB5030'

/** A statement that runs until stopped: each stop ends it unless `ignore` stops are still to be missed. */
function fakeConnection(ignore = 0) {
  let finish: ((error?: Error) => void) | undefined
  const sent: string[] = []
  let stops = 0
  const gate = new StatementGate(() => {
    stops++
    if (stops > ignore) finish?.(new Error('Interrupted!'))
  })
  const statement = (sql: string, long = false) => gate.statement(sql, () => {
    sent.push(sql)
    return long ? new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve()))) : Promise.resolve()
  })
  return { gate, statement, sent, stops: () => stops }
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
  await c.gate.interrupt()
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
