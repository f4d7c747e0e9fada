import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom } from 'pg-copy-streams'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { quoteIdentifier } from './identifiers.js'
import type { Statements } from './serial-client.js'

// CSV files are streamed from this process with COPY FROM STDIN (so the server needs no access
// to them), each into a text-only temporary table, combined by column name, then typed the way
// DuckDB's reader would: whole numbers → bigint, other numbers → double precision,
// true/false → boolean, YYYY-MM-DD → date, YYYY-MM-DD HH:MM[:SS[.f]] → timestamp, else text.
const INTEGER = String.raw`^[-+]?[0-9]{1,18}$`
const NUMBER = String.raw`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`
const DATE = String.raw`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
const TIMESTAMP = String.raw`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$`

/** The column names in the header line of a CSV file (quoted names allowed). */
export async function readHeader(file: string): Promise<string[]> {
  const handle = await open(file)
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0)
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '')
    const names: string[] = []
    let current = ''
    let quoted = false
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!
      if (quoted) {
        if (char === '"' && text[i + 1] === '"') { current += '"'; i++ }
        else if (char === '"') quoted = false
        else current += char
      } else if (char === '"') quoted = true
      else if (char === ',') { names.push(current); current = '' }
      else if (char === '\n' || char === '\r') break
      else current += char
    }
    names.push(current)
    return names
  } finally {
    await handle.close()
  }
}

function loadError(file: string, error: unknown): TributaryError {
  const cause = error instanceof TributaryError && error.cause !== undefined ? error.cause : error
  const message = cause instanceof Error ? cause.message : String(cause)
  const gone = (cause as { code?: unknown })?.code === 'ENOENT'
  return new TributaryError(ErrorCode.CsvLoad, `could not load CSV file ${file}: ${message}`, {
    cause,
    context: { file },
    retryable: false,
    hint: gone
      ? `${file} is gone: it was matched, then moved or deleted before it was read. Check the source's file pattern, then re-run.`
      : `Check ${file}: it must be UTF-8 text with a header row and the same number of columns on every line. Fix or remove the file, then re-run.`,
  })
}

/** Creates `table` (quoted, not existing) from CSV files with header rows; run inside a transaction. */
export async function copyCsvFiles(s: Statements, table: string, files: readonly string[]): Promise<void> {
  const all: string[] = []
  const headers: string[][] = []
  for (const [index, file] of files.entries()) {
    const part = quoteIdentifier(`__trb_csv_${index}`)
    try {
      const header = await readHeader(file)
      const names = header.map(quoteIdentifier)
      await s.run(`create temporary table ${part} (${names.map((n) => `${n} text`).join(', ')}) on commit drop`)
      await pipeline(createReadStream(file), s.client.query(copyFrom(`copy ${part} from stdin with (format csv, header true)`)))
      for (const name of header) if (!all.includes(name)) all.push(name)
      headers.push(header)
    } catch (error) {
      throw loadError(file, error)
    }
  }
  // Every part lists every column, NULL where its file lacks it, so the union lines up by name.
  const selects = headers.map((header, index) => {
    const own = new Set(header)
    return `select ${all.map((name) => (own.has(name) ? quoteIdentifier(name) : `null::text as ${quoteIdentifier(name)}`)).join(', ')} from ${quoteIdentifier(`__trb_csv_${index}`)}`
  })
  await s.run(`create temporary table "__trb_csv_all" on commit drop as ${selects.join(' union all ')}`)
  const checks = all.flatMap((name, i) => [
    `bool_and(${quoteIdentifier(name)} ~ '${INTEGER}') as i${i}`,
    `bool_and(${quoteIdentifier(name)} ~ '${NUMBER}') as n${i}`,
    `bool_and(lower(${quoteIdentifier(name)}) in ('true', 'false')) as b${i}`,
    `bool_and(${quoteIdentifier(name)} ~ '${DATE}') as d${i}`,
    `bool_and(${quoteIdentifier(name)} ~ '${TIMESTAMP}') as t${i}`,
  ])
  const [kinds] = await s.read(`select ${checks.join(', ')} from "__trb_csv_all"`)
  // bool_and is NULL for an all-NULL column: it stays text.
  const typed = all.map((name, i) => {
    const kind = (letter: string) => kinds?.[`${letter}${i}`] === true
    const type = kind('i') ? 'bigint' : kind('n') ? 'double precision' : kind('b') ? 'boolean' : kind('d') ? 'date' : kind('t') ? 'timestamp' : 'text'
    return `${quoteIdentifier(name)}::${type} as ${quoteIdentifier(name)}`
  })
  await s.run(`create table ${table} as select ${typed.join(', ')} from "__trb_csv_all"`)
}
