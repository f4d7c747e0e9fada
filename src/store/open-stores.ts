import { resolve } from 'node:path'
import type { AutomationStore } from './automation-store.js'
import type { OpenCheck } from './sqlite/open-database.js'
import { SqliteAutomationStore } from './sqlite/sqlite-automation-store.js'
import { SqliteStore } from './sqlite/sqlite-store.js'
import type { StoreConfig } from './store-config.js'
import type { Store } from './store.js'

/** The stores of one project: the metadata store, open and migrated, and how to open its automation store. */
export interface OpenedStores {
  readonly store: Store
  /** Opens and migrates the automation store on the same database (each call opens a new one). */
  readonly openAutomation: () => Promise<AutomationStore>
}

/**
 * Opens the store the project's config chose (Default: sqlite(), `metadata.sqlite` in
 * `stateDir`) and migrates it. `check` applies to SQLite only (Default: 'auto'); `genericPlans`
 * and `rideOut` (Default: true) to PostgreSQL only (see PostgresStore.open). The PostgreSQL driver is loaded only when a project asks for it.
 */
export async function openStores(config: StoreConfig | undefined, stateDir: string, options: { check?: OpenCheck; genericPlans?: boolean; rideOut?: boolean } = {}): Promise<OpenedStores> {
  if (config?.type === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.js')
    const { PostgresAutomationStore } = await import('./postgres/postgres-automation-store.js')
    const store = await migrated(await PostgresStore.open(config, { genericPlans: options.genericPlans === true, rideOut: options.rideOut !== false }))
    return { store, openAutomation: async () => migrated(await PostgresAutomationStore.open(config)) }
  }
  const file = resolve(stateDir, 'metadata.sqlite')
  const store = await migrated(await SqliteStore.open(file, { check: options.check ?? 'auto' }))
  return { store, openAutomation: async () => migrated(await SqliteAutomationStore.open(file)) }
}

async function migrated<T extends { migrate(): Promise<void>; close(): Promise<void> }>(store: T): Promise<T> {
  try {
    await store.migrate()
    return store
  } catch (error) {
    await store.close()
    throw error
  }
}
