import type { DuckDBAppender } from '@duckdb/node-api'
import { timestampValue } from '@duckdb/node-api'
import type { Row } from '../../model/context.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { dateMicros } from './duckdb-values.js'

/** The DuckDB column types rows are written as. */
export type RowColumnType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'TIMESTAMP'

/** A column of a table built from JS rows. */
export interface RowColumn {
  readonly name: string
  readonly type: RowColumnType
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.InvalidOutput, message, {
    hint: 'Give every column one kind of value (numbers, strings, booleans, Dates or null), or write the rows with SQL instead.',
  })
}

/** The type one value asks for, or undefined for null/undefined. */
function typeOfValue(value: unknown, column: string, row: number): RowColumnType | undefined {
  if (value === null || value === undefined) return undefined
  switch (typeof value) {
    case 'number':
      // Integers past 2^53 are not exact in JS anyway; DOUBLE says so honestly.
      return Number.isSafeInteger(value) ? 'BIGINT' : 'DOUBLE'
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) throw invalid(`column ${column} of row ${row + 1} holds ${value}, which does not fit a BIGINT`)
      return 'BIGINT'
    case 'boolean':
      return 'BOOLEAN'
    case 'string':
      return 'VARCHAR'
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(`column ${column} of row ${row + 1} holds an invalid Date`)
    return 'TIMESTAMP'
  }
  throw invalid(`column ${column} of row ${row + 1} holds ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; rows may only hold scalar values`)
}

function merge(current: RowColumnType | undefined, next: RowColumnType, column: string, row: number): RowColumnType {
  if (current === undefined || current === next) return next
  if ((current === 'BIGINT' && next === 'DOUBLE') || (current === 'DOUBLE' && next === 'BIGINT')) return 'DOUBLE'
  throw invalid(`column ${column} mixes ${current} and ${next} values (row ${row + 1})`)
}

/**
 * Infers columns from rows: every key of any row, in first-seen order; integers → BIGINT
 * (DOUBLE once any value has a fraction), booleans, strings → VARCHAR, Dates → TIMESTAMP
 * (UTC), columns that are only ever null → VARCHAR. Throws TRB3008 for no rows or mixed kinds.
 */
export function inferColumns(rows: readonly Row[]): RowColumn[] {
  if (rows.length === 0) throw invalid('cannot create a table from zero rows: there are no columns to infer')
  const types = new Map<string, RowColumnType | undefined>()
  rows.forEach((row, index) => {
    for (const [name, value] of Object.entries(row)) {
      const type = typeOfValue(value, name, index)
      const current = types.get(name)
      types.set(name, type === undefined ? current : merge(current, type, name, index))
    }
  })
  if (types.size === 0) throw invalid('cannot create a table from rows without any keys')
  return [...types].map(([name, type]) => ({ name, type: type ?? 'VARCHAR' }))
}

/** Appends rows to a table created with `columns`; missing keys become NULL. */
export function appendRows(appender: DuckDBAppender, columns: readonly RowColumn[], rows: readonly Row[]): void {
  for (const row of rows) {
    for (const { name, type } of columns) {
      const value = row[name]
      if (value === null || value === undefined) appender.appendNull()
      else if (type === 'BIGINT') appender.appendBigInt(BigInt(value as number | bigint))
      else if (type === 'DOUBLE') appender.appendDouble(Number(value))
      else if (type === 'BOOLEAN') appender.appendBoolean(value as boolean)
      else if (type === 'TIMESTAMP') appender.appendTimestamp(timestampValue(dateMicros(value as Date)))
      else appender.appendVarchar(value as string)
    }
    appender.endRow()
  }
}
