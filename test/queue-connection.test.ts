import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { queueConnection } from '../src/execution/queue/queue-worker.js'
import { openPool, withSessionSettings } from '../src/store/postgres/open-pool.js'
import { postgres } from '../src/store/store-config.js'
import { POSTGRES_SERVER } from './helpers/postgres-database.js'

// The settings a new connection to `url` starts with.
async function settingsOf(url: string): Promise<{ plan_cache_mode: string; synchronous_commit: string }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ plan_cache_mode: string; synchronous_commit: string }>(`SELECT current_setting('plan_cache_mode') AS plan_cache_mode, current_setting('synchronous_commit') AS synchronous_commit`)
    return rows[0]!
  } finally {
    await client.end()
  }
}

test('session settings are added before the options a URL has, its other parameters kept', () => {
  const url = withSessionSettings('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB', { a: '1', b: 'two' })
  // Ours first: a setting the URL names itself wins (the last -c of a name does).
  assert.equal(new URL(url).searchParams.get('options'), '-c a=1 -c b=two -c work_mem=8MB')
  assert.equal(new URL(url).searchParams.get('sslmode'), 'disable')
  assert.equal(new URL(withSessionSettings('postgres://u@h/db', { a: '1' })).searchParams.get('options'), '-c a=1')
  // A socket directory with no host, which pg reads and \`new URL\` refuses: kept as written.
  assert.equal(withSessionSettings('postgresql://user:secret@/db?host=/run/postgresql', { a: '1' }), 'postgresql://user:secret@/db?host=%2Frun%2Fpostgresql&options=-c+a%3D1')
})

test("a setting the URL's options name wins over the queue's", async () => {
  assert.deepEqual(await settingsOf(queueConnection(`${POSTGRES_SERVER}/postgres?options=${encodeURIComponent('-c plan_cache_mode=auto')}`)), { plan_cache_mode: 'auto', synchronous_commit: 'off' })
})

test("the queue's connections commit without waiting for the WAL flush and plan generically; the store's pool plans as PostgreSQL chooses", async () => {
  assert.equal(new URL(queueConnection('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB')).searchParams.get('options'),
    '-c plan_cache_mode=force_generic_plan -c synchronous_commit=off -c work_mem=8MB')
  assert.deepEqual(await settingsOf(queueConnection(`${POSTGRES_SERVER}/postgres`)), { plan_cache_mode: 'force_generic_plan', synchronous_commit: 'off' })
  const pool = openPool(postgres({ url: `${POSTGRES_SERVER}/postgres`, poolSize: 1 }))
  try {
    assert.deepEqual((await pool.query('SHOW plan_cache_mode')).rows, [{ plan_cache_mode: 'auto' }])
    assert.deepEqual((await pool.query('SHOW synchronous_commit')).rows, [{ synchronous_commit: 'on' }])
  } finally {
    await pool.end()
  }
})
