import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { automationStoreConformance } from './automation-store-conformance.js'

automationStoreConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trb-automation-'))
  const store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
  await store.migrate()
  return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }) } }
})
