import type { CheckOutcome } from '../model/check.js'
import type { Row, WarehouseQueries } from '../model/context.js'

/** How many failing rows an outcome carries as its sample. */
export const SAMPLE_SIZE = 5

const FAILING = '__trb_failing'

/** Quotes one identifier; column names are validated when the check is built, quoting is belt and braces. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** The failing rows of a query: how many there are, and the first few without helper columns. */
export interface FailingRows {
  readonly count: number
  readonly sample: Row[]
}

/**
 * Runs `select * from (<from>) where <where>`, counting every match and keeping a sample, in
 * one scan: the window count is computed before LIMIT cuts the rows.
 */
export async function failingRows(warehouse: WarehouseQueries, from: string, where = 'true', params: readonly unknown[] = []): Promise<FailingRows> {
  const rows = await warehouse.query(`select *, count(*) over () as ${FAILING} from ${from} where ${where} limit ${SAMPLE_SIZE}`, params)
  // Warehouses may return counts as bigint or string (PostgreSQL's bigint); Number() takes all.
  const count = rows.length === 0 ? 0 : Number(rows[0]![FAILING])
  return { count, sample: rows.map(({ [FAILING]: _count, ...row }) => row) }
}

/** A row-level outcome: passes when nothing fails. */
export function rowOutcome({ count, sample }: FailingRows, message: string): CheckOutcome {
  return { passed: count === 0, failingRows: count, sample, message }
}

/** "no rows have", "1 row has", "3 rows have". */
export function rowsHave(count: number): string {
  if (count === 0) return 'no rows have'
  return count === 1 ? '1 row has' : `${count.toLocaleString('en-US')} rows have`
}

/** "1 row", "3 rows". */
export function rows(count: number): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? 'row' : 'rows'}`
}

/** A fraction as a percentage for a message, to a tenth: 0.4567 → "45.7%". */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`
}

/** Formats a value for a message the way it would read in SQL: strings quoted, the rest bare. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value instanceof Date) return value.toISOString()
  return String(value)
}

/** The first line of an error message: DuckDB appends the SQL and a caret pointer below it. */
export function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim()
}
