// A suite's PostgreSQL store with its step queue: a database of its own, the store migrated and
// the queue's schema prepared before the suite's tests, all closed and dropped after them.
import { after, before } from 'node:test'
import { PostgresStore } from '../../src/store/postgres/postgres-store.js'
import { postgres } from '../../src/store/store-config.js'
import type { StepQueue } from '../../src/store/step-queue.js'
import { createDatabase } from './postgres-database.js'

/** Call inside a describe; the fields are set once its `before` ran. */
export function stepQueueSuite(): { readonly url: string; readonly store: PostgresStore; readonly queue: StepQueue } {
  let database: Awaited<ReturnType<typeof createDatabase>> | undefined
  let store: PostgresStore | undefined
  let queue: StepQueue | undefined
  before(async () => {
    database = await createDatabase()
    store = await PostgresStore.open(postgres({ url: database.url, poolSize: 4 }))
    await store.migrate()
    queue = store.stepQueue()
    await queue.prepare()
  })
  after(async () => {
    await store?.close()
    await database?.drop()
  })
  return {
    get url() {
      return database!.url
    },
    get store() {
      return store!
    },
    get queue() {
      return queue!
    },
  }
}
