// `tributary status`, `ready` and `runs` from another machine: a checkout of the project and the
// store's URL in the environment are enough. They read the PostgreSQL store and never need the
// warehouse: not when it cannot be reached from there, not when it is a DuckDB file on the first
// machine. A run whose process died is left for a process that reaches the warehouse to settle.
// Real PostgreSQL (a database per test) and real CLI processes; two directories stand for two machines.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import { postgres } from '../src/store/store-config.js'
import { cli } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const config = (warehouse: string) => `
import { defineProject, duckdb, postgres, sqlAsset } from 'tributary-orchestrator'
export default defineProject({
  name: 'anywhere',
  assets: [sqlAsset({ key: 'marts/answer', sql: 'select 42 as answer', owner: 'data-team' })],
  store: postgres({ url: process.env.TRB_TEST_STORE_URL }),
  warehouse: ${warehouse},
})
`

describe('read commands from any machine with the store URL', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  async function machines(warehouse: string) {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const [a, b] = [await tempDir('anywhere-a-'), await tempDir('anywhere-b-')]
    cleanups.unshift(a.cleanup, b.cleanup)
    for (const dir of [a.dir, b.dir]) await writeFile(join(dir, 'tributary.config.ts'), config(warehouse))
    // A run whose process died on another host an hour ago, never settled.
    const store = await PostgresStore.open(postgres({ url: database.url }))
    await store.migrate()
    const dead = async () => {
      await store.createRun({ id: 'run-dead', selection: 'marts/answer', trigger: 'cli', pid: 4_000_001, host: 'gone.example', startedAt: new Date(Date.now() - 3_600_000), steps: [{ assetKey: 'marts/answer', partition: null }] })
    }
    cleanups.unshift(() => store.close())
    return { url: database.url, a: a.dir, b: b.dir, store, dead }
  }

  test('PostgreSQL warehouse out of reach from the second machine: status, ready and runs answer from the store; the dead run waits for a process that reaches the warehouse', async () => {
    const m = await machines('postgres({ url: process.env.TRB_TEST_WAREHOUSE_URL })')
    const reachable = { TRB_TEST_STORE_URL: m.url, TRB_TEST_WAREHOUSE_URL: m.url }
    const built = cli(['materialize', '--project', m.a], { env: reachable })
    assert.equal(built.code, 0, built.stderr)
    await m.dead()

    // A port nothing listens on: the warehouse's server cannot be reached from this machine.
    const elsewhere = new URL(m.url)
    elsewhere.port = '1'
    const away = { TRB_TEST_STORE_URL: m.url, TRB_TEST_WAREHOUSE_URL: elsewhere.href }
    const status = cli(['status', '--project', m.b, '--json'], { env: away })
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual((JSON.parse(status.stdout) as { key: string; status: string }[]).map((s) => [s.key, s.status]), [['marts/answer', 'fresh']])
    const ready = cli(['ready', 'marts/answer', '--project', m.b], { env: away })
    assert.equal(ready.code, 0, ready.stdout + ready.stderr)
    assert.match(ready.stdout, /✓ ready +marts\/answer is fresh/)
    const runs = cli(['runs', '--project', m.b, '--json'], { env: away })
    assert.equal(runs.code, 0, runs.stderr)
    assert.deepEqual((JSON.parse(runs.stdout) as { id: string; status: string }[]).map((r) => r.status).sort(), ['running', 'succeeded'], 'the dead run is not settled without the warehouse')

    // Where the warehouse is reachable, the next reader settles it.
    const settled = cli(['runs', '--project', m.b, '--json'], { env: reachable })
    assert.equal(settled.code, 0, settled.stderr)
    assert.equal((JSON.parse(settled.stdout) as { id: string; status: string }[]).find((r) => r.id === 'run-dead')?.status, 'failed')
  })

  test('DuckDB warehouse on the first machine: the second reads status, ready and runs without a warehouse file, and makes none', async () => {
    const m = await machines('duckdb()')
    const env = { TRB_TEST_STORE_URL: m.url }
    const built = cli(['materialize', '--project', m.a], { env })
    assert.equal(built.code, 0, built.stderr)
    assert.equal(existsSync(join(m.a, '.tributary', 'warehouse.duckdb')), true)
    await m.dead()

    const status = cli(['status', '--project', m.b, '--json'], { env })
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual((JSON.parse(status.stdout) as { key: string; status: string }[]).map((s) => [s.key, s.status]), [['marts/answer', 'fresh']])
    assert.equal(cli(['ready', 'marts/answer', '--project', m.b], { env }).code, 0)
    const runs = cli(['runs', '--project', m.b, '--json'], { env })
    assert.equal(runs.code, 0, runs.stderr)
    assert.equal((JSON.parse(runs.stdout) as { id: string; status: string }[]).length, 2)
    assert.equal(existsSync(join(m.b, '.tributary', 'warehouse.duckdb')), false, 'no empty warehouse was made on the second machine')
    // The first machine, beside the file, settles the dead run.
    const settled = cli(['runs', '--project', m.a, '--json'], { env })
    assert.equal((JSON.parse(settled.stdout) as { id: string; status: string }[]).find((r) => r.id === 'run-dead')?.status, 'failed')
  })
})
