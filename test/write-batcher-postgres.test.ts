import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { openPool, type Client, type Pool } from '../src/store/postgres/open-pool.js'
import { inWriteTransaction, queueEvent, setLocalOnce, sharesTransaction, WriteBatcher } from '../src/store/postgres/write-transaction.js'
import { postgres } from '../src/store/store-config.js'
import { createDatabase } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'

let database: Awaited<ReturnType<typeof createDatabase>>
let pool: Pool
const LOCK = 4242

before(async () => {
  database = await createDatabase()
  pool = openPool(postgres({ url: database.url, poolSize: 4 }), { pipeline: true })
  await pool.query(`CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, type text, at bigint, run_id text, asset_key text, partition text, payload text)`)
  await pool.query('CREATE TABLE t (n integer)')
})

after(async () => {
  await pool.end()
  await database.drop()
})

// In its own implicit transaction, a statement started its transaction: both timestamps are its start.
const alone = (db: Client) => db.query<{ alone: boolean }>('INSERT INTO t VALUES (1) RETURNING transaction_timestamp() = statement_timestamp() AS alone').then((r) => r.rows[0]!.alone)

test('a single write with its batch to itself runs as its statement alone (no BEGIN), and cannot queue events', async () => {
  const batcher = new WriteBatcher(pool, LOCK, { oneRoundTrip: true })
  assert.equal(await batcher.write(alone, { single: true }), true)
  // Without `single`, the same write is a transaction of its own (BEGIN went first).
  assert.equal(await batcher.write(alone), false)
  await assert.rejects(batcher.write(async (db) => queueEvent(db, { type: 't', at: 1, runId: null, assetKey: null, partition: null, payload: '{}' }), { single: true }), /outside a write transaction/)
})

test('single writes asked for at once share one transaction (a batch), where they may queue events', async () => {
  const batcher = new WriteBatcher(pool, LOCK)
  const write = (n: number) => batcher.write(async (db) => {
    const shared = sharesTransaction(db)
    queueEvent(db, { type: `e${n}`, at: n, runId: null, assetKey: null, partition: null, payload: '{}' })
    return { shared, alone: await alone(db) }
  }, { single: true })
  // The first goes out alone, with a BEGIN: it queues an event, so a single write that queues is no single write…
  const first = assert.rejects(write(0), /outside a write transaction/)
  const [a, b] = await Promise.all([write(1), write(2)])
  await first
  // …while the two asked for while it was on its way share the next batch.
  assert.deepEqual([a, b], [{ shared: true, alone: false }, { shared: true, alone: false }])
  const { rows } = await pool.query<{ type: string }>('SELECT type FROM events ORDER BY id')
  assert.deepEqual(rows.map((r) => r.type), ['e1', 'e2'])
})

test('a setting the writes of a batch each ask for is set once for the transaction, and holds for every write of it', async () => {
  const batcher = new WriteBatcher(pool, LOCK)
  const write = () => batcher.write(async (db) => {
    const sent = setLocalOnce(db, 'plan_cache_mode', 'force_generic_plan') !== undefined
    const { rows: [row] } = await db.query<{ mode: string }>(`SELECT current_setting('plan_cache_mode') AS mode`)
    return { sent, mode: row!.mode }
  })
  const first = write()
  const [a, b, c] = await Promise.all([write(), write(), write()])
  // The first write had a transaction of its own; the three asked for meanwhile shared the next, which sent the SET once.
  assert.deepEqual(await first, { sent: true, mode: 'force_generic_plan' })
  assert.deepEqual([a, b, c].map((w) => w.sent), [true, false, false])
  assert.ok([a, b, c].every((w) => w.mode === 'force_generic_plan'))
  // Only for the transaction: the connection's own setting is back after it.
  const { rows: [afterwards] } = await pool.query<{ mode: string }>(`SELECT current_setting('plan_cache_mode') AS mode`)
  assert.equal(afterwards!.mode, 'auto')
})

test("a write in one round trip that is a deadlock's victim, with no event to append, runs again (its COMMIT answered with a rollback)", async () => {
  await pool.query('CREATE TABLE d (id integer PRIMARY KEY, v integer)')
  await pool.query('INSERT INTO d VALUES (1, 0), (2, 0)')
  const other = new pg.Client({ connectionString: database.url })
  await other.connect()
  try {
    let tries = 0
    // Row 1, then row 2, both sent before the first await; the other transaction holds row 2 and then asks for row 1.
    await other.query('BEGIN')
    await other.query('UPDATE d SET v = v + 10 WHERE id = 2')
    const written = inWriteTransaction(pool, LOCK, (db) => {
      tries++
      const one = db.query('UPDATE d SET v = v + 1 WHERE id = 1')
      const two = db.query('UPDATE d SET v = v + 1 WHERE id = 2')
      return Promise.all([one, two]).then(() => tries)
    }, { oneRoundTrip: true })
    written.catch(() => undefined)
    await poll('the write to wait for row 2', async () => ((await pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE d SET v = v + 1 WHERE id = 2%'`)).rowCount ? true : undefined), 10_000, 5)
    // The write waited first: its deadlock check (after deadlock_timeout) finds the cycle and ends it.
    await other.query('UPDATE d SET v = v + 10 WHERE id = 1')
    await other.query('COMMIT')
    assert.equal(await written, 2, 'run twice: once as the victim, once to commit')
    const { rows } = await pool.query<{ id: number; v: number }>('SELECT id, v FROM d ORDER BY id')
    assert.deepEqual(rows.map((r) => [r.id, r.v]), [[1, 11], [2, 11]])
  } finally {
    await other.end()
  }
})

test('a batch whose end fails before its writes settle (an event waiting on a failed statement) leaves no rejection unheard', async () => {
  const unheard: unknown[] = []
  const onUnhandled = (reason: unknown) => void unheard.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    const batcher = new WriteBatcher(pool, LOCK, { oneRoundTrip: true })
    let release: () => void = () => undefined
    const later = new Promise<void>((resolve) => (release = resolve))
    // Its statement fails at once; the write itself settles only when the test says.
    let answered: Promise<unknown> | undefined
    const failing = (db: Client) => {
      const bad = db.query('SELECT 1 / 0')
      answered = bad.catch(() => undefined)
      queueEvent(db, bad.then(() => ({ type: 'never', at: 1, runId: null, assetKey: null, partition: null, payload: '{}' })))
      return later.then(() => 'late')
    }
    // The first write goes alone; the next two share the batch after it.
    const first = batcher.write(async () => 'first')
    const batch = Promise.allSettled([batcher.write(failing), batcher.write(async () => 'ok')])
    await first
    try {
      const sent = await poll('the batch sent', async () => (answered ? { answered } : undefined), 10_000, 1)
      await sent.answered
      // The end's rejection (its event waited on the failed statement) comes now, before the write settles.
      for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve))
    } finally {
      release()
    }
    await batch
    assert.deepEqual(unheard, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

test('a batch that cannot get a connection (the store out of reach) fails each of its writes, and the batcher goes on', async () => {
  const closed = openPool(postgres({ url: `${database.url}_missing`, poolSize: 2 }), { pipeline: true })
  try {
    const batcher = new WriteBatcher(closed, LOCK)
    const write = () => batcher.write(async (db) => (await db.query('SELECT 1')).rowCount)
    // The first goes out alone; the two asked for meanwhile make a batch of two, whose connection is refused.
    const outcomes = await Promise.allSettled([write(), write(), write()])
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected'])
    for (const o of outcomes) assert.match(String((o as PromiseRejectedResult).reason), /database "\w+_missing" does not exist/)
  } finally {
    await closed.end()
  }
})

test('a batch whose connection is lost after its COMMIT went out may have committed: none of its writes runs again, and the lost connection crashes nothing', async () => {
  const batcher = new WriteBatcher(pool, LOCK, { oneRoundTrip: true })
  await pool.query('DELETE FROM t')
  // In one round trip, the COMMIT follows the statements: the session ends at the second write's
  // statement, before the COMMIT runs. Run again alone, the first would insert its row.
  const insert = (db: Client) => db.query('INSERT INTO t VALUES (7)')
  const terminate = (db: Client) => db.query('SELECT pg_terminate_backend(pg_backend_pid())')
  const first = batcher.write(async (db) => (await db.query('SELECT 1')).rowCount)
  const outcomes = await Promise.allSettled([batcher.write(insert), batcher.write(terminate)])
  await first
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected'])
  for (const o of outcomes) assert.match(String((o as PromiseRejectedResult).reason), /terminating connection|Connection terminated/)
  const { rows } = await pool.query<{ n: number }>('SELECT n FROM t')
  assert.deepEqual(rows, [])
})
