import { ErrorCode, TributaryError } from '../../model/errors.js'
import { redactUrl } from '../../model/redact.js'
import { loadMigrations as loadFrom, type Migration } from '../sqlite/migrations.js'
import { inTransaction, type Pool } from './open-pool.js'

export type { Migration }

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url)

// Any fixed number names the lock; this one spells "trbmig" so it is recognisable in pg_locks.
const MIGRATION_LOCK = 0x7472626d6967

/** The PostgreSQL migrations shipped with this code, oldest first, read from `migrations/NNNN_name.sql`. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  return loadFrom(dir)
}

/**
 * Applies the migrations the database lacks, in one transaction under an advisory lock: when
 * several processes start at once, the first applies them and the others wait on the lock, then
 * see every version applied and do nothing. DDL is transactional in PostgreSQL, so a process
 * killed midway leaves no half-applied migration behind.
 */
export async function applyMigrations(pool: Pool, url: string, migrations: readonly Migration[], now: () => number = Date.now): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`)
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM schema_migrations`)
    const applied = new Set(rows.map((row) => row.version))
    const known = migrations.at(-1)?.version ?? 0
    const newest = Math.max(0, ...applied)
    if (newest > known) {
      throw new TributaryError(ErrorCode.StoreTooNew, `the store ${redactUrl(url)} has schema version ${newest}, but this Tributary knows only up to ${known}`, {
        hint: 'A newer Tributary wrote it. Upgrade Tributary to use this store.',
        context: { file: redactUrl(url) },
      })
    }
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      await client.query(migration.sql)
      await client.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, [migration.version, now()])
    }
  }, MIGRATION_LOCK)
}
