import Database from 'better-sqlite3'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { applyMigrations, loadMigrations } from '../src/store/sqlite/migrations.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { storeConformance } from './store-conformance.js'

const root = await mkdtemp(join(tmpdir(), 'tributary-store-'))
after(() => rm(root, { recursive: true, force: true }))

let counter = 0
/** A path for a new store file in its own directory, which open() must create. */
const freshPath = () => join(root, `case-${++counter}`, 'store.db')

storeConformance('sqlite', async (options) => {
  const store = await SqliteStore.open(freshPath(), options)
  return { store, cleanup: () => store.close() }
})

storeConformance('sqlite :memory:', async (options) => {
  const store = await SqliteStore.open(':memory:', options)
  return { store, cleanup: () => store.close() }
})

const migrateScript = fileURLToPath(new URL('./helpers/migrate-store.ts', import.meta.url))

function runMigrateProcess(path: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', migrateScript, path], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

describe('sqlite store', () => {
  test('two processes migrating the same new file at once both succeed, applying each version once', async () => {
    const path = freshPath()
    const results = await Promise.all([runMigrateProcess(path), runMigrateProcess(path)])
    for (const result of results) assert.equal(result.code, 0, result.stderr)
    const db = new Database(path, { readonly: true })
    try {
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
      assert.deepEqual(versions, loadMigrations().map((migration) => migration.version))
      assert.equal(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'runs'`).pluck().get(), 1)
    } finally {
      db.close()
    }
  })

  test('a file that is not a SQLite database reports TRB4001 naming the file', async () => {
    const path = freshPath()
    await SqliteStore.open(path).then((store) => store.close())
    await writeFile(path, Buffer.from('this is not a database, just some garbage bytes '.repeat(40)))
    await assert.rejects(SqliteStore.open(path).then((store) => store.migrate()), (error: any) => {
      assert.equal(error.code, 'TRB4001')
      assert.ok(error.message.includes(path))
      assert.match(error.hint, /aside/)
      assert.equal(error.context.file, path)
      return true
    })
  })

  test('a store from a newer Tributary reports TRB4002', async () => {
    const path = freshPath()
    const store = await SqliteStore.open(path)
    await store.migrate()
    await store.close()
    const db = new Database(path)
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(9999, 0)
    db.close()
    const again = await SqliteStore.open(path)
    try {
      await assert.rejects(again.migrate(), (error: any) => error.code === 'TRB4002' && /upgrade/i.test(error.hint))
    } finally {
      await again.close()
    }
  })

  test('data survives closing and reopening the file', async () => {
    const path = freshPath()
    const store = await SqliteStore.open(path)
    await store.migrate()
    await store.createRun({ id: 'r1', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(1000), steps: [{ assetKey: 'a', partition: 'p1' }] })
    const written = await store.completeStep({
      step: { runId: 'r1', assetKey: 'a', partition: 'p1', status: 'succeeded', at: new Date(2000) },
      materialization: {
        assetKey: 'a', partition: 'p1', runId: 'r1', codeVersion: 'c', dataVersion: 'd', inputVersions: {}, rowCount: null,
        columns: null, durationMs: 5, createdAt: new Date(1500),
      },
    })
    await store.close()

    const reopened = await SqliteStore.open(path)
    try {
      await reopened.migrate()
      assert.equal((await reopened.getRun('r1'))?.stepCount, 1)
      assert.deepEqual(await reopened.listMaterializations('a'), [written])
      assert.equal((await reopened.assetStates())[0]?.lastStep?.status, 'succeeded')
      assert.equal((await reopened.listEvents()).length, 3)
    } finally {
      await reopened.close()
    }
  })

  test('assetStates reads 10,000 assets in one query', async () => {
    const store = await SqliteStore.open(':memory:')
    try {
      await store.migrate()
      const steps = Array.from({ length: 10_000 }, (_, i) => ({ assetKey: `asset_${i}`, partition: null }))
      await store.createRun({ id: 'big', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(0), steps })
      const started = performance.now()
      const states = await store.assetStates()
      const elapsed = performance.now() - started
      assert.equal(states.length, 10_000)
      // Generous bound so a loaded CI machine does not flake; the target is well under 100 ms.
      assert.ok(elapsed < 1000, `assetStates took ${elapsed.toFixed(0)} ms`)
    } finally {
      await store.close()
    }
  })
})

describe('sqlite store: observation history migration', () => {
  test('0010 drops looks that repeat the one before them, keeping every change', async () => {
    const path = freshPath()
    mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path)
    try {
      const all = loadMigrations()
      applyMigrations(db, path, all.filter((m) => m.version < 10))
      const insert = db.prepare(`INSERT INTO observations (source_key, observed_at, source_exists, last_updated, data_version, row_count, schema_fingerprint, columns)
        VALUES (?, ?, 1, ?, ?, 5, 'fp', null)`)
      // v1 looked at 3 times, v2 twice, v1 again (a rollback), and another source once.
      for (const [key, at, version] of [['s', 1, 'v1'], ['s', 2, 'v1'], ['s', 3, 'v1'], ['s', 4, 'v2'], ['s', 5, 'v2'], ['s', 6, 'v1'], ['t', 2, 'v1']] as const) {
        insert.run(key, at, version === 'v1' ? 100 : 200, version)
      }
      applyMigrations(db, path, all)
      const rows = db.prepare(`SELECT source_key || '@' || observed_at || ':' || data_version FROM observations ORDER BY source_key, observed_at`).pluck().all()
      assert.deepEqual(rows, ['s@1:v1', 's@4:v2', 's@6:v1', 't@2:v1'])
    } finally {
      db.close()
    }
  })
})
