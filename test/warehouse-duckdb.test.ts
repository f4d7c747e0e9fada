import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Relation } from '../src/graph/asset-graph.js'
import { TributaryError } from '../src/model/errors.js'
import { DuckDbWarehouse } from '../src/warehouse/duckdb/index.js'
import type { WarehouseSession } from '../src/warehouse/warehouse.js'

const root = await mkdtemp(join(tmpdir(), 'tributary-duckdb-'))
after(() => rm(root, { recursive: true, force: true }))

let counter = 0
/** A warehouse file in a directory of its own that does not exist yet. */
const freshPath = () => join(root, `case-${++counter}`, 'nested', 'warehouse.duckdb')

/** Opens a fresh warehouse and one session, closes both when the test ends. */
async function withSession(t: { after: (fn: () => Promise<void>) => void }): Promise<{ warehouse: DuckDbWarehouse; session: WarehouseSession }> {
  const warehouse = await DuckDbWarehouse.open(freshPath())
  t.after(() => warehouse.close())
  return { warehouse, session: await warehouse.session() }
}

const isCode = (code: string, pattern?: RegExp) => (error: unknown) =>
  error instanceof TributaryError && error.code === code && (pattern === undefined || pattern.test(error.message))

const orders: Relation = { schema: 'raw', name: 'orders' }

describe('opening and sessions', () => {
  test('open creates the parent directory and the ledger; data survives reopening', async () => {
    const path = freshPath()
    const first = await DuckDbWarehouse.open(path)
    assert.ok((await stat(path)).isFile())
    const session = await first.session()
    await session.createFromSelect(orders, 'select 1 as id')
    assert.deepEqual(await session.query('select count(*) as n from _tributary.publications'), [{ n: 0 }])
    await first.close()
    await first.close() // twice is fine

    const second = await DuckDbWarehouse.open(path)
    const again = await second.session()
    assert.deepEqual(await again.query('select id from raw.orders'), [{ id: 1 }])
    await second.close()
    await assert.rejects(again.query('select 1'), /closed/)
  })

  test('a second warehouse on the same file in this process is refused with TRB5001', async (t) => {
    const path = freshPath()
    const warehouse = await DuckDbWarehouse.open(path)
    t.after(() => warehouse.close())
    await assert.rejects(DuckDbWarehouse.open(path), isCode('TRB5001', /warehouse\.duckdb is locked/))
  })

  test('a file held by another process gives TRB5001 naming the file, with a hint', async (t) => {
    const path = freshPath()
    const script = join(root, `hold-${counter}.mts`)
    const entry = new URL('../src/warehouse/duckdb/index.ts', import.meta.url).href
    await writeFile(script, `
      import { DuckDbWarehouse } from ${JSON.stringify(entry)}
      const warehouse = await DuckDbWarehouse.open(${JSON.stringify(path)})
      console.log('ready')
      process.stdin.resume()
      process.stdin.on('end', async () => { await warehouse.close(); process.exit(0) })
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] })
    t.after(() => { if (child.exitCode === null) child.kill() })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve() })
      child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)))
    })

    const error = await DuckDbWarehouse.open(path).then(() => undefined, (e: unknown) => e)
    assert.ok(error instanceof TributaryError, String(error))
    assert.equal(error.code, 'TRB5001')
    assert.match(error.message, new RegExp(`${path.replaceAll('/', '\\/').replaceAll('.', '\\.')} is locked`))
    assert.match(error.hint ?? '', new RegExp(`Another Tributary process \\(PID ${child.pid}\\) is using the warehouse; wait for it to finish or stop it`))
    assert.deepEqual(error.context, { file: path })

    // Once the holder is gone, the file opens normally.
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.stdin.end()
    await exited
    const warehouse = await DuckDbWarehouse.open(path)
    await warehouse.close()
  })

  test('stagingRelation sits beside the target with a short, valid, per-attempt name', async (t) => {
    const { warehouse } = await withSession(t)
    const a = warehouse.stagingRelation(orders, 'run-1', null)
    assert.equal(a.schema, 'raw')
    assert.match(a.name, /^__trb_stage_orders_[0-9a-f]{10}$/)
    assert.deepEqual(warehouse.stagingRelation(orders, 'run-1', null), a)
    assert.notEqual(warehouse.stagingRelation(orders, 'run-2', null).name, a.name)
    assert.notEqual(warehouse.stagingRelation(orders, 'run-1', '2024-01-01').name, a.name)
    assert.notEqual(warehouse.stagingRelation(orders, 'run-1', '').name, a.name)
    const long = warehouse.stagingRelation({ schema: 'raw', name: 'x'.repeat(120) }, 'run-1', 'p')
    assert.ok(long.name.length <= 63, long.name)
    assert.match(long.name, /^[A-Za-z_][A-Za-z0-9_]*$/)
  })
})

describe('queries and values', () => {
  test('query converts DuckDB values to plain JS and binds $1 parameters', async (t) => {
    const { session } = await withSession(t)
    const [row] = await session.query(`select
      42::bigint as small, 9007199254740993::bigint as huge, 12.50::decimal(10, 2) as amount, 1.5::double as ratio,
      'it''s' as text, true as flag, null as nothing, date '2024-03-01' as day,
      timestamp '2024-03-01 10:30:00' as at, timestamptz '2024-03-01 10:30:00+02' as at_tz,
      [1, 2] as list, {'a': 1, 'b': 'x'} as struct, interval 90 minute as span, 'infinity'::timestamp as forever`)
    assert.deepEqual(row, {
      small: 42, huge: '9007199254740993', amount: 12.5, ratio: 1.5, text: "it's", flag: true, nothing: null,
      day: new Date('2024-03-01T00:00:00Z'), at: new Date('2024-03-01T10:30:00Z'), at_tz: new Date('2024-03-01T08:30:00Z'),
      list: [1, 2], struct: { a: 1, b: 'x' }, span: '01:30:00', forever: 'infinity',
    })
    const params = await session.query('select $1 as a, $2 as b, $3::timestamp as c, $4 as d', ["o'brien; drop table x", 7, new Date('2024-01-02T03:04:05Z'), null])
    assert.deepEqual(params, [{ a: "o'brien; drop table x", b: 7, c: new Date('2024-01-02T03:04:05Z'), d: null }])
  })

  test('bad SQL gives TRB5002 with DuckDB\'s message and the cause, not retryable', async (t) => {
    const { session } = await withSession(t)
    for (const sql of ['selec 1', 'select nope from range(1)', 'select * from missing_table']) {
      const error = await session.query(sql).then(() => undefined, (e: unknown) => e)
      assert.ok(error instanceof TributaryError, String(error))
      assert.equal(error.code, 'TRB5002')
      assert.equal(error.retryable, false)
      assert.ok(error.cause instanceof Error)
      assert.ok(error.message.includes(error.cause.message.split('\n')[0]!), error.message)
    }
    await assert.rejects(session.exec('create table t (a int); insert into t values (\'x\')'), isCode('TRB5002', /Conversion Error/))
    // The session is still usable after a failure.
    assert.deepEqual(await session.query('select 1 as one'), [{ one: 1 }])
  })

  test('concurrent calls on one session run one after another', async (t) => {
    const { session } = await withSession(t)
    await session.createFromSelect(orders, 'select range as id from range(1000)')
    const results = await Promise.all([
      session.rowCount(orders),
      session.dataVersion(orders),
      session.query('select sum(id) as s from raw.orders'),
      session.columns(orders),
    ])
    assert.equal(results[0], 1000)
    assert.deepEqual(results[2], [{ s: 499500 }])
  })
})

describe('staging', () => {
  test('createFromSelect creates the schema on demand; columns, rowCount and relationExists describe it', async (t) => {
    const { session } = await withSession(t)
    const staging = { schema: 'fresh_schema', name: 'things' }
    assert.equal(await session.relationExists(staging), false)
    await session.createFromSelect(staging, `select range::integer as id, 'n' || range as name, range * 1.5 as score from range(3)`)
    assert.equal(await session.relationExists(staging), true)
    assert.deepEqual(await session.columns(staging), [
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'score', type: 'DECIMAL(21,1)' },
    ])
    assert.equal(await session.rowCount(staging), 3)
    await session.createFromSelect(staging, 'select 1 as only')
    assert.deepEqual(await session.columns(staging), [{ name: 'only', type: 'INTEGER' }])
    await assert.rejects(session.columns({ schema: 'fresh_schema', name: 'nothing' }), isCode('TRB5002', /does not exist/))
    await session.drop(staging)
    await session.drop(staging)
    assert.equal(await session.relationExists(staging), false)
  })

  test('createFromRows infers column types and keeps values', async (t) => {
    const { session } = await withSession(t)
    const at = new Date('2024-05-06T07:08:09.123Z')
    await session.createFromRows(orders, [
      { id: 1, amount: 10, paid: true, note: "it's", at, empty: null },
      { id: 2, amount: 2.5, paid: false, at: null, extra: 'only here' },
    ])
    assert.deepEqual(await session.columns(orders), [
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'paid', type: 'BOOLEAN' },
      { name: 'note', type: 'VARCHAR' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'empty', type: 'VARCHAR' },
      { name: 'extra', type: 'VARCHAR' },
    ])
    assert.deepEqual(await session.query('select * from raw.orders order by id'), [
      { id: 1, amount: 10, paid: true, note: "it's", at, empty: null, extra: null },
      { id: 2, amount: 2.5, paid: false, note: null, at: null, empty: null, extra: 'only here' },
    ])
  })

  test('createFromRows appends many rows quickly and replaces what was there', async (t) => {
    const { session } = await withSession(t)
    await session.createFromSelect(orders, 'select 1 as old')
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, label: `row ${i}` }))
    const started = performance.now()
    await session.createFromRows(orders, rows)
    assert.ok(performance.now() - started < 5000)
    assert.equal(await session.rowCount(orders), 20_000)
    assert.deepEqual(await session.query('select sum(id) as s from raw.orders'), [{ s: 199_990_000 }])
  })

  test('createFromRows rejects rows it cannot type with TRB3008', async (t) => {
    const { session } = await withSession(t)
    await assert.rejects(session.createFromRows(orders, []), isCode('TRB3008', /zero rows/))
    await assert.rejects(session.createFromRows(orders, [{ a: 1 }, { a: 'x' }]), isCode('TRB3008', /column a mixes BIGINT and VARCHAR values \(row 2\)/))
    await assert.rejects(session.createFromRows(orders, [{ a: { nested: true } }]), isCode('TRB3008', /object/))
    assert.equal(await session.relationExists(orders), false)
  })

  test('createFromCsv reads header CSV files by column name', async (t) => {
    const { session } = await withSession(t)
    const dir = join(root, `csv-${++counter}`)
    await import('node:fs/promises').then((fs) => fs.mkdir(dir))
    const a = join(dir, "a's.csv")
    const b = join(dir, 'b.csv')
    await writeFile(a, 'id,name\n1,ann\n2,bob\n')
    await writeFile(b, 'name,id,extra\ncat,3,x\n')
    await session.createFromCsv(orders, [a, b])
    assert.deepEqual(await session.query('select id, name, extra from raw.orders order by id'), [
      { id: 1, name: 'ann', extra: null },
      { id: 2, name: 'bob', extra: null },
      { id: 3, name: 'cat', extra: 'x' },
    ])
    await assert.rejects(session.createFromCsv(orders, []), isCode('TRB3008', /no CSV files/))
    await assert.rejects(session.createFromCsv(orders, [join(dir, 'missing.csv')]), isCode('TRB5010', /missing\.csv/))
  })
})

describe('data versions', () => {
  test('dataVersion ignores row order and changes with the data, duplicates and column names', async (t) => {
    const { session } = await withSession(t)
    const version = async (select: string) => {
      await session.createFromSelect(orders, select)
      return session.dataVersion(orders)
    }
    const base = await version(`select * from (values (1, 'a'), (2, 'b'), (3, 'c')) v(id, name) order by id`)
    assert.match(base, /^3:[0-9a-f]{16}$/)
    assert.equal(await version(`select * from (values (3, 'c'), (1, 'a'), (2, 'b')) v(id, name) order by id desc`), base)
    assert.notEqual(await version(`select * from (values (1, 'a'), (2, 'B'), (3, 'c')) v(id, name)`), base)
    assert.notEqual(await version(`select * from (values (1, 'a'), (2, 'b'), (3, 'c')) v(id, label)`), base)
    assert.notEqual(await version(`select 'x' as v union all select 'x'`), await version(`select 'y' as v union all select 'y'`))
    const empty = await version('select 1 as id where false')
    assert.match(empty, /^0:/)
    assert.equal(await version('select 2 as id where false'), empty)
  })
})

describe('publishing', () => {
  async function stage(warehouse: DuckDbWarehouse, session: WarehouseSession, runId: string, select: string): Promise<Relation> {
    const staging = warehouse.stagingRelation(orders, runId, null)
    await session.createFromSelect(staging, select)
    return staging
  }

  test('publish replaces the target, drops staging and records the ledger', async (t) => {
    const { warehouse, session } = await withSession(t)
    const first = await stage(warehouse, session, 'run-1', 'select 1 as id')
    await session.publish(first, orders, { assetKey: 'raw/orders', partition: null, runId: 'run-1', dataVersion: 'v1', rowCount: 1 })
    assert.equal(await session.relationExists(first), false)
    assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])

    const before = Date.now()
    const second = await stage(warehouse, session, 'run-2', 'select * from range(3) r(id)')
    await session.publish(second, orders, { assetKey: 'raw/orders', partition: '2024-01-01', runId: 'run-2', dataVersion: 'v2', rowCount: 3 })
    assert.deepEqual(await session.query('select id from raw.orders order by id'), [{ id: 0 }, { id: 1 }, { id: 2 }])

    const [record, ...rest] = await warehouse.publications('run-2')
    assert.equal(rest.length, 0)
    assert.deepEqual({ ...record, publishedAt: undefined }, { assetKey: 'raw/orders', partition: '2024-01-01', runId: 'run-2', dataVersion: 'v2', rowCount: 3, publishedAt: undefined })
    assert.ok(record!.publishedAt instanceof Date && Math.abs(record!.publishedAt.getTime() - before) < 60_000)
    assert.equal((await warehouse.publications('run-1'))[0]?.partition, null)
    assert.deepEqual(await warehouse.publications('run-3'), [])
  })

  test('a publish without its staging relation fails and leaves the target as it was', async (t) => {
    const { warehouse, session } = await withSession(t)
    await session.publish(await stage(warehouse, session, 'run-1', 'select 1 as id'), orders, { assetKey: 'raw/orders', partition: null, runId: 'run-1', dataVersion: 'v1', rowCount: 1 })
    const missing = warehouse.stagingRelation(orders, 'run-2', null)
    await assert.rejects(session.publish(missing, orders, { assetKey: 'raw/orders', partition: null, runId: 'run-2', dataVersion: 'v2', rowCount: 5 }), isCode('TRB5002', /does not exist/))
    assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])
    assert.deepEqual(await warehouse.publications('run-2'), [])
  })

  test('a publish that fails after replacing the target rolls everything back', async (t) => {
    const { warehouse, session } = await withSession(t)
    await session.publish(await stage(warehouse, session, 'run-1', 'select 1 as id'), orders, { assetKey: 'raw/orders', partition: null, runId: 'run-1', dataVersion: 'v1', rowCount: 1 })
    // A view as staging: copying from it works, but dropping it as a table fails at the last step.
    const staging = warehouse.stagingRelation(orders, 'run-2', null)
    await session.exec(`create view raw.${staging.name} as select 2 as id`)
    await assert.rejects(session.publish(staging, orders, { assetKey: 'raw/orders', partition: null, runId: 'run-2', dataVersion: 'v2', rowCount: 1 }), isCode('TRB5002'))
    const reader = await warehouse.session()
    assert.deepEqual(await reader.query('select * from raw.orders'), [{ id: 1 }])
    assert.deepEqual(await warehouse.publications('run-2'), [])
    assert.equal(await reader.relationExists(staging), true)
    // The failed session can publish again once the cause is fixed.
    await session.exec(`drop view raw.${staging.name}`)
    await session.publish(await stage(warehouse, session, 'run-2', 'select 2 as id'), orders, { assetKey: 'raw/orders', partition: null, runId: 'run-2', dataVersion: 'v2', rowCount: 1 })
    assert.deepEqual(await reader.query('select * from raw.orders'), [{ id: 2 }])
  })

  test('sessions stage and publish concurrently into new schemas', async (t) => {
    const warehouse = await DuckDbWarehouse.open(freshPath())
    t.after(() => warehouse.close())
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    // Several rounds: racing to create the same new schema only sometimes collides in DuckDB.
    for (const schema of ['marts', 'reports', 'exports']) {
      await Promise.all(names.map(async (name) => {
        const session = await warehouse.session()
        const target = { schema, name }
        const staging = warehouse.stagingRelation(target, 'run-1', null)
        await session.createFromSelect(staging, `select '${name}' as name`)
        await session.publish(staging, target, { assetKey: `${schema}/${name}`, partition: null, runId: 'run-1', dataVersion: name, rowCount: 1 })
        await session.close()
      }))
    }
    const published = await warehouse.publications('run-1')
    assert.equal(published.length, 24)
    assert.deepEqual(published.filter((p) => p.assetKey.startsWith('marts/')).map((p) => p.assetKey).sort(), names.map((n) => `marts/${n}`))
  })
})
