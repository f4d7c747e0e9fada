// A step's timeout or its run's cancel stops the step's statement in the warehouse (DuckDB's
// interrupt, PostgreSQL's cancel), not only the step's bookkeeping: the run ends well before the
// statement would have, no statement is left running, nothing is published, the warehouse is usable at once.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { Tributary } from '../src/instance/tributary.js'
import { TributaryError } from '../src/model/errors.js'
import { PostgresWarehouse } from '../src/warehouse/postgres/index.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { postgres } from '../src/store/store-config.js'
import type { ProjectSpec } from '../src/model/project.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { poll, runningStep } from './helpers/poll.js'
import { openProject, tempDir } from './helpers/temp-project.js'

// Each would run far longer than the bound below: 30 s of sleep; a cross join of 10^10 rows (about a minute).
const PG_SLOW = 'select 1 as id from pg_sleep(30)'
const DUCKDB_SLOW = 'select sum(a.range * b.range) as total, 1 as id from range(100000) as a, range(100000) as b'
/** How long a stopped step may take to end, counted from the start of the run. */
const BOUND_MS = 10_000

type Spec = Omit<ProjectSpec, 'name'>
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function open(spec: Spec) {
  const p = await openProject(spec)
  cleanups.push(() => p.close())
  return p
}

/** A project on a fresh PostgreSQL warehouse database; `url` to look into it. */
async function onPostgres(assets: Spec['assets']) {
  const database = await createDatabase()
  cleanups.push(database.drop)
  return { url: database.url, ...(await open({ assets, warehouse: postgres({ url: database.url }) })) }
}

const sleeping = (url: string) => query<{ pid: number }>(url, "select pid from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")
const stagingTables = (url: string) => query(url, "select table_name from information_schema.tables where table_name like '__trb_stage_%'")

describe('a timeout or cancel stops the statement in the warehouse', () => {
  test('PostgreSQL: a SQL asset past its timeout ends TRB3002 at once, its pg_sleep canceled, nothing published; the next run succeeds', async () => {
    const slow = sqlAsset({ key: 'marts/slow', timeout: '1s', sql: PG_SLOW })
    const p = await onPostgres([slow])
    const started = Date.now()
    const result = await p.instance.materialize('marts/slow')
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.equal(result.status, 'failed')
    const [step] = await p.instance.store.listSteps(result.runId)
    assert.equal(step!.error?.code, 'TRB3002')
    // The cancel has been answered by the time the step ended: no wait for the backend.
    assert.deepEqual(await sleeping(p.url), [], 'no pg_sleep left running')
    assert.deepEqual(await stagingTables(p.url), [])
    assert.deepEqual(await query(p.url, "select 1 from information_schema.tables where table_schema = 'marts'"), [], 'nothing published')
    assert.deepEqual(await query(p.url, 'select 1 from _tributary.publications'), [])
  })

  test('PostgreSQL: ctx.warehouse.query past the timeout is canceled too, and a run right after uses the warehouse', async () => {
    const slow = defineAsset({ key: 'raw/slow', timeout: '1s', async materialize(_, ctx) {
      await ctx.warehouse.query('select pg_sleep(30)')
      return [{ id: 1 }]
    } })
    const quick = defineAsset({ key: 'raw/quick', async materialize() { return [{ id: 2 }] } })
    const p = await onPostgres([slow, quick])
    const started = Date.now()
    const result = await p.instance.materialize('raw/slow')
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.equal((await p.instance.store.listSteps(result.runId))[0]!.error?.code, 'TRB3002')
    assert.deepEqual(await sleeping(p.url), [])
    assert.equal((await p.instance.materialize('raw/quick')).status, 'succeeded')
    assert.deepEqual(await query(p.url, 'select id from raw.quick'), [{ id: '2' }])
    assert.deepEqual(await stagingTables(p.url), [])
  })

  test("PostgreSQL, worker processes: ctx.warehouse.query on a worker's own connection is canceled at the timeout, long before the kill grace", async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const project = await tempDir('pg-interrupt-')
    cleanups.push(project.cleanup)
    await writeFile(join(project.dir, 'tributary.config.ts'), `
import { defineAsset, defineProject, postgres } from 'tributary-orchestrator'
export default defineProject({ name: 'pg-interrupt', warehouse: postgres({ url: ${JSON.stringify(database.url)} }), assets: [
  defineAsset({ key: 'raw/slow', timeout: '3s', async materialize(_inputs, ctx) {
    ctx.log.info('querying')
    await ctx.warehouse.query('select pg_sleep(30)')
    return [{ id: 1 }]
  } }),
] })
`)
    // A grace longer than the bound: only the cancel of the worker's statement ends the step in time.
    const instance = await Tributary.open({ projectDir: project.dir, executor: 'pool', settings: { heartbeatMs: 50, readinessTimeoutMs: 0 }, workers: { graceMs: 20_000 } })
    cleanups.push(() => instance.close())
    const started = Date.now()
    const result = await instance.materialize('raw/slow')
    // Without the cancel: the statement's 30 s, or the timeout plus the 20 s grace.
    assert.ok(Date.now() - started < 15_000, `ended after ${Date.now() - started} ms`)
    assert.equal((await instance.store.listSteps(result.runId))[0]!.error?.code, 'TRB3002', 'the code stopped, its worker was not killed (TRB3033)')
    assert.ok((await instance.store.listLogs(result.runId)).some((l) => l.message === 'querying'), 'the statement was sent before the timeout')
    assert.deepEqual(await sleeping(database.url), [])
    assert.deepEqual(await stagingTables(database.url), [])
  })

  test('PostgreSQL: a run canceled while its statement runs ends canceled with the statement gone', async () => {
    const slow = sqlAsset({ key: 'marts/slow', sql: PG_SLOW })
    const p = await onPostgres([slow])
    const cancel = new AbortController()
    const started = Date.now()
    const run = p.instance.materialize('marts/slow', { signal: cancel.signal })
    // Canceled once PostgreSQL runs the statement, as the server shows it.
    await runningStep(p.instance.store, 'marts/slow')
    await poll('pg_sleep to show in pg_stat_activity', async () => ((await sleeping(p.url)).length > 0 ? true : undefined))
    cancel.abort()
    const result = await run
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.equal(result.status, 'canceled')
    assert.equal((await p.instance.store.listSteps(result.runId))[0]!.status, 'canceled')
    assert.deepEqual(await sleeping(p.url), [])
    assert.deepEqual(await stagingTables(p.url), [])
  })

  test('DuckDB: a heavy SQL asset past its timeout ends TRB3002 at once, nothing published; the next run succeeds at once', async () => {
    const slow = sqlAsset({ key: 'marts/slow', timeout: '1s', sql: DUCKDB_SLOW })
    const quick = sqlAsset({ key: 'marts/quick', sql: 'select 7 as id' })
    const p = await open({ assets: [slow, quick] })
    const started = Date.now()
    const result = await p.instance.materialize('marts/slow')
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.equal(result.status, 'failed')
    assert.equal((await p.instance.store.listSteps(result.runId))[0]!.error?.code, 'TRB3002')
    const session = await (await p.instance.warehouse()).session()
    try {
      assert.equal(await session.relationExists({ schema: 'marts', name: 'slow' }), false, 'nothing published')
      assert.deepEqual(await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'"), [])
    } finally {
      await session.close()
    }
    const again = Date.now()
    assert.equal((await p.instance.materialize('marts/quick')).status, 'succeeded')
    assert.ok(Date.now() - again < BOUND_MS, 'the warehouse was not held by the stopped statement')
  })

  test('DuckDB: a run canceled while its heavy statement runs ends canceled at once', async () => {
    const slow = sqlAsset({ key: 'marts/slow', sql: DUCKDB_SLOW })
    const p = await open({ assets: [slow] })
    const cancel = new AbortController()
    const started = Date.now()
    const run = p.instance.materialize('marts/slow', { signal: cancel.signal })
    await runningStep(p.instance.store, 'marts/slow')
    cancel.abort()
    const result = await run
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.equal(result.status, 'canceled')
    const session = await (await p.instance.warehouse()).session()
    try {
      assert.equal(await session.relationExists({ schema: 'marts', name: 'slow' }), false)
      assert.deepEqual(await session.query('select 1 as ok'), [{ ok: 1 }])
    } finally {
      await session.close()
    }
  })
})

describe('WarehouseSession.interrupt on PostgreSQL', () => {
  test('a publish waiting on a lock is canceled and rolls back: target and ledger as they were, later calls refused (TRB5030) but drop; a new session publishes', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: database.url }))
    cleanups.push(() => warehouse.close())
    const orders = { schema: 'raw', name: 'orders' }
    const staging = warehouse.stagingRelation(orders, 'run-2', null)
    const meta = (runId: string) => ({ assetKey: 'raw/orders', partition: null, runId, dataVersion: `v-${runId}`, rowCount: 1 })
    const first = await warehouse.session()
    await first.createFromSelect(staging, 'select 1 as id')
    await first.publish(staging, orders, meta('run-1'))
    await first.close()

    // Another transaction holds the target: the publish's drop of it waits on the lock.
    const holder = new pg.Client({ connectionString: database.url })
    await holder.connect()
    cleanups.push(() => holder.end())
    await holder.query('begin')
    await holder.query('lock table raw.orders in access exclusive mode')
    const session = await warehouse.session()
    await session.createFromSelect(staging, 'select 2 as id')
    const publishing = session.publish(staging, orders, meta('run-2'))
    publishing.catch(() => undefined)
    await poll('the publish to wait on the lock', async () => {
      const rows = await query(database.url, "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")
      return rows.length > 0 ? true : undefined
    })
    await session.interrupt()
    const error = await publishing.then(() => undefined, (e: unknown) => e)
    assert.ok(error instanceof TributaryError && error.code === 'TRB5030', String(error))
    assert.ok(error.cause instanceof TributaryError && /canceling statement/.test(error.cause.message), 'the running statement was canceled, not refused before it ran')
    assert.deepEqual(await query(database.url, "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"), [], 'nothing waits any more')
    await assert.rejects(session.query('select 1'), (e: unknown) => e instanceof TributaryError && e.code === 'TRB5030')
    await holder.query('commit')
    assert.deepEqual(await query(database.url, 'select id from raw.orders'), [{ id: 1 }], 'the target is as it was')
    assert.deepEqual((await warehouse.publications('run-2')), [], 'no ledger row')
    await session.drop(staging)
    await session.close()

    const next = await warehouse.session()
    assert.equal(await next.relationExists(staging), false, 'the interrupted session still dropped its staging')
    await next.createFromSelect(staging, 'select 3 as id')
    await next.publish(staging, orders, meta('run-3'))
    assert.deepEqual(await next.query('select id from raw.orders'), [{ id: 3 }])
    await next.close()
  })

  test("a long pg_sleep is canceled by the protocol's cancel request (the session's process id and secret key), sent through a proxy as through a pooler; no pg_cancel_backend", async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const proxy = await recordingProxy(database.url)
    cleanups.push(proxy.close)
    const warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: proxy.url }))
    cleanups.push(() => warehouse.close())
    const session = await warehouse.session()
    const [{ pid }] = (await session.query('select pg_backend_pid() as pid')) as [{ pid: number }]
    const started = Date.now()
    const sleep = session.query('select pg_sleep(30)').then(() => undefined, (e: unknown) => e)
    await poll('pg_sleep to show in pg_stat_activity', async () => ((await sleeping(database.url)).length > 0 ? true : undefined))
    await session.interrupt()
    const error = await sleep
    assert.ok(Date.now() - started < BOUND_MS, `ended after ${Date.now() - started} ms`)
    assert.ok(error instanceof TributaryError && error.code === 'TRB5030', String(error))
    assert.match(String((error.cause as Error | undefined)?.message), /canceling statement due to user request/)
    // The session's connection stays open (idle, its last query shown), its statement no longer active.
    assert.deepEqual(await query(database.url, "select 1 from pg_stat_activity where pid = $1 and state <> 'idle'", [pid]), [], 'no pg_sleep left running')
    await session.close()

    const cancels = proxy.connections.filter((sent) => sent().length >= 16 && sent().readInt32BE(4) === CANCEL_REQUEST_CODE)
    // One, or a few more when the statement's end took longer than the first resend's 50 ms to arrive.
    assert.ok(cancels.length >= 1, 'the cancel went as a cancel request')
    for (const sent of cancels) {
      assert.equal(sent().length, 16, 'a cancel request and nothing else on its connection')
      assert.equal(sent().readInt32BE(8), pid, "the request names the session's server process")
    }
    assert.ok(proxy.connections.every((sent) => !sent().toString('latin1').includes('pg_cancel_backend')), 'no pg_cancel_backend sent')
  })
})

// The code a CancelRequest carries in place of a protocol version (1234 << 16 | 5678).
const CANCEL_REQUEST_CODE = 80877102

/** A TCP proxy in front of the server of `url` (as a pooler sits): `url` through it, and what each client connection sent. */
async function recordingProxy(target: string) {
  const upstream = new URL(target)
  const connections: (() => Buffer)[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const chunks: Buffer[] = []
    connections.push(() => Buffer.concat(chunks))
    const server = connect(Number(upstream.port || 5432), upstream.hostname)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
    client.on('data', (chunk: Buffer) => chunks.push(chunk))
    client.pipe(server)
    server.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as AddressInfo).port)
  return {
    url: url.toString(),
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
