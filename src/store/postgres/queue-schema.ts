import pg from 'pg'
import { Logger, runMigrations } from 'graphile-worker'

// Any fixed number names the lock; this one spells "trbque".
const QUEUE_MIGRATION_LOCK = 0x747262717565

/** graphile-worker's logger, quiet but for errors (on stderr): the fleet reports through the store. */
export const quietQueueLogger = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`)
})

/**
 * Installs or upgrades graphile-worker's schema (`graphile_worker`) in the store's database,
 * under an advisory lock so that a control plane and workers starting at once take turns.
 */
export async function migrateQueue(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`SELECT pg_advisory_lock(${QUEUE_MIGRATION_LOCK})`)
    await runMigrations({ connectionString: url, logger: quietQueueLogger })
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${QUEUE_MIGRATION_LOCK})`).catch(() => undefined)
    await client.end()
  }
}
