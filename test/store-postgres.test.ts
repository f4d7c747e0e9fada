import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadMigrations } from '../src/store/postgres/migrations.js'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import { postgres } from '../src/store/store-config.js'
import { storeConformance } from './store-conformance.js'
import { createDatabase, query } from './helpers/postgres-database.js'

storeConformance('postgres', async (options) => {
  const database = await createDatabase()
  const store = await PostgresStore.open(postgres({ url: database.url, poolSize: 4 }), options)
  return { store, cleanup: async () => { await store.close(); await database.drop() } }
})

const migrateScript = fileURLToPath(new URL('./helpers/migrate-postgres-store.ts', import.meta.url))

function runMigrateProcess(url: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', migrateScript, url], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

describe('postgres store', () => {
  test('two processes migrating the same new database at once both succeed, applying each version once', async () => {
    const database = await createDatabase()
    try {
      const results = await Promise.all([runMigrateProcess(database.url), runMigrateProcess(database.url)])
      for (const result of results) assert.equal(result.code, 0, result.stderr)
      const versions = await query<{ version: number }>(database.url, 'SELECT version FROM schema_migrations ORDER BY version')
      assert.deepEqual(versions.map((row) => row.version), loadMigrations().map((migration) => migration.version))
      assert.equal((await query(database.url, `SELECT 1 FROM pg_tables WHERE tablename = 'runs'`)).length, 1)
    } finally {
      await database.drop()
    }
  })

  test('a store from a newer Tributary reports TRB4002', async () => {
    const database = await createDatabase()
    const store = await PostgresStore.open(postgres({ url: database.url }))
    try {
      await store.migrate()
      await query(database.url, 'INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)')
      await assert.rejects(store.migrate(), (error: any) => error.code === 'TRB4002' && /upgrade/i.test(error.hint))
    } finally {
      await store.close()
      await database.drop()
    }
  })

  test('an unreachable database reports TRB4020 with the password redacted', async () => {
    const url = 'postgres://postgres:s3cret-pw@127.0.0.1:5432/trb_no_such_database'
    await assert.rejects(PostgresStore.open(postgres({ url })), (error: any) => {
      assert.equal(error.code, 'TRB4020')
      assert.match(error.message, /trb_no_such_database/)
      assert.doesNotMatch(JSON.stringify({ message: error.message, hint: error.hint, context: error.context }), /s3cret-pw/)
      return true
    })
  })

  test('a live tail is woken by LISTEN/NOTIFY when another connection appends events', async () => {
    const database = await createDatabase()
    const config = postgres({ url: database.url })
    const [tail, writer] = [await PostgresStore.open(config), await PostgresStore.open(config)]
    try {
      await tail.migrate()
      const from = await tail.lastEventId()
      const woken = new Promise<void>((resolve) => void tail.watchEvents(resolve))
      // Wait for the LISTEN to be in place before writing, so the notification cannot be missed.
      await tail.watchEvents(() => {})
      await writer.createRun({ id: 'r1', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(1000), steps: [] })
      await woken
      assert.deepEqual((await tail.listEvents({ afterId: from })).map((event) => event.type), ['run_started'])
    } finally {
      await tail.close()
      await writer.close()
      await database.drop()
    }
  })
  test('a tail reading "events after the last id it saw" misses none while two processes write at once', async () => {
    const database = await createDatabase()
    const config = postgres({ url: database.url, poolSize: 6 })
    const [a, b, reader] = [await PostgresStore.open(config), await PostgresStore.open(config), await PostgresStore.open(config)]
    try {
      await a.migrate()
      await a.createRun({ id: 'r', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(0), steps: [] })
      const seen: number[] = []
      let writing = true
      const tail = (async () => {
        let cursor = 0
        while (writing) {
          for (const event of await reader.listEvents({ afterId: cursor })) seen.push((cursor = event.id))
        }
        for (const event of await reader.listEvents({ afterId: cursor })) seen.push(event.id)
      })()
      // Many concurrent transactions on two pools: ids are handed out in one order and could commit in another.
      const writes = (store: PostgresStore, name: string) => Promise.all(Array.from({ length: 60 }, (_, i) => store.appendLog({
        runId: 'r', assetKey: name, partition: null, level: 'info', message: `line ${i}`, at: new Date(i),
      })))
      await Promise.all([writes(a, 'a'), writes(b, 'b')])
      writing = false
      await tail
      const all = (await reader.listEvents({ limit: 10_000 })).map((event) => event.id)
      assert.equal(all.length, 121)
      assert.deepEqual(seen, all)
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()])
      await database.drop()
    }
  })
})
