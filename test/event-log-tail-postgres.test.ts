// The server's tail of the event log, on the PostgreSQL store: another process's write reaches
// subscribers through NOTIFY, long before the poll would read it.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { EventRecord } from '../src/store/records.js'
import { EventLogTail } from '../src/server/event-log-tail.js'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import { postgres } from '../src/store/store-config.js'
import { createDatabase } from './helpers/postgres-database.js'

describe('event log tail on the PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('an event appended through another connection reaches a subscriber by NOTIFY, with the poll an hour away', { timeout: 60_000 }, async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const config = postgres({ url: database.url })
    const reader = await PostgresStore.open(config)
    cleanups.unshift(() => reader.close())
    const writer = await PostgresStore.open(config)
    cleanups.unshift(() => writer.close())
    await reader.migrate()

    const tail = new EventLogTail(() => reader, { intervalMs: 3_600_000 })
    const received: EventRecord[] = []
    let arrived!: () => void
    const delivered = new Promise<void>((resolve) => (arrived = resolve))
    const { cursor, unsubscribe } = await tail.subscribe((events) => {
      received.push(...events)
      arrived()
    })
    cleanups.unshift(async () => unsubscribe())
    assert.equal(cursor, 0)
    // The LISTEN is set up beside the subscription; make sure it is in place before writing.
    await reader.watchEvents(() => {})

    await writer.createRun({ id: 'r1', selection: '', trigger: 'test', pid: 1, host: 'elsewhere', startedAt: new Date(1000), steps: [] })
    await delivered
    assert.deepEqual(received.map((event) => [event.type, event.runId]), [['run_started', 'r1']])
  })
})
