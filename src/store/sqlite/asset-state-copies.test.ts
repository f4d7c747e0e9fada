import Database from 'better-sqlite3'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { applyMigrations, loadMigrations } from './migrations.js'
import { SqliteStore } from './sqlite-store.js'

// Migration 0002 copies the last materialization and step into asset_state; a store written
// before it must read back exactly as it did through the joins.
test('migration 0002 carries asset states written before it over unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-asset-state-'))
  const path = join(dir, 'store.db')
  try {
    const db = new Database(path)
    applyMigrations(db, path, loadMigrations().filter((migration) => migration.version === 1))
    db.exec(`
      INSERT INTO runs (id, status, selection, trigger, pid, host, started_at, heartbeat_at, step_count)
        VALUES ('r1', 'failed', '', 'test', 1, 'h', 1000, 1000, 3);
      INSERT INTO steps (run_id, asset_key, partition, seq, status, attempt, started_at, finished_at, duration_ms, error, reason) VALUES
        ('r1', 'orders', '', 0, 'succeeded', 1, 1000, 2000, 1000, NULL, NULL),
        ('r1', 'orders', 'p1', 1, 'failed', 2, 1000, 3000, 2000, '{"code":"TRB3001","message":"boom"}', NULL),
        ('r1', 'users', '', 2, 'queued', 0, NULL, NULL, NULL, NULL, NULL);
      INSERT INTO materializations (id, asset_key, partition, run_id, code_version, data_version, input_versions, row_count, columns, duration_ms, created_at)
        VALUES (7, 'orders', '', 'r1', 'c1', 'd1', '{"raw":"r1"}', 10, '[{"name":"id","type":"INTEGER"}]', 900, 1900);
      INSERT INTO asset_state (asset_key, partition, materialization_id, step_run_id, checks) VALUES
        ('orders', '', 7, 'r1', '[{"id":3,"assetKey":"orders","partition":null,"runId":"r1","checkName":"id_not_null","checkType":"not_null","severity":"error","blocking":true,"passed":true,"failingRows":0,"sample":[],"message":null,"createdAt":1950}]'),
        ('orders', 'p1', NULL, 'r1', '[]'),
        ('users', '', NULL, 'gone', '[]');
    `)
    db.close()

    const store = await SqliteStore.open(path)
    try {
      await store.migrate()
      const states = await store.assetStates()
      assert.deepEqual(states, [
        {
          assetKey: 'orders', partition: null,
          lastMaterialization: {
            id: 7, assetKey: 'orders', partition: null, runId: 'r1', codeVersion: 'c1', dataVersion: 'd1', inputVersions: { raw: 'r1' },
            rowCount: 10, columns: [{ name: 'id', type: 'INTEGER' }], durationMs: 900, createdAt: new Date(1900),
          },
          lastStep: {
            runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', attempt: 1,
            startedAt: new Date(1000), finishedAt: new Date(2000), durationMs: 1000, error: null, reason: null,
          },
          lastChecks: [{
            id: 3, assetKey: 'orders', partition: null, runId: 'r1', checkName: 'id_not_null', checkType: 'not_null', severity: 'error',
            blocking: true, passed: true, failingRows: 0, sample: [], message: null, createdAt: new Date(1950),
          }],
        },
        {
          assetKey: 'orders', partition: 'p1', lastMaterialization: null,
          lastStep: {
            runId: 'r1', assetKey: 'orders', partition: 'p1', status: 'failed', attempt: 2,
            startedAt: new Date(1000), finishedAt: new Date(3000), durationMs: 2000, error: { code: 'TRB3001', message: 'boom' }, reason: null,
          },
          lastChecks: [],
        },
        // A step_run_id whose steps row is gone read as no last step through the join, and still does.
        { assetKey: 'users', partition: null, lastMaterialization: null, lastStep: null, lastChecks: [] },
      ])
      // The copies keep following new writes.
      await store.updateStep({ runId: 'r1', assetKey: 'users', partition: null, status: 'running', at: new Date(4000), attempt: 1 })
      const [users] = await store.assetStates(['users'])
      assert.equal(users?.lastStep?.status, 'running')
      assert.deepEqual(users?.lastStep?.startedAt, new Date(4000))
    } finally {
      await store.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
