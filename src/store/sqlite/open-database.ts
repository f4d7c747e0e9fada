import Database from 'better-sqlite3'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ErrorCode, TributaryError } from '../../model/errors.js'

const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT'])
const BUSY_TIMEOUT_MS = 5000

/** Turns SQLite's "not a database" and "corrupt" failures into TRB4001 naming the file; other errors pass through. */
export function asStoreError(error: unknown, file: string): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !CORRUPT_CODES.has(code)) return error
  const reason = error instanceof Error ? error.message : code
  return new TributaryError(ErrorCode.StoreCorrupt, `the store ${file} is not a readable SQLite database (${reason})`, {
    hint: `Move ${file} aside (for example to ${file}.corrupt) and start again: Tributary creates a fresh store, rebuilding state from scratch.`,
    context: { file },
    cause: error,
  })
}

/** Opens (creating if needed) the SQLite file at `path` with the store's pragmas. ':memory:' is allowed. */
export async function openDatabase(path: string): Promise<Database.Database> {
  if (path !== ':memory:' && path !== '') await mkdir(dirname(path), { recursive: true })
  const db = new Database(path)
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    await enableWal(db)
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // The pragmas above may not touch the file's pages; reading the schema does.
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    return db
  } catch (error) {
    db.close()
    throw asStoreError(error, path)
  }
}

/**
 * Switches to WAL. When another process is opening the same new file, SQLite may answer
 * SQLITE_BUSY at once instead of calling the busy handler (to avoid a deadlock), so retry
 * for as long as busy_timeout would have waited.
 */
async function enableWal(db: Database.Database): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() + delay > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}
