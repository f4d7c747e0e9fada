import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { queueConnection } from '../src/execution/queue/queue-worker.js'
import { openPool, withSessionSettings } from '../src/store/postgres/open-pool.js'
import { postgres } from '../src/store/store-config.js'
import { POSTGRES_SERVER } from './helpers/postgres-database.js'

test('session settings are added after the options a URL has, its other parameters kept', () => {
  const url = withSessionSettings('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB', { a: '1', b: 'two' })
  // Ours first: a setting the URL names itself wins (the last -c of a name does).
  assert.equal(new URL(url).searchParams.get('options'), '-c a=1 -c b=two -c work_mem=8MB')
  assert.equal(new URL(url).searchParams.get('sslmode'), 'disable')
  assert.equal(new URL(withSessionSettings('postgres://u@h/db', { a: '1' })).searchParams.get('options'), '-c a=1')
  // A socket directory with no host, which pg reads and \`new URL\` refuses: kept as written.
  assert.equal(withSessionSettings('postgresql://user:secret@/db?host=/run/postgresql', { a: '1' }), 'postgresql://user:secret@/db?host=%2Frun%2Fpostgresql&options=-c+a%3D1')
})

test("a setting the URL's options name wins over the queue's", async () => {
  const client = new pg.Client({ connectionString: queueConnection(`${POSTGRES_SERVER}/postgres?options=${encodeURIComponent('-c plan_cache_mode=auto')}`) })
  await client.connect()
  try {
    assert.deepEqual((await client.query('SHOW plan_cache_mode')).rows, [{ plan_cache_mode: 'auto' }])
    assert.deepEqual((await client.query('SHOW synchronous_commit')).rows, [{ synchronous_commit: 'off' }])
  } finally {
    await client.end()
  }
})

test("the queue's connections commit without waiting for the WAL flush and plan generically; the store's pool plans as PostgreSQL chooses", async () => {
  assert.equal(new URL(queueConnection('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB')).searchParams.get('options'),
    '-c plan_cache_mode=force_generic_plan -c synchronous_commit=off -c work_mem=8MB')
  const client = new pg.Client({ connectionString: queueConnection(`${POSTGRES_SERVER}/postgres`) })
  await client.connect()
  try {
    assert.deepEqual((await client.query('SHOW synchronous_commit')).rows, [{ synchronous_commit: 'off' }])
    assert.deepEqual((await client.query('SHOW plan_cache_mode')).rows, [{ plan_cache_mode: 'force_generic_plan' }])
  } finally {
    await client.end()
  }
  const pool = openPool(postgres({ url: `${POSTGRES_SERVER}/postgres`, poolSize: 1 }))
  try {
    assert.deepEqual((await pool.query('SHOW plan_cache_mode')).rows, [{ plan_cache_mode: 'auto' }])
    assert.deepEqual((await pool.query('SHOW synchronous_commit')).rows, [{ synchronous_commit: 'on' }])
  } finally {
    await pool.end()
  }
})
