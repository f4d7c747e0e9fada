// A missing or foreign warehouse and an emptied or damaged store are found when they are opened,
// each with its own code and what to do; nothing silently starts over.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { open, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { cli } from './helpers/cli.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'

export const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }, { id: 2 }] } })
export const total = sqlAsset({ key: 'marts/total', sql: 'select count(*) as n from raw.base' })
export default defineProject({ name: 'open-checks', assets: [base, total] })
`

async function withBuiltProject(body: (dir: string, files: { warehouse: string; store: string }) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir('open-checks-')
  try {
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const built = cli(['materialize', '--project', dir])
    assert.equal(built.code, 0, built.stderr)
    await body(dir, { warehouse: join(dir, '.tributary/warehouse.duckdb'), store: join(dir, '.tributary/metadata.sqlite') })
  } finally {
    await cleanup()
  }
}

function errorOf(result: ReturnType<typeof cli>): { code: string; message: string; hint?: string } {
  return (JSON.parse(result.stdout) as { error: { code: string; message: string; hint?: string } }).error
}

describe('warehouse checks at open', () => {
  test('a deleted warehouse: ready is not ready (TRB5011), materialize refuses, and no empty warehouse is made', async () => {
    await withBuiltProject(async (dir, files) => {
      await rm(files.warehouse)
      const ready = cli(['ready', 'marts/total', '--project', dir])
      assert.notEqual(ready.code, 0, 'ready must not say ready')
      assert.match(ready.stderr, /TRB5011/)
      assert.match(ready.stderr, /warehouse\.duckdb is missing, but the metadata store records 2 published asset\(s\) in it \(marts\/total, raw\/base\)/)
      assert.match(ready.stderr, /hint: Restore .*warehouse\.duckdb from a backup/)
      const status = cli(['status', '--project', dir, '--json'])
      assert.equal(errorOf(status).code, 'TRB5011')
      const materialize = cli(['materialize', '--project', dir, '--json'])
      assert.equal(materialize.code, 3)
      assert.equal(errorOf(materialize).code, 'TRB5011')
      assert.equal(existsSync(files.warehouse), false, 'no new, empty warehouse was created')
    })
  })

  test('an empty warehouse file nothing was published to (a process killed as it first opened it) is created again; one the store records publications to is TRB5012', async () => {
    const { dir, cleanup } = await tempDir('open-checks-empty-')
    try {
      await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
      const warehouse = join(dir, '.tributary/warehouse.duckdb')
      const first = cli(['status', '--project', dir])
      assert.equal(first.code, 0, first.stderr)
      await writeFile(warehouse, '')
      const built = cli(['materialize', '--project', dir])
      assert.equal(built.code, 0, built.stderr)
      assert.ok(statSync(warehouse).size > 0, 'a DuckDB database now')
      await truncate(warehouse, 0)
      const refused = cli(['materialize', '--project', dir, '--json'])
      assert.equal(errorOf(refused).code, 'TRB5012')
      assert.match(errorOf(refused).message, /is not a DuckDB database: it is empty \(0 bytes\)/)
    } finally {
      await cleanup()
    }
  })

  test('a warehouse file that is not a DuckDB database is TRB5012', async () => {
    await withBuiltProject(async (dir, files) => {
      await writeFile(files.warehouse, 'id,name\n1,a\n'.repeat(100))
      const text = cli(['materialize', '--project', dir, '--json'])
      assert.equal(errorOf(text).code, 'TRB5012')
      assert.match(errorOf(text).message, /is not a DuckDB database: its header has no DuckDB signature/)
      await rm(files.warehouse)
      const sqlite = await SqliteStore.open(files.warehouse)
      await sqlite.close()
      const wrongKind = cli(['materialize', '--project', dir, '--json'])
      assert.match(errorOf(wrongKind).message, /is not a DuckDB database: it is a SQLite database/)
    })
  })

  test('a DuckDB database Tributary never published to, where the store says it did, is TRB5012', async () => {
    await withBuiltProject(async (dir, files) => {
      await rm(files.warehouse)
      const instance = await DuckDBInstance.create(files.warehouse)
      const connection = await instance.connect()
      await connection.run('create table someone_elses (x int)')
      connection.closeSync()
      instance.closeSync()
      const result = cli(['materialize', '--project', dir, '--json'])
      assert.equal(errorOf(result).code, 'TRB5012')
      assert.match(errorOf(result).message, /a DuckDB database that Tributary never published to/)
      assert.match(errorOf(result).hint ?? '', /Point the warehouse path/)
    })
  })
})

describe('store checks at open', () => {
  test('an emptied (0-byte) store is TRB4010, and is left as it is, not silently made new', async () => {
    await withBuiltProject(async (dir, files) => {
      await truncate(files.store, 0)
      const status = cli(['status', '--project', dir])
      assert.equal(status.code, 3, status.stderr)
      assert.match(status.stderr, /TRB4010 .*metadata\.sqlite is empty \(0 bytes\): its history .* is gone/)
      assert.match(status.stderr, /hint: Tributary will not start over on its own/)
      assert.equal(statSync(files.store).size, 0)
      assert.equal(cli(['materialize', '--project', dir]).code, 3, 'materialize refuses too')
    })
  })

  test('4 KiB of garbage in the middle of the store is found at open (TRB4001), even by status', async () => {
    await withBuiltProject(async (dir, files) => {
      // Grow the store with history status never reads (step logs), so the damage lands there.
      const store = await SqliteStore.open(files.store)
      const runId = (await store.listRuns({ limit: 1 }))[0]!.id
      for (let i = 0; i < 400; i++) await store.appendLog({ runId, assetKey: 'raw/base', partition: null, level: 'info', message: `line ${i} ${'x'.repeat(500)}`, at: new Date() })
      await store.close()
      const pages = Math.floor(statSync(files.store).size / 4096)
      assert.ok(pages > 40, `the store has ${pages} pages`)
      const handle = await open(files.store, 'r+')
      await handle.write(randomBytes(4096), 0, 4096, Math.floor(pages / 2) * 4096)
      await handle.close()
      const status = cli(['status', '--project', dir, '--json'])
      assert.equal(status.code, 3, status.stdout)
      const error = errorOf(status)
      assert.equal(error.code, 'TRB4001')
      assert.match(error.message, /metadata\.sqlite is damaged/)
      assert.match(error.hint ?? '', /Restore .* from a backup/)
    })
  })
})
