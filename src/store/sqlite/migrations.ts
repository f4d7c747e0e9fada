import type Database from 'better-sqlite3'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ErrorCode, TributaryError } from '../../model/errors.js'

/** One numbered schema change, plain SQL. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url)
const MIGRATION_FILE = /^(\d{4})_([\w-]+)\.sql$/

/** The migrations shipped with this code, oldest first, read from `migrations/NNNN_name.sql`. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = []
  for (const file of readdirSync(fileURLToPath(dir))) {
    const match = MIGRATION_FILE.exec(file)
    if (!match) continue
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: readFileSync(new URL(file, dir), 'utf8') })
  }
  return migrations.sort((a, b) => a.version - b.version)
}

/**
 * Applies the migrations `db` lacks. BEGIN IMMEDIATE takes the write lock before reading the
 * applied versions, so when two processes start at once the second waits (busy_timeout),
 * then sees every version applied and does nothing.
 */
export function applyMigrations(db: Database.Database, file: string, migrations: readonly Migration[], now: () => number = Date.now): void {
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`)
    const applied = new Set(db.prepare<[], number>(`SELECT version FROM schema_migrations`).pluck().all())
    const known = migrations.at(-1)?.version ?? 0
    const newest = Math.max(0, ...applied)
    if (newest > known) {
      throw new TributaryError(ErrorCode.StoreTooNew, `the store ${file} has schema version ${newest}, but this Tributary knows only up to ${known}`, {
        hint: 'A newer Tributary wrote it. Upgrade Tributary to use this store.',
        context: { file },
      })
    }
    const record = db.prepare<[number, number]>(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`)
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      db.exec(migration.sql)
      record.run(migration.version, now())
    }
  })
  run.immediate()
}
