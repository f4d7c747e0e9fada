// Copies a project's history from its SQLite store into an empty PostgreSQL store, table by
// table. Both dialects keep the same tables with the same columns and the same encodings (times
// as epoch milliseconds, JSON as text, flags as 0/1), so rows travel unchanged; only identity
// columns need their sequences moved past the copied ids.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { redactUrl } from '../model/redact.js'
import { asStoreError, openPool, type Client } from './postgres/open-pool.js'
import { PostgresAutomationStore } from './postgres/postgres-automation-store.js'
import { PostgresStore } from './postgres/postgres-store.js'
import { SqliteAutomationStore } from './sqlite/sqlite-automation-store.js'
import { SqliteStore } from './sqlite/sqlite-store.js'
import type { PostgresStoreConfig } from './store-config.js'

/** One table's copy, as progress reports it and the summary lists it. */
export interface TableCopy {
  readonly table: string
  readonly rows: number
}

/** What a copy did. */
export interface StoreCopy {
  /** Tables copied, in order, with their row counts (verified equal on both sides). */
  readonly tables: readonly TableCopy[]
  readonly rows: number
  /** SQLite tables with no PostgreSQL twin, left behind (none today). */
  readonly skipped: readonly string[]
  /** True when the target already held exactly this history from an earlier copy: nothing was done. */
  readonly alreadyCopied: boolean
}

/** Where the copy is: a table started (rows: 0) or some of its rows inserted. */
export type CopyProgress = (table: string, copied: number, total: number) => void

// Tables PostgreSQL keeps for itself or that are not history: never copied, never compared.
const NOT_HISTORY = new Set(['schema_migrations', 'sqlite_sequence'])
// Parents before children: steps and asset_state reference runs and materializations.
const FIRST = ['runs', 'materializations']
// A cursor that remembers which history a copy brought in, so running it again is a no-op.
const COPIED_FROM = 'migrate-store:copied-from'
// PostgreSQL takes at most 65,535 parameters per statement.
const MAX_PARAMETERS = 60_000

/**
 * Copies every table of the SQLite store at `sqliteFile` into the PostgreSQL store `target`
 * (migrated first), in one transaction: a failure leaves the target as it was. Reads a snapshot
 * of the file (SQLite's online backup), so a process writing meanwhile cannot tear the copy.
 * Refuses (TRB7022) a target that already holds history, unless it is this very history from an
 * earlier copy (then it does nothing and says so).
 */
export async function copySqliteToPostgres(sqliteFile: string, target: PostgresStoreConfig, onProgress: CopyProgress = () => undefined): Promise<StoreCopy> {
  await migrateBoth(sqliteFile, target)
  const snapshot = join(tmpdir(), `tributary-migrate-${randomBytes(6).toString('hex')}.sqlite`)
  const live = new Database(sqliteFile, { readonly: true, fileMustExist: true })
  try {
    await live.backup(snapshot)
  } finally {
    live.close()
  }
  const source = new Database(snapshot, { readonly: true })
  const pool = openPool({ ...target, poolSize: 1 })
  try {
    const fingerprint = fingerprintOf(source)
    const client = await pool.connect().catch((error: unknown) => Promise.reject(asStoreError(error, target.url)))
    try {
      await client.query('BEGIN')
      const targetTables = await columnsOf(client)
      const existing = await historyIn(client, targetTables)
      if (existing.length > 0) {
        const copied = (await client.query<{ value: string }>('SELECT value FROM daemon_cursors WHERE name = $1', [COPIED_FROM])).rows[0]?.value
        await client.query('ROLLBACK')
        if (copied === fingerprint) return { tables: [], rows: 0, skipped: [], alreadyCopied: true }
        throw new TributaryError(ErrorCode.MigrateTargetNotEmpty, `the PostgreSQL store ${redactUrl(target.url)} already holds history (${existing.map((t) => `${t.rows} ${t.table}`).join(', ')}); copying would mix two histories`, {
          hint: 'Copy into an empty database (createdb tributary_new), or drop and re-create this one if its history is not wanted.',
        })
      }
      const sourceTables = sqliteTables(source)
      const order = [...FIRST.filter((t) => sourceTables.includes(t)), ...sourceTables.filter((t) => !FIRST.includes(t))]
      const tables: TableCopy[] = []
      const skipped: string[] = []
      for (const table of order) {
        const columns = targetTables.get(table)
        if (!columns) {
          skipped.push(table)
          continue
        }
        tables.push({ table, rows: await copyTable(source, client, table, columns, onProgress) })
      }
      await client.query('INSERT INTO daemon_cursors (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [COPIED_FROM, fingerprint, Date.now()])
      await client.query('COMMIT')
      return { tables, rows: tables.reduce((sum, t) => sum + t.rows, 0), skipped, alreadyCopied: false }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error instanceof TributaryError ? error : asStoreError(error, target.url)
    } finally {
      client.release()
    }
  } finally {
    source.close()
    await pool.end()
    await rm(snapshot, { force: true })
  }
}

// Both stores at their newest migration, so their tables and columns line up.
async function migrateBoth(sqliteFile: string, target: PostgresStoreConfig): Promise<void> {
  for (const open of [() => SqliteStore.open(sqliteFile), () => SqliteAutomationStore.open(sqliteFile), () => PostgresStore.open(target), () => PostgresAutomationStore.open(target)]) {
    const store = await open()
    try {
      await store.migrate()
    } finally {
      await store.close()
    }
  }
}

// Copies one table in batches, identity values kept; returns the rows copied (checked against the source's count).
async function copyTable(source: Database.Database, client: Client, table: string, targetColumns: ReadonlyMap<string, boolean>, onProgress: CopyProgress): Promise<number> {
  const sourceColumns = (source.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string }[]).map((c) => c.name)
  const columns = sourceColumns.filter((c) => targetColumns.has(c))
  const total = (source.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n
  onProgress(table, 0, total)
  if (total === 0 || columns.length === 0) return 0
  const batch = Math.max(1, Math.min(1_000, Math.floor(MAX_PARAMETERS / columns.length)))
  // Identity columns are GENERATED ALWAYS: the copied ids are kept, so readers' cursors (event ids) stay valid.
  const overriding = columns.some((c) => targetColumns.get(c)) ? ' OVERRIDING SYSTEM VALUE' : ''
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')})${overriding} VALUES `
  let copied = 0
  let rows: unknown[][] = []
  const flush = async () => {
    const values = rows.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ')
    await client.query(head + values, rows.flat())
    copied += rows.length
    rows = []
    onProgress(table, copied, total)
  }
  for (const row of source.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)}`).raw().iterate() as IterableIterator<unknown[]>) {
    rows.push(row.map((value) => (typeof value === 'bigint' ? value.toString() : value)))
    if (rows.length === batch) await flush()
  }
  if (rows.length > 0) await flush()
  for (const [column, identity] of targetColumns) {
    if (!identity) continue
    // The next generated id follows the copied ones.
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quote(column)}) FROM ${quote(table)}), 1), (SELECT count(*) > 0 FROM ${quote(table)}))`, [table, column])
  }
  if (copied !== total) throw new Error(`copied ${copied} of ${total} rows of ${table}`)
  return copied
}

// The target's tables in its default schema, each with its columns and whether each is an identity column.
async function columnsOf(client: Client): Promise<Map<string, Map<string, boolean>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; is_identity: string }>(`SELECT table_name, column_name, is_identity FROM information_schema.columns
    WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
  const tables = new Map<string, Map<string, boolean>>()
  for (const row of rows) {
    if (NOT_HISTORY.has(row.table_name)) continue
    let columns = tables.get(row.table_name)
    if (!columns) tables.set(row.table_name, (columns = new Map()))
    columns.set(row.column_name, row.is_identity === 'YES')
  }
  return tables
}

// Tables of the target that hold rows (a daemon's leader cursor or a migrate marker alone does not count).
async function historyIn(client: Client, tables: ReadonlyMap<string, unknown>): Promise<TableCopy[]> {
  const found: TableCopy[] = []
  for (const table of tables.keys()) {
    const filter = table === 'daemon_cursors' ? ` WHERE name NOT IN ('${COPIED_FROM}', 'leader:daemon')` : ''
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quote(table)}${filter}`)
    if (rows[0]!.n > 0) found.push({ table, rows: rows[0]!.n })
  }
  return found
}

function sqliteTables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
    .map((t) => t.name).filter((name) => !NOT_HISTORY.has(name))
}

// Which history this is: its tables' row counts and newest event, enough to recognise a second run of the same copy.
function fingerprintOf(db: Database.Database): string {
  const counts = sqliteTables(db).map((table) => `${table}=${(db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n}`)
  const last = (db.prepare('SELECT max(id) AS id, max(at) AS at FROM events').get() as { id: number | null; at: number | null })
  return `${counts.join(',')};events<=${last.id ?? 0}@${last.at ?? 0}`
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
