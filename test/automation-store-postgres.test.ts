import { PostgresAutomationStore } from '../src/store/postgres/postgres-automation-store.js'
import { postgres } from '../src/store/store-config.js'
import { automationStoreConformance } from './automation-store-conformance.js'
import { createDatabase } from './helpers/postgres-database.js'

automationStoreConformance('postgres', async () => {
  const database = await createDatabase()
  const store = await PostgresAutomationStore.open(postgres({ url: database.url, poolSize: 4 }))
  await store.migrate()
  return { store, cleanup: async () => { await store.close(); await database.drop() } }
})
