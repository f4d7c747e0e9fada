// The behaviour every Warehouse implementation must share, run against each one (like
// store-conformance.ts for stores): staging, data versions, atomic publish under concurrent
// readers, per-partition publish, a crash between stage and publish, the ledger, and the
// built-in checks evaluated on staged data.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { acceptedValues, customSql, notNull, recency, relationships, rowCount, schema, unique, volumeChange } from '../src/checks/builtins.js'
import { evaluateCheck } from '../src/checks/evaluate.js'
import type { Relation } from '../src/graph/asset-graph.js'
import { TributaryError } from '../src/model/errors.js'
import type { PublicationMeta, Warehouse, WarehouseSession } from '../src/warehouse/warehouse.js'

/** One fresh, empty warehouse for one test. */
export interface WarehouseHarness {
  /** Opens the warehouse (again after close: the same data). */
  open(): Promise<Warehouse>
  /** How a child process opens the same warehouse: `await import(module)` then `await <expression>` with the module as `m`. */
  readonly child: { readonly module: string; readonly expression: string }
  /** Removes the warehouse; called after the test closed it. */
  cleanup(): Promise<void>
}

type TestContext = { after: (fn: () => Promise<void>) => void }

const isCode = (code: string) => (error: unknown) => error instanceof TributaryError && error.code === code
const orders: Relation = { schema: 'raw', name: 'orders' }
const meta = (runId: string, partition: string | null = null, rowCount = 1): PublicationMeta =>
  ({ assetKey: 'raw/orders', partition, runId, dataVersion: `v-${runId}`, rowCount })

/** `count` rows `(id, version)` with ids 0..count-1, portable across dialects. */
const versionRows = (version: number, count: number) =>
  `select g as id, ${version} as version from generate_series(0, ${count - 1}) as t(g)`

/** Stages `select 1 as id` for run-1 and publishes it as raw.orders; returns the staging relation (dropped by the publish). */
async function publishFirst(warehouse: Warehouse, session: WarehouseSession): Promise<Relation> {
  const first = warehouse.stagingRelation(orders, 'run-1', null)
  await session.createFromSelect(first, 'select 1 as id')
  await session.publish(first, orders, meta('run-1'))
  return first
}

/** Registers the conformance tests for one implementation. */
export function warehouseConformance(name: string, create: () => Promise<WarehouseHarness>): void {
  const root = mkdtemp(join(tmpdir(), 'tributary-wh-conformance-'))
  after(async () => rm(await root, { recursive: true, force: true }))

  async function setup(t: TestContext): Promise<{ harness: WarehouseHarness; warehouse: Warehouse; session: WarehouseSession }> {
    const harness = await create()
    const warehouse = await harness.open()
    t.after(async () => { await warehouse.close(); await harness.cleanup() })
    return { harness, warehouse, session: await warehouse.session() }
  }

  describe(`warehouse conformance: ${name}`, () => {
    test('createFromSelect creates the schema on demand; relationExists, columns and rowCount describe it; drop is idempotent', async (t) => {
      const { session } = await setup(t)
      const staging = { schema: 'fresh_schema', name: 'things' }
      assert.equal(await session.relationExists(staging), false)
      await session.createFromSelect(staging, `select g as id, 'n' || g as label from generate_series(1, 3) as t(g)`)
      assert.equal(await session.relationExists(staging), true)
      assert.deepEqual((await session.columns(staging)).map((c) => c.name), ['id', 'label'])
      assert.equal(await session.rowCount(staging), 3)
      await session.createFromSelect(staging, 'select 1 as only_column')
      assert.deepEqual((await session.columns(staging)).map((c) => c.name), ['only_column'])
      await assert.rejects(session.columns({ schema: 'fresh_schema', name: 'nothing' }), isCode('TRB5002'))
      await session.drop(staging)
      await session.drop(staging)
      assert.equal(await session.relationExists(staging), false)
    })

    test('createFromRows keeps values, nulls and column order, and replaces what was there', async (t) => {
      const { session } = await setup(t)
      await session.createFromSelect(orders, 'select 1 as old')
      const at = new Date('2024-05-06T07:08:09.123Z')
      await session.createFromRows(orders, [
        { id: 1, amount: 10, paid: true, note: "it's, \"quoted\"\nline", at, empty: null },
        { id: 2, amount: 2.5, paid: false, note: '', at: null, extra: 'only here' },
      ])
      assert.deepEqual((await session.columns(orders)).map((c) => c.name), ['id', 'amount', 'paid', 'note', 'at', 'empty', 'extra'])
      assert.deepEqual(await session.query('select * from raw.orders order by id'), [
        { id: 1, amount: 10, paid: true, note: "it's, \"quoted\"\nline", at, empty: null, extra: null },
        { id: 2, amount: 2.5, paid: false, note: '', at: null, empty: null, extra: 'only here' },
      ])
      await assert.rejects(session.createFromRows(orders, []), isCode('TRB3008'))
    })

    test('query binds $1 parameters as values, never as SQL', async (t) => {
      const { session } = await setup(t)
      const rows = await session.query('select $1 as a, $2 as b', ["o'brien; drop table x", null])
      assert.deepEqual(rows, [{ a: "o'brien; drop table x", b: null }])
    })

    test('createFromCsv combines header CSV files by column name; a missing file is TRB5010 naming it', async (t) => {
      const { session } = await setup(t)
      const dir = await mkdtemp(join(await root, 'csv-'))
      const a = join(dir, "a's.csv")
      const b = join(dir, 'b.csv')
      await writeFile(a, 'id,name,day,seen_at\n1,ann,2024-01-02,2024-01-02 03:04:05\n2,bob,2024-01-03,2024-01-03 00:00:00\n')
      await writeFile(b, 'name,id,extra\ncat,3,x\n')
      await session.createFromCsv(orders, [a, b])
      assert.deepEqual(await session.query('select id, name, extra, day, seen_at from raw.orders order by id'), [
        { id: 1, name: 'ann', extra: null, day: new Date('2024-01-02T00:00:00Z'), seen_at: new Date('2024-01-02T03:04:05Z') },
        { id: 2, name: 'bob', extra: null, day: new Date('2024-01-03T00:00:00Z'), seen_at: new Date('2024-01-03T00:00:00Z') },
        { id: 3, name: 'cat', extra: 'x', day: null, seen_at: null },
      ])
      await assert.rejects(session.createFromCsv(orders, []), isCode('TRB3008'))
      const missing = join(dir, 'missing.csv')
      await assert.rejects(session.createFromCsv(orders, [missing]), (e: unknown) => isCode('TRB5010')(e) && (e as Error).message.includes(missing))
    })

    test('dataVersion ignores row order and changes with the data, duplicates and column names', async (t) => {
      const { session } = await setup(t)
      const version = async (select: string) => {
        await session.createFromSelect(orders, select)
        return session.dataVersion(orders)
      }
      const base = await version(`select * from (values (1, 'a'), (2, 'b'), (3, 'c')) v(id, name) order by id`)
      assert.match(base, /^3:[0-9a-f]{16}$/)
      assert.equal(await version(`select * from (values (3, 'c'), (1, 'a'), (2, 'b')) v(id, name) order by id desc`), base)
      assert.notEqual(await version(`select * from (values (1, 'a'), (2, 'B'), (3, 'c')) v(id, name)`), base)
      assert.notEqual(await version(`select * from (values (1, 'a'), (2, 'b'), (3, 'c')) v(id, label)`), base)
      assert.notEqual(await version(`select 'x' as v union all select 'x'`), await version(`select 'x' as v`))
      const empty = await version('select 1 as id where false')
      assert.match(empty, /^0:/)
      assert.equal(await version('select 2 as id where false'), empty)
    })

    test('publish replaces the target, drops staging and records the publication in the ledger', async (t) => {
      const { warehouse, session } = await setup(t)
      const first = await publishFirst(warehouse, session)
      assert.equal(await session.relationExists(first), false)
      const second = warehouse.stagingRelation(orders, 'run-2', null)
      assert.notEqual(second.name, first.name)
      await session.createFromSelect(second, versionRows(2, 3))
      await session.publish(second, orders, meta('run-2', null, 3))
      assert.deepEqual(await session.query('select id from raw.orders order by id'), [{ id: 0 }, { id: 1 }, { id: 2 }])
      const [record, ...rest] = await warehouse.publications('run-2')
      assert.equal(rest.length, 0)
      assert.deepEqual({ ...record, publishedAt: undefined }, { ...meta('run-2', null, 3), publishedAt: undefined })
      assert.ok(record!.publishedAt instanceof Date && Math.abs(record!.publishedAt.getTime() - Date.now()) < 60_000)
      assert.deepEqual(await warehouse.publications('run-3'), [])
    })

    test('a publish without its staging relation fails and leaves the target and ledger as they were', async (t) => {
      const { warehouse, session } = await setup(t)
      await publishFirst(warehouse, session)
      await assert.rejects(session.publish(warehouse.stagingRelation(orders, 'run-2', null), orders, meta('run-2')), isCode('TRB5002'))
      assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])
      assert.deepEqual(await warehouse.publications('run-2'), [])
      // The session is still usable after the failure.
      assert.deepEqual(await session.query('select 1 as one'), [{ one: 1 }])
    })

    test("a publish's beforeCommit runs once, after its writes and before its commit; when it throws, the publish rolls back with its error", async (t) => {
      const { warehouse, session } = await setup(t)
      await publishFirst(warehouse, session)
      const second = warehouse.stagingRelation(orders, 'run-2', null)
      await session.createFromSelect(second, 'select 2 as id')
      const refusal = new Error('the store refused')
      let calls = 0
      await assert.rejects(session.publish(second, orders, meta('run-2'), {
        beforeCommit: async () => {
          calls++
          throw refusal
        },
      }), (error: unknown) => error === refusal)
      assert.equal(calls, 1)
      assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])
      assert.deepEqual(await warehouse.publications('run-2'), [])
      assert.equal(await session.relationExists(second), true)
      await session.publish(second, orders, meta('run-2'), { beforeCommit: async () => void calls++ })
      assert.equal(calls, 2)
      assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 2 }])
      assert.equal((await warehouse.publications('run-2')).length, 1)
    })

    test('a concurrent reader sees the old or the new version, never a mix or nothing', async (t) => {
      const { warehouse, session } = await setup(t)
      const reader = await warehouse.session()
      const rowsPerVersion = 2000
      const stage = async (version: number) => {
        const staging = warehouse.stagingRelation(orders, `run-${version}`, null)
        await session.createFromSelect(staging, versionRows(version, rowsPerVersion))
        await session.publish(staging, orders, meta(`run-${version}`, null, rowsPerVersion))
      }
      await stage(0)
      let done = false
      const seen = new Set<number>()
      const reads = (async () => {
        while (!done) {
          const [row] = await reader.query('select count(*) as n, min(version) as lo, max(version) as hi from raw.orders')
          assert.equal(Number(row!.n), rowsPerVersion)
          assert.equal(Number(row!.lo), Number(row!.hi), 'a read saw two versions at once')
          seen.add(Number(row!.lo))
        }
      })()
      try {
        for (let version = 1; version <= 8; version++) await stage(version)
      } finally {
        done = true
        await reads
      }
      assert.ok(seen.size >= 2, `the reader saw versions ${[...seen]}`)
      assert.equal(Number((await reader.query('select max(version) as v from raw.orders'))[0]!.v), 8)
    })

    test('a partition publish replaces only that partition, atomically for readers', async (t) => {
      const { warehouse, session } = await setup(t)
      const publishDay = async (runId: string, day: string, version: number, count: number, s = session) => {
        const staging = warehouse.stagingRelation(orders, runId, day)
        await s.createFromSelect(staging, `select '${day}' as day, g as id, ${version} as version from generate_series(1, ${count}) as t(g)`)
        await s.publish(staging, orders, meta(runId, day, count), { partitionColumn: 'day' })
      }
      // Two first publishes at once both create or find the table.
      const other = await warehouse.session()
      await Promise.all([publishDay('run-1', '2024-01-01', 1, 100), publishDay('run-1', '2024-01-02', 1, 50, other)])
      const byDay = async () => (await session.query('select day, count(*) as n, max(version) as v from raw.orders group by day order by day'))
        .map((r) => [r.day, Number(r.n), Number(r.v)])
      assert.deepEqual(await byDay(), [['2024-01-01', 100, 1], ['2024-01-02', 50, 1]])

      let done = false
      const reads = (async () => {
        while (!done) {
          const rows = await other.query(`select count(*) as n, min(version) as lo, max(version) as hi from raw.orders where day = '2024-01-01'`)
          assert.equal(Number(rows[0]!.lo), Number(rows[0]!.hi), 'a read saw two versions of a partition')
          assert.ok(Number(rows[0]!.n) === 100 || Number(rows[0]!.n) === 30, `a read saw ${rows[0]!.n} rows`)
        }
      })()
      try {
        for (let version = 2; version <= 6; version++) await publishDay(`run-${version}`, '2024-01-01', version, version % 2 === 0 ? 30 : 100)
      } finally {
        done = true
        await reads
      }
      assert.deepEqual(await byDay(), [['2024-01-01', 30, 6], ['2024-01-02', 50, 1]])
      assert.deepEqual((await warehouse.publications('run-1')).map((p) => p.partition).sort(), ['2024-01-01', '2024-01-02'])
    })

    test('built-in checks on a staged relation give the same outcomes', async (t) => {
      const { warehouse, session } = await setup(t)
      await session.createFromRows({ schema: 'raw', name: 'accounts' }, [{ id: 1, name: 'Acme' }, { id: 2, name: "O'Brien & Co" }])
      const staging = warehouse.stagingRelation(orders, 'run-1', null)
      await session.createFromRows(staging, [
        { id: 1, account_id: 1, stage: 'open', amount: 10.5, updated_at: new Date('2024-06-01T11:00:00Z') },
        { id: 2, account_id: 2, stage: 'won', amount: 20, updated_at: new Date('2024-06-01T10:00:00Z') },
        { id: 3, account_id: null, stage: 'lost', amount: 5, updated_at: null },
        { id: 3, account_id: 9, stage: 'pending', amount: 1, updated_at: null },
      ])
      const ctx = {
        relation: `"raw"."${staging.name}"`, assetKey: 'raw/orders', warehouse: session, previousRowCount: 2, now: new Date('2024-06-01T12:00:00Z'),
        resolveRelation: (key: string) => (key === 'raw/accounts' ? '"raw"."accounts"' : undefined),
      }
      const outcome = async (check: Parameters<typeof evaluateCheck>[0]) => {
        const { passed, failingRows } = await evaluateCheck(check, ctx)
        return { passed, failingRows }
      }
      assert.deepEqual(await outcome(notNull('account_id')), { passed: false, failingRows: 1 })
      assert.deepEqual(await outcome(notNull('id')), { passed: true, failingRows: 0 })
      assert.equal((await outcome(unique('id'))).passed, false)
      assert.deepEqual(await outcome(acceptedValues('stage', ['open', 'won', 'lost'])), { passed: false, failingRows: 1 })
      assert.deepEqual(await outcome(relationships('account_id', { to: 'raw/accounts', field: 'id' })), { passed: false, failingRows: 1 })
      assert.equal((await outcome(rowCount({ min: 1, max: 10 }))).passed, true)
      assert.equal((await outcome(rowCount({ min: 5 }))).passed, false)
      assert.equal((await outcome(volumeChange({ maxIncrease: 0.5 }))).passed, false)
      assert.equal((await outcome(recency('updated_at', '2h'))).passed, true)
      assert.equal((await outcome(recency('updated_at', '30m'))).passed, false)
      assert.equal((await outcome(schema({ id: 'bigint', stage: 'varchar', amount: 'double' }))).passed, true)
      assert.equal((await outcome(customSql('no_negative', 'select * from {{ this }} where amount < 0'))).passed, true)
    })

    test('a failed audit drops staging and leaves the target untouched', async (t) => {
      const { warehouse, session } = await setup(t)
      await publishFirst(warehouse, session)
      const staging = warehouse.stagingRelation(orders, 'run-2', null)
      await session.createFromSelect(staging, 'select 1 as id union all select null')
      const [check] = await session.query(`select count(*) as nulls from raw.${staging.name} where id is null`)
      assert.equal(Number(check!.nulls), 1) // the not-null check fails: the step drops staging
      await session.drop(staging)
      assert.equal(await session.relationExists(staging), false)
      assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])
      assert.deepEqual(await warehouse.publications('run-2'), [])
    })

    test('a process killed between stage and publish leaves the target unchanged; its staging is found and dropped', async (t) => {
      const harness = await create()
      let warehouse = await harness.open()
      t.after(async () => { await warehouse.close(); await harness.cleanup() })
      let session = await warehouse.session()
      await publishFirst(warehouse, session)
      await warehouse.close() // DuckDB allows one process per file

      const staging = warehouse.stagingRelation(orders, 'run-2', null)
      const script = join(await root, `crash-${Math.random().toString(16).slice(2)}.mts`)
      await writeFile(script, `
        const m = await import(${JSON.stringify(harness.child.module)})
        const warehouse = await ${harness.child.expression}
        const session = await warehouse.session()
        await session.createFromSelect(${JSON.stringify(staging)}, 'select 2 as id')
        console.log('staged')
        setInterval(() => undefined, 1000)
      `)
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] })
      const exited = new Promise((resolve) => child.on('exit', resolve))
      t.after(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } })
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('staged')) resolve() })
        child.on('exit', (code) => reject(new Error(`the staging process exited early with ${code}`)))
      })
      child.kill('SIGKILL')
      await exited

      warehouse = await harness.open()
      session = await warehouse.session()
      assert.deepEqual(await session.query('select * from raw.orders'), [{ id: 1 }])
      assert.deepEqual(await warehouse.publications('run-2'), [])
      assert.equal(await session.relationExists(staging), true)
      await session.drop(staging)
      assert.equal(await session.relationExists(staging), false)
    })
  })
}
