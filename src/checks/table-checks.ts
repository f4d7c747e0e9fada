import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import { formatDuration, parseDuration, type Duration } from '../model/duration.js'
import { literal, percent, quoteIdentifier as q, rows } from './check-sql.js'
import type { CheckEvaluationContext } from './evaluate.js'

// Checks that judge the relation as a whole: no row is at fault, so there is no sample.

async function countRows(ctx: CheckEvaluationContext): Promise<number> {
  const [row] = await ctx.warehouse.query(`select count(*) as n from ${ctx.relation}`)
  return Number(row?.n ?? 0)
}

/** row_count: the number of rows is within [min, max]. */
export async function rowCount(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const { min, max } = check.args as { min?: number; max?: number }
  const count = await countRows(ctx)
  if (min !== undefined && count < min) return { passed: false, message: `${rows(count)}, fewer than the minimum of ${min}` }
  if (max !== undefined && count > max) return { passed: false, message: `${rows(count)}, more than the maximum of ${max}` }
  return { passed: true, message: `${rows(count)}, within ${min ?? 0}..${max ?? '∞'}` }
}

/** volume_change: the row count moved by at most the allowed fractions since the previous materialization. */
export async function volumeChange(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const { maxDecrease, maxIncrease } = check.args as { maxDecrease?: number; maxIncrease?: number }
  const previous = ctx.previousRowCount
  if (previous === undefined) return { passed: true, message: 'no previous materialization to compare with' }
  const count = await countRows(ctx)
  const change = `${previous.toLocaleString('en-US')} → ${count.toLocaleString('en-US')} rows`
  // Any growth from an empty table is an infinite ratio; first real loads must not fail on it.
  if (previous === 0) return { passed: true, message: `${change}; no ratio against an empty previous materialization` }
  const fraction = (count - previous) / previous
  if (maxDecrease !== undefined && -fraction > maxDecrease) {
    return { passed: false, message: `row count fell ${percent(-fraction)} (${change}); at most ${percent(maxDecrease)} allowed` }
  }
  if (maxIncrease !== undefined && fraction > maxIncrease) {
    return { passed: false, message: `row count rose ${percent(fraction)} (${change}); at most ${percent(maxIncrease)} allowed` }
  }
  return { passed: true, message: `row count changed ${fraction >= 0 ? '+' : '-'}${percent(Math.abs(fraction))} (${change})` }
}

const NAIVE = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/

/** Reads a warehouse value as an instant; text without a zone is taken as UTC, like naive timestamps. */
function instant(value: unknown): Date | undefined {
  let parsed: Date
  if (value instanceof Date) parsed = value
  else if (typeof value === 'number') parsed = new Date(value)
  else if (typeof value === 'string' && NAIVE.test(value.trim())) {
    const text = value.trim()
    parsed = new Date(text.length === 10 ? `${text}T00:00:00Z` : `${text.replace(' ', 'T')}Z`)
  } else if (typeof value === 'string') parsed = new Date(value)
  else return undefined
  return Number.isNaN(parsed.getTime()) ? undefined : parsed
}

/** recency: the newest value of a timestamp column is at most `maxAge` older than `now`. */
export async function recency(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const { column, maxAge } = check.args as { column: string; maxAge: Duration }
  const limit = parseDuration(maxAge, `recency(${column}) maxAge`)
  const [row] = await ctx.warehouse.query(`select max(${q(column)}) as newest from ${ctx.relation}`)
  const raw = row?.newest
  if (raw === null || raw === undefined) return { passed: false, message: `${column} has no values` }
  const newest = instant(raw)
  if (newest === undefined) return { passed: false, message: `the newest ${column}, ${literal(raw)}, is not a time` }
  const age = ctx.now.getTime() - newest.getTime()
  const described = `the newest ${column} (${newest.toISOString()}) is ${formatDuration(Math.max(age, 0))} old`
  return age > limit
    ? { passed: false, message: `${described}; at most ${formatDuration(limit)} allowed` }
    : { passed: true, message: described }
}
