import pg from 'pg'

// Values come back as DuckDB's do (duckdb-values.ts): bigints as numbers when exact (else
// strings), numerics as numbers, timestamps without time zone read as UTC, dates as UTC midnight.
const INT8 = 20
const NUMERIC = 1700
const DATE = 1082
const TIMESTAMP = 1114

function bigint(text: string): number | string {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : text
}

function utc(text: string): Date | string {
  if (text === 'infinity' || text === '-infinity') return text
  const date = new Date(`${text.replace(' ', 'T')}Z`)
  return Number.isNaN(date.getTime()) ? text : date
}

/** pg's type parsers with Tributary's conversions; pass as `types` to a pool or client. */
export const warehouseTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === 'binary') return pg.types.getTypeParser(oid, format)
    if (oid === INT8) return bigint
    if (oid === NUMERIC) return (text: string) => (text === 'NaN' ? text : Number(text))
    if (oid === DATE) return (text: string) => utc(`${text} 00:00:00`)
    if (oid === TIMESTAMP) return utc
    return pg.types.getTypeParser(oid, 'text')
  },
} as pg.CustomTypesConfig

/** Parameters for pg: Dates as ISO UTC text, so `timestamp` columns keep UTC whatever the server's zone. */
export function toPgParams(params: readonly unknown[]): unknown[] {
  return params.map((value) => (value instanceof Date ? value.toISOString() : value))
}
