// The store's LISTEN connection (live views, the control plane's attempt ends) listens again by
// itself when the server ends it (a restart, a failover), and wakes its listeners so they read
// what they missed. Real PostgreSQL; the session ended by pg_terminate_backend.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { EventListener } from '../src/store/postgres/event-listener.js'
import { postgres } from '../src/store/store-config.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

test('a LISTEN connection the server ends listens again by itself; its listeners are woken, and hear notifications again', async () => {
  const database = await createDatabase()
  cleanups.push(database.drop)
  const listener = new EventListener(postgres({ url: database.url }), 'trb_test_channel')
  cleanups.push(() => listener.close())
  const heard: string[] = []
  await listener.add((payload) => heard.push(payload))
  const listening = async () => (await query<{ pid: number }>(database.url, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "trb_test_channel"' AND pid <> pg_backend_pid()`)).map((r) => r.pid)
  const [first] = await listening()
  assert.ok(first !== undefined)
  await query(database.url, 'SELECT pg_terminate_backend($1)', [first])
  // Woken at the loss ('' : read the log), and listening again on a new session.
  await poll('the listener to listen on a new session', async () => {
    const pids = await listening()
    return pids.length === 1 && pids[0] !== first ? true : undefined
  })
  assert.ok(heard.includes(''), JSON.stringify(heard))
  await query(database.url, `SELECT pg_notify('trb_test_channel', 'after the loss')`)
  await poll('the notification to be heard', async () => (heard.includes('after the loss') ? true : undefined))
})
