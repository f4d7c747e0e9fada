import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StoreOutage } from '../store.js'
import { neverSent, RideOut } from './ride-out.js'

const URL = 'postgres://u:secret@db:5432/shop'
// As pg raises them: a database closed to connections (at connect), a session ended under a statement.
const closed = () => Object.assign(new Error('database "shop" is not currently accepting connections'), { code: '55000' })
const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })

// A statement failing `failures` times with `error`, then answering 'done'.
function flaky(failures: number, error: () => Error) {
  let calls = 0
  return { fn: async () => (++calls <= failures ? Promise.reject(error()) : 'done'), calls: () => calls }
}

test('RideOut: a write refused at connect is tried again until it passes; the outage is told once, and its end', async () => {
  const rideOut = new RideOut(URL, 60_000)
  const told: StoreOutage[] = []
  rideOut.watch((outage) => told.push(outage))
  const statement = flaky(3, closed)
  assert.equal(await rideOut.run(statement.fn, { idempotent: false }), 'done')
  assert.equal(statement.calls(), 4)
  assert.deepEqual(told.map((o) => o.type), ['store_unreachable', 'store_reachable'])
  const [down] = told
  assert.ok(down?.type === 'store_unreachable')
  assert.match(down.message, /^TRB4020: the PostgreSQL store postgres:\/\/\[redacted\]@db:5432\/\S+ cannot be reached: database "shop" is not currently accepting connections$/)
  assert.doesNotMatch(down.message, /secret/)
  assert.equal(down.retryForMs, 60_000)
})

test('RideOut: a write whose connection ended under it may have committed: thrown at once (TRB4020); a read is tried again', async () => {
  const rideOut = new RideOut(URL, 60_000)
  const write = flaky(1, terminated)
  await assert.rejects(rideOut.run(write.fn, { idempotent: false }), /^TributaryError: TRB4020: .*terminating connection due to administrator command/)
  assert.equal(write.calls(), 1)
  const read = flaky(2, terminated)
  assert.equal(await rideOut.run(read.fn, { idempotent: true }), 'done')
  assert.equal(read.calls(), 3)
})

test('RideOut: a failure that is not an outage, a window of 0, or a window run out: the store error is thrown', async () => {
  const syntax = flaky(1, () => Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))
  await assert.rejects(new RideOut(URL, 60_000).run(syntax.fn, { idempotent: true }), /syntax error/)
  assert.equal(syntax.calls(), 1)
  const never = flaky(1, closed)
  await assert.rejects(new RideOut(URL, 0).run(never.fn, { idempotent: true }), /TRB4020/)
  assert.equal(never.calls(), 1)
  const long = flaky(1_000, closed)
  await assert.rejects(new RideOut(URL, 250).run(long.fn, { idempotent: true }), /TRB4020: .*not currently accepting connections/)
  assert.ok(long.calls() >= 2 && long.calls() < 10, String(long.calls()))
})

test('neverSent: refused before the statement left (connect, login, no such database, starting up), not a connection that ended under it', () => {
  const failure = (code: string | undefined, message: string) => Object.assign(new Error(message), code === undefined ? {} : { code })
  for (const error of [Object.assign(failure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), { syscall: 'connect' }), failure('28000', 'role "w" is not permitted to log in'), failure('3D000', 'database "x" does not exist'),
    failure('57P03', 'the database system is starting up'), closed(), failure(undefined, 'Connection terminated due to connection timeout')]) {
    assert.equal(neverSent(error), true, error.message)
  }
  for (const error of [terminated(), failure('ECONNRESET', 'read ECONNRESET'), failure(undefined, 'Connection terminated unexpectedly'), failure('08006', 'connection failure'),
    failure('55000', 'object not in prerequisite state'),
    // A socket's error on a connection already open (a keepalive's), not from connecting.
    Object.assign(failure('EHOSTUNREACH', 'read EHOSTUNREACH'), { syscall: 'read' })]) {
    assert.equal(neverSent(error), false, error.message)
  }
})
