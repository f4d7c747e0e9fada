import Database from 'better-sqlite3'
import { constants, copyFileSync, linkSync, statSync, unlinkSync } from 'node:fs'
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
  return corruptError(file, reason, error)
}

function corruptError(file: string, reason: string, cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.StoreCorrupt, `the store ${file} is damaged: ${reason}`, {
    hint: `Tributary will not start over on its own. Restore ${file} from a backup; or try \`sqlite3 ${file} .recover | sqlite3 recovered.sqlite\` and put recovered.sqlite in its place; or, to start over with no history, move ${file} aside (for example to ${file}.corrupt).`,
    context: { file },
    cause,
  })
}

/**
 * How the store is checked when it opens: 'header' reads the header and schema only; 'full'
 * reads every page (PRAGMA quick_check, about 8 ms per MB); 'auto' is 'full' up to
 * {@link AUTO_FULL_CHECK_BYTES} and 'header' beyond, so status stays fast on a large store.
 */
export type OpenCheck = 'header' | 'auto' | 'full'

/** Largest store 'auto' reads in full at open: 8 MiB, about 65 ms of quick_check. */
export const AUTO_FULL_CHECK_BYTES = 8 * 1024 * 1024

/**
 * Opens (creating if needed) the SQLite file at `path` with the store's pragmas. ':memory:' is
 * allowed. Throws TRB4010 for an emptied (0-byte) store and TRB4001 for a damaged one; `check`
 * says how much is read to find damage (Default: 'header').
 */
export async function openDatabase(path: string, options: { check?: OpenCheck } = {}): Promise<Database.Database> {
  const onDisk = path !== ':memory:' && path !== ''
  if (onDisk) {
    await mkdir(dirname(path), { recursive: true })
    createAtomically(path)
  }
  const db = new Database(path)
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    await enableWal(db)
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // The pragmas above may not touch the file's pages; reading the schema does.
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    const check = options.check ?? 'header'
    if (onDisk && (check === 'full' || (check === 'auto' && (sizeOf(path) ?? 0) <= AUTO_FULL_CHECK_BYTES))) {
      const problems = db.prepare<[], string>('PRAGMA quick_check(5)').pluck().all()
      if (problems.length > 0 && problems[0] !== 'ok') throw corruptError(path, `PRAGMA quick_check found ${problems.join('; ')}`)
    }
    return db
  } catch (error) {
    db.close()
    throw asStoreError(error, path)
  }
}

/**
 * Makes sure a store file exists and was never seen half-made: a new store is written beside
 * it and linked into place (link fails if another process got there first, which is fine), so
 * a 0-byte store file is never a store being created. It is one that was emptied (a full disk,
 * a bad copy): TRB4010, because starting over would silently drop all history.
 */
function createAtomically(path: string): void {
  const size = sizeOf(path)
  if (size === 0) {
    throw new TributaryError(ErrorCode.StoreEmptied, `the store ${path} is empty (0 bytes): its history (runs, materializations, checks) is gone`, {
      hint: `Tributary will not start over on its own. Restore ${path} from a backup; or, to start over with no history, delete it (every asset will then be rebuilt on its next run).`,
      context: { file: path },
    })
  }
  if (size !== undefined) return
  const temporary = `${path}.new-${process.pid}`
  const db = new Database(temporary)
  try {
    // WAL mode lives in the header: writing it makes the file a valid, non-empty database.
    db.pragma('journal_mode = WAL')
  } finally {
    db.close()
  }
  try {
    linkSync(temporary, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    // A file system without hard links (FAT, some network mounts): an exclusive copy, nearly as good.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
    try {
      copyFileSync(temporary, path, constants.COPYFILE_EXCL)
    } catch (copyError) {
      if ((copyError as NodeJS.ErrnoException).code !== 'EEXIST') throw copyError
    }
  } finally {
    unlinkSync(temporary)
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
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
