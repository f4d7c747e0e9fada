import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { queueConnection } from '../src/execution/queue/queue-worker.js'
import { POSTGRES_SERVER } from './helpers/postgres-database.js'

test("the queue's connections commit without waiting for the WAL flush, other connection options kept", async () => {
  assert.equal(new URL(queueConnection('postgres://u@h:5432/db?sslmode=disable&options=-c%20work_mem%3D8MB')).searchParams.get('options'), '-c work_mem=8MB -c synchronous_commit=off')
  assert.equal(new URL(queueConnection('postgres://u@h:5432/db?sslmode=disable')).searchParams.get('sslmode'), 'disable')
  const client = new pg.Client({ connectionString: queueConnection(`${POSTGRES_SERVER}/postgres`) })
  await client.connect()
  try {
    assert.deepEqual((await client.query('SHOW synchronous_commit')).rows, [{ synchronous_commit: 'off' }])
  } finally {
    await client.end()
  }
})
