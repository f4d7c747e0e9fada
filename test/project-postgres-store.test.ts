// A project whose config says `store: postgres({ url })`: Tributary.open wires the PostgreSQL
// store and automation store instead of metadata.sqlite, and a second instance (another
// process, another machine) sees the same history.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { sqlAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { Tributary } from '../src/instance/tributary.js'
import { postgres } from '../src/store/store-config.js'
import { cli } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50 }

describe('a project on the PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('materialize records runs, steps and materializations in PostgreSQL, and a second instance reads them', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir('pg-store-')
    cleanups.unshift(temp.cleanup)
    const orders = sqlAsset({ key: 'raw/orders', sql: 'select 1 as id, 10 as amount union all select 2, 20' })
    const totals = sqlAsset({ key: 'marts/totals', sql: 'select sum(amount) as amount from raw.orders' })
    const project = defineProject({ name: 'pg-store', assets: [orders, totals], store: postgres({ url: database.url, poolSize: 3 }) })

    const first = await Tributary.open({ projectDir: temp.dir, project, settings: SETTINGS })
    cleanups.unshift(() => first.close())
    assert.equal(first.store.dialect, 'postgres')
    const result = await first.materialize()
    assert.equal(result.status, 'succeeded')
    assert.equal(existsSync(join(temp.dir, '.tributary', 'metadata.sqlite')), false, 'no SQLite store is made beside it')

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ asset_key: string; status: string }>('SELECT asset_key, status FROM steps WHERE run_id = $1 ORDER BY seq', [result.runId])
      assert.deepEqual(rows, [{ asset_key: 'raw/orders', status: 'succeeded' }, { asset_key: 'marts/totals', status: 'succeeded' }])
    } finally {
      await client.end()
    }

    const second = await Tributary.open({ projectDir: temp.dir, project, settings: SETTINGS })
    cleanups.unshift(() => second.close())
    assert.equal((await second.store.getRun(result.runId))?.status, 'succeeded')
    assert.deepEqual((await second.store.listMaterializations('marts/totals')).map((m) => m.runId), [result.runId])

    // The automation store lives in the same database: a tick claimed through one instance is taken for the other.
    const [a, b] = [await first.automation(), await second.automation()]
    assert.equal(await a.claimTick('nightly@1', 'daemon-a', new Date(0)), true)
    assert.equal(await b.claimTick('nightly@1', 'daemon-b', new Date(0)), false)
  })

  test('the CLI reads the URL from the environment: materialize on PostgreSQL; unset, TRB1050; a database that is not there, TRB4020 without the password', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir('pg-cli-')
    cleanups.unshift(temp.cleanup)
    await writeFile(join(temp.dir, 'tributary.config.ts'), `
      import { defineProject, postgres, sqlAsset } from 'tributary-orchestrator'
      export default defineProject({
        name: 'pg-cli',
        assets: [sqlAsset({ key: 'marts/answer', sql: 'select 42 as answer' })],
        store: postgres({ url: process.env.TRB_TEST_STORE_URL }),
      })`)

    const run = cli(['materialize', '--project', temp.dir], { env: { TRB_TEST_STORE_URL: database.url } })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(existsSync(join(temp.dir, '.tributary', 'metadata.sqlite')), false)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ status: string }>('SELECT status FROM runs')
      assert.deepEqual(rows, [{ status: 'succeeded' }])
    } finally {
      await client.end()
    }

    const unset = cli(['status', '--project', temp.dir], { env: { TRB_TEST_STORE_URL: '' } })
    assert.notEqual(unset.code, 0)
    assert.match(unset.stderr, /TRB1050/)

    const missing = cli(['status', '--project', temp.dir], { env: { TRB_TEST_STORE_URL: `${database.url.replace('postgres://postgres@', 'postgres://postgres:t0p-s3cret@')}_missing` } })
    assert.notEqual(missing.code, 0)
    assert.match(missing.stderr, /TRB4020/)
    assert.doesNotMatch(missing.stdout + missing.stderr, /t0p-s3cret/)
  })
})
