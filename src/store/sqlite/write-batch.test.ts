import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import Database from 'better-sqlite3'
import { WriteBatch } from './write-batch.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-write-batch-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

function open(name: string): { db: Database.Database; batch: WriteBatch; rows: () => string[] } {
  const db = new Database(join(dir, name))
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)')
  const batch = new WriteBatch(db, (error) => new Error(`store: ${(error as Error).message}`, { cause: error }))
  return { db, batch, rows: () => db.prepare<[], { v: string }>('SELECT v FROM t ORDER BY rowid').all().map((r) => r.v) }
}

test('writes asked for in one turn commit together at its end, in order, each resolving with its result', async () => {
  const { db, batch, rows } = open('order.sqlite')
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const first = batch.write(() => insert.run('a').changes)
  const second = batch.write(() => insert.run('b').changes + 1)
  // Not yet committed: nothing runs before the turn ends.
  assert.deepEqual(rows(), [])
  assert.deepEqual(await Promise.all([first, second]), [1, 2])
  assert.deepEqual(rows(), ['a', 'b'])
  db.close()
})

test('a failing write rolls back only its own statements and rejects with the store error; the others of its turn commit', async () => {
  const { db, batch, rows } = open('failing.sqlite')
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const kept = batch.write(() => insert.run('kept'))
  const failed = batch.write(() => {
    insert.run('undone')
    throw new Error('no such thing')
  })
  const later = batch.write(() => insert.run('later'))
  await assert.rejects(failed, (error: Error) => error.message === 'store: no such thing' && (error.cause as Error).message === 'no such thing')
  await Promise.all([kept, later])
  assert.deepEqual(rows(), ['kept', 'later'])
  db.close()
})

test('a lone write that fails leaves nothing behind', async () => {
  const { db, batch, rows } = open('lone.sqlite')
  await assert.rejects(batch.write(() => {
    db.prepare('INSERT INTO t (v) VALUES (?)').run('x')
    throw new Error('boom')
  }), /store: boom/)
  assert.deepEqual(rows(), [])
  assert.equal(db.inTransaction, false)
  db.close()
})

test('when the transaction cannot start (another connection holds the write lock), every write of the turn fails and none is applied', async () => {
  const { db, batch, rows } = open('busy.sqlite')
  db.pragma('busy_timeout = 0')
  const other = new Database(join(dir, 'busy.sqlite'))
  other.exec('BEGIN IMMEDIATE')
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const results = await Promise.allSettled([batch.write(() => insert.run('a')), batch.write(() => insert.run('b'))])
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected'])
  for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /store: database is locked/)
  other.exec('ROLLBACK')
  other.close()
  await batch.write(() => insert.run('c'))
  assert.deepEqual(rows(), ['c'])
  db.close()
})

test('flush() commits queued writes at once (a store closing), and the next turn starts a new transaction', async () => {
  const { db, batch, rows } = open('flush.sqlite')
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const queued = batch.write(() => insert.run('now'))
  batch.flush()
  assert.deepEqual(rows(), ['now'])
  await queued
  // A failure in a later turn cannot undo what an earlier turn committed.
  await assert.rejects(batch.write(() => {
    insert.run('undone')
    throw new Error('late')
  }))
  assert.deepEqual(rows(), ['now'])
  db.close()
})

test("writes asked for after the turn's first commit wait for the turn's end and share one commit", async () => {
  const { db, rows } = open('turn.sqlite')
  let commits = 0
  const batch = new WriteBatch(db, (error) => error, () => commits++)
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  await batch.write(() => insert.run('first'))
  assert.equal(commits, 1)
  // Two writes from what would be two I/O callbacks of the same turn (a tick apart, as two worker messages are).
  const second = batch.write(() => insert.run('second'))
  await new Promise<void>((resolve) => process.nextTick(resolve))
  const third = batch.write(() => insert.run('third'))
  assert.deepEqual(rows(), ['first'], 'nothing more committed before the turn ends')
  await Promise.all([second, third])
  assert.equal(commits, 2)
  assert.deepEqual(rows(), ['first', 'second', 'third'])
  db.close()
})
