// `tributary migrate-store --to postgres://…`: a project's SQLite history copied into an empty
// PostgreSQL store reads back the same through the Store interface; switched to PostgreSQL, the
// project carries on where it was (up to date is still up to date, new ids follow the copied
// ones); running it again does nothing; a target with other history is refused. Real SQLite,
// real PostgreSQL (a database per test), real CLI processes.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { postgres } from '../src/store/store-config.js'
import type { Store } from '../src/store/store.js'
import { cli } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const config = (store: string) => `
import { defineAsset, defineProject, notNull, postgres, sqlAsset, sqlite } from 'tributary-orchestrator'
const orders = defineAsset({
  key: 'raw/orders',
  async materialize() {
    if (process.env.TRB_TEST_FAIL === '1') throw new Error('the export is late')
    return [{ id: 1, amount: 10 }, { id: 2, amount: 20 }]
  },
})
export default defineProject({
  name: 'moving',
  assets: [orders, sqlAsset({ key: 'marts/totals', sql: 'select sum(amount) as amount from raw.orders', checks: [notNull('amount')] })],
  store: ${store},
})
`

/** Everything the Store interface says about the project's history. */
async function history(store: Store) {
  const runs = await store.listRuns({ limit: 100 })
  return {
    runs,
    steps: await Promise.all(runs.map((run) => store.listSteps(run.id))),
    materializations: [...(await store.listMaterializations('raw/orders', { limit: 100 })), ...(await store.listMaterializations('marts/totals', { limit: 100 }))],
    events: await store.listEvents({ afterId: 0, limit: 10_000 }),
    logs: await Promise.all(runs.map((run) => store.listLogs(run.id))),
  }
}

describe('tributary migrate-store', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('copies the SQLite history into an empty PostgreSQL store; the project carries on there; a second copy does nothing', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir('migrate-')
    cleanups.unshift(temp.cleanup)
    await writeFile(join(temp.dir, 'tributary.config.ts'), config('sqlite()'))
    // History: a failed run, then two good ones (the second finds marts/totals up to date).
    assert.equal(cli(['materialize', '--project', temp.dir], { env: { TRB_TEST_FAIL: '1' } }).code, 1)
    for (let i = 0; i < 2; i++) assert.equal(cli(['materialize', '--project', temp.dir]).code, 0)
    const sqlite = await SqliteStore.open(join(temp.dir, '.tributary', 'metadata.sqlite'))
    const before = await history(sqlite)
    await sqlite.close()
    assert.equal(before.runs.length, 3)

    const copy = cli(['migrate-store', '--to', database.url, '--project', temp.dir, '--json'])
    assert.equal(copy.code, 0, copy.stderr)
    const summary = JSON.parse(copy.stdout) as { alreadyCopied: boolean; rows: number; tables: { table: string; rows: number }[]; skipped: string[]; to: string }
    assert.equal(summary.alreadyCopied, false)
    assert.deepEqual(summary.skipped, [], 'every SQLite table has its PostgreSQL twin')
    assert.equal(summary.tables.find((t) => t.table === 'runs')?.rows, 3)
    assert.equal(summary.tables.find((t) => t.table === 'events')?.rows, before.events.length)
    assert.equal(summary.rows, summary.tables.reduce((sum, t) => sum + t.rows, 0))

    const copied = await PostgresStore.open(postgres({ url: database.url }))
    cleanups.unshift(() => copied.close())
    assert.deepEqual(await history(copied), before, 'the same history through the Store interface')

    // Switched to PostgreSQL: up to date stays up to date, and new events follow the copied ids.
    await writeFile(join(temp.dir, 'tributary.config.ts'), config('postgres({ url: process.env.TRB_TEST_STORE_URL })'))
    const env = { TRB_TEST_STORE_URL: database.url }
    const status = cli(['status', '--project', temp.dir, '--json'], { env })
    assert.deepEqual((JSON.parse(status.stdout) as { key: string; status: string }[]).map((s) => [s.key, s.status]), [['raw/orders', 'fresh'], ['marts/totals', 'fresh']])
    const again = cli(['materialize', '--project', temp.dir, '--json'], { env })
    assert.equal(again.code, 0, again.stderr)
    const runs = await copied.listRuns({ limit: 10 })
    assert.equal(runs.length, 4)
    // As on SQLite: raw/orders (no inputs) runs again; marts/totals is up to date since a run copied from SQLite.
    const totals = (await copied.listSteps(runs[0]!.id)).find((s) => s.assetKey === 'marts/totals')
    assert.match(totals?.reason ?? '', new RegExp(`^up to date: code and 1 input version unchanged since run ${before.runs[1]!.id}$`), 'up to date after the move')
    const newest = await copied.listEvents({ afterId: before.events.at(-1)!.id, limit: 100 })
    assert.ok(newest.length > 0 && newest.every((e) => e.runId === runs[0]!.id), 'the new run\'s events come after the copied ids')

    // Again: this history is already there.
    const twice = cli(['migrate-store', '--to', database.url, '--project', temp.dir], { env })
    assert.equal(twice.code, 0, twice.stderr)
    assert.match(twice.stdout, /already holds this history/)
    assert.equal((await copied.listRuns({ limit: 10 })).length, 4)
  })

  test('a target holding other history is refused (TRB7022) and left as it was; no SQLite store is TRB7023', async () => {
    const [database, other] = [await createDatabase(), await tempDir('migrate-other-')]
    cleanups.push(database.drop)
    cleanups.unshift(other.cleanup)
    // Another project's history in the target.
    await writeFile(join(other.dir, 'tributary.config.ts'), config('postgres({ url: process.env.TRB_TEST_STORE_URL })'))
    assert.equal(cli(['materialize', '--project', other.dir], { env: { TRB_TEST_STORE_URL: database.url } }).code, 0)

    const temp = await tempDir('migrate-refused-')
    cleanups.unshift(temp.cleanup)
    await writeFile(join(temp.dir, 'tributary.config.ts'), config('sqlite()'))
    const missing = cli(['migrate-store', '--to', database.url, '--project', temp.dir])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /TRB7023 there is no SQLite history to copy/)

    assert.equal(cli(['materialize', '--project', temp.dir]).code, 0)
    const refused = cli(['migrate-store', '--to', database.url.replace('postgres://postgres@', 'postgres://postgres:s3cret@'), '--project', temp.dir])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /TRB7022 the PostgreSQL store .* already holds history \(.*1 runs.*\); copying would mix two histories/)
    assert.doesNotMatch(refused.stderr, /s3cret/)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      assert.deepEqual((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM runs')).rows, [{ n: 1 }], 'the target keeps only its own history')
    } finally {
      await client.end()
    }
  })
})
