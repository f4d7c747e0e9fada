import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { describe, test } from 'node:test'
import { TributaryError } from '../src/model/errors.js'
import type { WarehouseSession } from '../src/warehouse/warehouse.js'
import { PostgresWarehouse } from '../src/warehouse/postgres/index.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { createDatabase } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { warehouseConformance } from './warehouse-conformance.js'

warehouseConformance('postgres', async () => {
  const database = await createDatabase()
  const config = postgresWarehouse({ url: database.url })
  return {
    open: () => PostgresWarehouse.open(config),
    child: {
      module: new URL('../src/warehouse/postgres/index.ts', import.meta.url).href,
      expression: `m.PostgresWarehouse.open(${JSON.stringify(config)})`,
    },
    cleanup: () => database.drop(),
  }
})

const isCode = (code: string, pattern?: RegExp) => (error: unknown) =>
  error instanceof TributaryError && error.code === code && (pattern === undefined || pattern.test(error.message))

describe('postgres warehouse', () => {
  async function open(t: { after: (fn: () => Promise<void>) => void }): Promise<{ warehouse: PostgresWarehouse; session: WarehouseSession }> {
    const database = await createDatabase()
    const warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: database.url }))
    t.after(async () => { await warehouse.close(); await database.drop() })
    return { warehouse, session: await warehouse.session() }
  }

  test('values come back as from DuckDB: exact bigints as numbers, numerics as numbers, timestamps in UTC', async (t) => {
    const { session } = await open(t)
    const [row] = await session.query(`select 42::bigint as small, 9007199254740993::bigint as huge, 12.50::numeric(10, 2) as amount,
      date '2024-03-01' as day, timestamp '2024-03-01 10:30:00' as at, timestamptz '2024-03-01 10:30:00+02' as at_tz, 'infinity'::timestamp as forever`)
    assert.deepEqual(row, {
      small: 42, huge: '9007199254740993', amount: 12.5, day: new Date('2024-03-01T00:00:00Z'),
      at: new Date('2024-03-01T10:30:00Z'), at_tz: new Date('2024-03-01T08:30:00Z'), forever: 'infinity',
    })
    const [param] = await session.query('select $1::timestamp as at', [new Date('2024-01-02T03:04:05Z')])
    assert.deepEqual(param, { at: new Date('2024-01-02T03:04:05Z') })
  })

  test('bad SQL is TRB5002 with PostgreSQL\'s message and SQLSTATE, not retryable; the session stays usable', async (t) => {
    const { session } = await open(t)
    const error = await session.query('select nope from missing_table').then(() => undefined, (e: unknown) => e)
    assert.ok(isCode('TRB5002', /missing_table" does not exist \(SQLSTATE 42P01\)/)(error), String(error))
    assert.equal((error as TributaryError).retryable, false)
    assert.deepEqual(await session.query('select 1 as one'), [{ one: 1 }])
  })

  test('an unreachable server is TRB5020, retryable, without the URL\'s password', async () => {
    const config = postgresWarehouse({ url: 'postgres://postgres:s3cret@127.0.0.1:1/nowhere' })
    const error = await PostgresWarehouse.open(config).then(() => undefined, (e: unknown) => e)
    assert.ok(isCode('TRB5020')(error), String(error))
    assert.equal((error as TributaryError).retryable, true)
    assert.ok(!(error as Error).message.includes('s3cret'), (error as Error).message)
  })

  test('names over 63 bytes are refused with TRB5021 instead of silently truncated; quotes in names are safe', async (t) => {
    const { session } = await open(t)
    await assert.rejects(session.createFromSelect({ schema: 'raw', name: 'x'.repeat(64) }, 'select 1 as id'), isCode('TRB5021', /63 bytes/))
    const odd = { schema: 'raw', name: 'it"s; drop table x' }
    await session.createFromSelect(odd, 'select 1 as id')
    assert.equal(await session.rowCount(odd), 1)
  })

  test('postgresWarehouse() refuses a missing url, a bad schema and a bad pool size with TRB5022', () => {
    assert.throws(() => postgresWarehouse({ url: undefined }), isCode('TRB5022', /environment variable/))
    assert.throws(() => postgresWarehouse({ url: 'mysql://x:pw@h/db' }), (e: unknown) => isCode('TRB5022')(e) && !(e as Error).message.includes(':pw@'))
    assert.throws(() => postgresWarehouse({ url: 'postgres://h/db', schema: 'bad-name' }), isCode('TRB5022', /schema/))
    assert.throws(() => postgresWarehouse({ url: 'postgres://h/db', poolSize: 0 }), isCode('TRB5022', /poolSize/))
  })

  test('sessions stage and publish concurrently into new schemas; 20,000 rows load through COPY', async (t) => {
    const { warehouse, session } = await open(t)
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    await Promise.all(names.map(async (name) => {
      const s = await warehouse.session()
      const target = { schema: 'marts', name }
      const staging = warehouse.stagingRelation(target, 'run-1', null)
      await s.createFromSelect(staging, `select '${name}' as name`)
      await s.publish(staging, target, { assetKey: `marts/${name}`, partition: null, runId: 'run-1', dataVersion: name, rowCount: 1 })
      await s.close()
    }))
    assert.equal((await warehouse.publications('run-1')).length, names.length)
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, label: `row ${i}` }))
    await session.createFromRows({ schema: 'raw', name: 'many' }, rows)
    assert.deepEqual(await session.query('select count(*) as n, sum(id) as s from raw.many'), [{ n: 20_000, s: 199_990_000 }])
  })

  test('a claim raises the fence: once fence 2 is raised, the publish of fence 1 is refused with TRB7003 and the table, partition and ledger keep their old contents', async (t) => {
    const { warehouse, session } = await open(t)
    const target = { schema: 'raw', name: 'orders' }
    const meta = (runId: string, partition: string | null, fence: number) => ({ assetKey: 'raw/orders', partition, runId, dataVersion: runId, rowCount: 1, fence })
    const old = warehouse.stagingRelation(target, 'run-1', null)
    await session.createFromSelect(old, "select 'old' as v, '2026-01-01' as day")
    await session.publish(old, target, meta('run-1', null, 1))
    // Fence 1 claimed the step, then its lease expired and fence 2 claimed it: raised before it runs.
    await warehouse.raiseFence('raw/orders', null, 2)
    const zombie = warehouse.stagingRelation(target, 'run-2~1', null)
    await session.createFromSelect(zombie, "select 'zombie' as v, '2026-01-01' as day")
    await assert.rejects(session.publish(zombie, target, meta('run-2', null, 1)), isCode('TRB7003', /with fence 1 was refused: an attempt with fence 2 took over/))
    assert.deepEqual(await session.query('select v from raw.orders'), [{ v: 'old' }])
    assert.deepEqual(await warehouse.publications('run-2'), [])
    // A fence is per asset-partition: raising one partition's leaves the others' publishes alone.
    await warehouse.raiseFence('raw/orders', '2026-01-02', 5)
    const day1 = warehouse.stagingRelation(target, 'run-3~3', '2026-01-01')
    await session.createFromSelect(day1, "select 'day 1' as v, '2026-01-01' as day")
    await session.publish(day1, target, meta('run-3', '2026-01-01', 3), { partitionColumn: 'day' })
    const day2 = warehouse.stagingRelation(target, 'run-3~4', '2026-01-02')
    await session.createFromSelect(day2, "select 'day 2' as v, '2026-01-02' as day")
    await assert.rejects(session.publish(day2, target, meta('run-3', '2026-01-02', 4), { partitionColumn: 'day' }), isCode('TRB7003'))
    assert.deepEqual(await session.query('select v, day from raw.orders order by day'), [{ v: 'day 1', day: '2026-01-01' }])
    // The attempt that raised the fence publishes.
    const newer = warehouse.stagingRelation(target, 'run-3~5', '2026-01-02')
    await session.createFromSelect(newer, "select 'day 2' as v, '2026-01-02' as day")
    await session.publish(newer, target, meta('run-3', '2026-01-02', 5), { partitionColumn: 'day' })
    assert.deepEqual(await session.query('select v, day from raw.orders order by day'), [{ v: 'day 1', day: '2026-01-01' }, { v: 'day 2', day: '2026-01-02' }])
  })

  test("a claim's raise waits for a publish under way at most its lock timeout, then resolves false, the fence unchanged; without the lock it raises at once", async (t) => {
    const database = await createDatabase()
    const warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: database.url }))
    const holder = new pg.Client({ connectionString: database.url })
    t.after(async () => { await holder.end().catch(() => undefined); await warehouse.close(); await database.drop() })
    assert.equal(await warehouse.raiseFence('raw/orders', null, 1, { lockTimeoutMs: 200 }), true)
    // A stalled worker's publish: its transaction holds the fence row's lock and never commits.
    await holder.connect()
    await holder.query('begin')
    await holder.query("select fence from _tributary.fences where asset_key = 'raw/orders' for update")
    const started = performance.now()
    assert.equal(await warehouse.raiseFence('raw/orders', null, 2, { lockTimeoutMs: 200 }), false)
    const waited = performance.now() - started
    assert.ok(waited >= 150 && waited < 10_000, `waited for the lock about 200 ms, not ${waited} ms`)
    await holder.query('rollback')
    assert.deepEqual((await holder.query('select fence::int as fence from _tributary.fences')).rows, [{ fence: 1 }])
    // Values are written into the statement: quotes and a dollar sign stay data.
    assert.equal(await warehouse.raiseFence("it's $2", "p'$1", 3, { lockTimeoutMs: 200 }), true)
    assert.deepEqual((await holder.query("select asset_key, partition_key, fence::int as fence from _tributary.fences where fence = 3")).rows, [{ asset_key: "it's $2", partition_key: "p'$1", fence: 3 }])
    // The limit was the raise's own transaction's: a pooled connection after it has none.
    assert.deepEqual((await warehouse.session().then(async (s) => { try { return await s.query('show lock_timeout') } finally { await s.close() } })), [{ lock_timeout: '0' }])
  })

  test('a view over an asset table makes its publish fail with TRB5002, leaving the table and the view as they were', async (t) => {
    const { warehouse, session } = await open(t)
    const target = { schema: 'raw', name: 'orders' }
    const meta = (runId: string) => ({ assetKey: 'raw/orders', partition: null, runId, dataVersion: runId, rowCount: 1 })
    const first = warehouse.stagingRelation(target, 'run-1', null)
    await session.createFromSelect(first, 'select 1 as id')
    await session.publish(first, target, meta('run-1'))
    await session.exec('create view raw.orders_view as select id from raw.orders')
    const second = warehouse.stagingRelation(target, 'run-2', null)
    await session.createFromSelect(second, 'select 2 as id')
    await assert.rejects(session.publish(second, target, meta('run-2')), isCode('TRB5002', /depend/))
    assert.deepEqual(await session.query('select id from raw.orders_view'), [{ id: 1 }])
    assert.equal(await session.relationExists(second), true)
    assert.deepEqual(await warehouse.publications('run-2'), [])
  })

  test('a process killed inside its publish transaction publishes nothing: the target, ledger and staging stay as they were', async (t) => {
    const database = await createDatabase()
    const config = postgresWarehouse({ url: database.url })
    const warehouse = await PostgresWarehouse.open(config)
    const blocker = new pg.Client({ connectionString: database.url })
    t.after(async () => { await blocker.end().catch(() => undefined); await warehouse.close(); await database.drop() })
    const session = await warehouse.session()
    const target = { schema: 'raw', name: 'orders' }
    const first = warehouse.stagingRelation(target, 'run-1', null)
    await session.createFromSelect(first, 'select 1 as id')
    await session.publish(first, target, { assetKey: 'raw/orders', partition: null, runId: 'run-1', dataVersion: 'v1', rowCount: 1 })
    // A reader holding the table makes the child's publish wait inside its transaction.
    await blocker.connect()
    await blocker.query('begin; lock table raw.orders in access share mode')

    const staging = warehouse.stagingRelation(target, 'run-2', null)
    const dir = await mkdtemp(join(tmpdir(), 'tributary-pg-publish-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const script = join(dir, 'publish.mts')
    await writeFile(script, `
      const { PostgresWarehouse } = await import(${JSON.stringify(new URL('../src/warehouse/postgres/index.ts', import.meta.url).href)})
      const warehouse = await PostgresWarehouse.open(${JSON.stringify(config)})
      const session = await warehouse.session()
      await session.createFromSelect(${JSON.stringify(staging)}, 'select 2 as id')
      await session.publish(${JSON.stringify(staging)}, ${JSON.stringify(target)}, { assetKey: 'raw/orders', partition: null, runId: 'run-2', dataVersion: 'v2', rowCount: 1 })
      console.log('published')
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    t.after(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await poll('the publish to wait for its lock', async () => {
      // Asked on another connection: inside the blocker's transaction pg_stat_activity is a frozen snapshot.
      const rows = await session.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'drop table%'`)
      return rows.length > 0 ? true : undefined
    })
    child.kill('SIGKILL')
    await exited
    await blocker.query('commit')

    assert.equal(output.includes('published'), false)
    assert.deepEqual(await session.query('select id from raw.orders'), [{ id: 1 }])
    assert.deepEqual(await warehouse.publications('run-2'), [])
    assert.equal(await session.relationExists(staging), true)
  })
})
