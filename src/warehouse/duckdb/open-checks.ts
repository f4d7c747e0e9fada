import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { ErrorCode, TributaryError } from '../../model/errors.js'

// Every DuckDB database file carries this magic after an 8-byte checksum.
const MAGIC = 'DUCK'
const MAGIC_OFFSET = 8

/** Asset keys the metadata store says were published to the warehouse; asked only when something looks wrong. */
export type PublishedAssets = () => Promise<readonly string[]>

function examples(published: readonly string[]): string {
  return `${published.slice(0, 3).join(', ')}${published.length > 3 ? ` and ${published.length - 3} more` : ''}`
}

/**
 * TRB5011: the warehouse file is gone while the store records publications to it. Opening it
 * would create an empty warehouse and every "up to date" answer would be false.
 */
export function missingWarehouseError(file: string, published: readonly string[]): TributaryError {
  return new TributaryError(ErrorCode.WarehouseMissing, `the warehouse ${file} is missing, but the metadata store records ${published.length} published asset(s) in it (${examples(published)})`, {
    context: { file },
    hint: `Restore ${file} from a backup (or fix the warehouse path in tributary.config.ts). To start over instead, move the metadata store (.tributary/metadata.sqlite) aside too: every asset is then rebuilt and its history starts over.`,
  })
}

/** TRB5012 for a file that is not a DuckDB database at all (`reason` says what it is). */
export function notDuckDbError(file: string, reason: string): TributaryError {
  return new TributaryError(ErrorCode.WarehouseForeign, `the warehouse ${file} is not a DuckDB database: ${reason}`, {
    context: { file },
    hint: `Check the warehouse path in tributary.config.ts. If ${file} was Tributary's warehouse and got damaged, restore it from a backup; to start over, move it and the metadata store (.tributary/metadata.sqlite) aside.`,
  })
}

/** TRB5012 for a DuckDB database without Tributary's ledger while the store records publications: another database. */
export function foreignWarehouseError(file: string, published: readonly string[]): TributaryError {
  return new TributaryError(ErrorCode.WarehouseForeign, `the warehouse ${file} is a DuckDB database that Tributary never published to (it has no _tributary.publications), but the metadata store records ${published.length} published asset(s) in its warehouse (${examples(published)})`, {
    context: { file },
    hint: 'Point the warehouse path in tributary.config.ts at the warehouse these assets were published to, or restore that file. To start over in this database, move the metadata store (.tributary/metadata.sqlite) aside.',
  })
}

/** Throws TRB5012 when `file` exists but is not a DuckDB database (empty, or another format). Missing files pass. */
export function checkDuckDbFile(file: string): void {
  let size: number
  try {
    size = statSync(file).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (size === 0) throw notDuckDbError(file, 'it is empty (0 bytes)')
  // 16 bytes: the DuckDB magic, or enough to recognise a SQLite file ('SQLite format 3\0').
  const header = Buffer.alloc(16)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, header, 0, header.length, 0)
  } finally {
    closeSync(fd)
  }
  if (header.subarray(MAGIC_OFFSET, MAGIC_OFFSET + MAGIC.length).toString('latin1') !== MAGIC) {
    const text = header.toString('latin1')
    throw notDuckDbError(file, text.startsWith('SQLite format') ? 'it is a SQLite database' : `its header has no DuckDB signature (${size} bytes of something else)`)
  }
}

/**
 * Throws TRB5011 when the warehouse file is missing but the store records publications to it,
 * so status and `ready` never vouch for data that is gone. One stat when the file is there.
 */
export async function requireWarehouseFile(file: string, published: PublishedAssets): Promise<void> {
  if (existsSync(file)) return
  const assets = await published()
  if (assets.length > 0) throw missingWarehouseError(file, assets)
}
