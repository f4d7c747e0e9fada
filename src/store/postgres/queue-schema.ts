import pg from 'pg'
import { Logger, runMigrations } from 'graphile-worker'

// Any fixed number names the lock; this one spells "trbque".
const QUEUE_MIGRATION_LOCK = 0x747262717565

// The same error again within this long (a fetch failing at every poll while the database is down) is not repeated.
const REPEAT_AFTER_MS = 30_000

/**
 * graphile-worker's logger, quiet but for errors (on stderr): the fleet reports through the store.
 * An error said in the last 30 s (numbers aside: "trying again in 134ms") is not said again.
 */
export const quietQueueLogger = new Logger(() => (level, message) => {
  if (level !== 'error') return
  const key = message.replace(/\d+/g, '#')
  const now = Date.now()
  if (now - (saidAt.get(key) ?? Number.NEGATIVE_INFINITY) < REPEAT_AFTER_MS) return
  if (saidAt.size >= 100) saidAt.clear()
  saidAt.set(key, now)
  process.stderr.write(`graphile-worker: ${message}\n`)
})
// When each error was last said, across every scope graphile-worker derives from the logger.
const saidAt = new Map<string, number>()

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
