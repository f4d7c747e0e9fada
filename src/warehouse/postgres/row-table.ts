import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom } from 'pg-copy-streams'
import type { Row } from '../../model/context.js'
import { inferColumns, type RowColumnType } from '../duckdb/row-table.js'
import { quoteIdentifier } from './identifiers.js'
import type { Statements } from './serial-client.js'

// Rows are typed by the same rules as DuckDB's (inferColumns), then named in PostgreSQL's terms.
const PG_TYPES: Record<RowColumnType, string> = {
  BIGINT: 'bigint',
  DOUBLE: 'double precision',
  BOOLEAN: 'boolean',
  VARCHAR: 'text',
  TIMESTAMP: 'timestamp',
}

/** One value as a CSV field for COPY: NULL unquoted and empty, text always quoted (so '' stays ''). */
function field(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string') return `"${value.replaceAll('"', '""')}"`
  return String(value)
}

async function* csvLines(columns: readonly string[], rows: readonly Row[]): AsyncGenerator<string> {
  // Batches of lines keep the stream's per-chunk overhead off 100,000-row writes.
  let batch = ''
  for (const row of rows) {
    batch += columns.map((name) => field(row[name])).join(',') + '\n'
    if (batch.length > 64 * 1024) {
      yield batch
      batch = ''
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Creates `table` (already quoted, not existing) with columns inferred from `rows` as
 * inferColumns does (TRB3008 for no rows or mixed kinds) and fills it through COPY.
 */
export async function copyRows(s: Statements, table: string, rows: readonly Row[]): Promise<void> {
  const columns = inferColumns(rows)
  const names = columns.map((c) => quoteIdentifier(c.name))
  await s.run(`create table ${table} (${columns.map((c, i) => `${names[i]} ${PG_TYPES[c.type]}`).join(', ')})`)
  try {
    const copy = s.client.query(copyFrom(`copy ${table} (${names.join(', ')}) from stdin with (format csv)`))
    await pipeline(Readable.from(csvLines(columns.map((c) => c.name), rows)), copy)
  } catch (error) {
    throw s.wrap(error)
  }
}
