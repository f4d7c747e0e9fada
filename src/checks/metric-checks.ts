import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import { literal, percent, quoteIdentifier as q } from './check-sql.js'
import type { CheckEvaluationContext } from './evaluate.js'

// Checks on a number the business reads: an aggregate of the checked rows, judged as a whole.

/** The value of `sql` (an aggregate) over `relation`; undefined when it is null (no rows, say). */
async function metric(ctx: CheckEvaluationContext, relation: string, sql: string, partition?: { readonly column: string; readonly key: string }): Promise<number | undefined> {
  // A partition's rows as publishing replaces them: by the text of its partition column.
  const where = partition ? ` where cast(${q(partition.column)} as varchar) = $1` : ''
  const [row] = await ctx.warehouse.query(`select (${sql.replace(/[\s;]+$/, '')}) as __trb_metric from ${relation}${where}`, partition ? [partition.key] : [])
  const value = row?.__trb_metric
  if (value === null || value === undefined) return undefined
  const number = typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' ? Number(value) : Number.NaN
  if (Number.isNaN(number)) throw new NotANumber(`${sql} is ${literal(value)}, not a number: write an aggregate that returns one`)
  return number
}

// A metric that is no number (a text column's max) fails its check, saying so.
class NotANumber extends Error {}

function judged(evaluate: (check: CheckDefinition, ctx: CheckEvaluationContext) => Promise<CheckOutcome>) {
  return async (check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> => {
    try {
      return await evaluate(check, ctx)
    } catch (error) {
      if (error instanceof NotANumber) return { passed: false, message: error.message }
      throw error
    }
  }
}

const shown = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 4 })

/** metric_range: the aggregate lies within [min, max]. */
export const metricRange = judged(async (check, ctx) => {
  const { sql, min, max } = check.args as { sql: string; min?: number; max?: number }
  const value = await metric(ctx, ctx.relation, sql)
  if (value === undefined) return { passed: false, message: `${sql} is null (no rows to aggregate?)` }
  if (min !== undefined && value < min) return { passed: false, message: `${sql} is ${shown(value)}, below the minimum of ${shown(min)}` }
  if (max !== undefined && value > max) return { passed: false, message: `${sql} is ${shown(value)}, above the maximum of ${shown(max)}` }
  return { passed: true, message: `${sql} is ${shown(value)}, within ${min === undefined ? '-∞' : shown(min)}..${max === undefined ? '∞' : shown(max)}` }
})

/** metric_change: the aggregate moved by at most the allowed fractions against the published data (of the same partition). */
export const metricChange = judged(async (check, ctx) => {
  const { sql, maxDecrease, maxIncrease } = check.args as { sql: string; maxDecrease?: number; maxIncrease?: number }
  const published = ctx.resolveRelation(ctx.assetKey)
  if (ctx.previousRowCount === undefined || published === undefined) return { passed: true, message: 'no previous materialization to compare with' }
  const [before, now] = await Promise.all([metric(ctx, published, sql, ctx.partition), metric(ctx, ctx.relation, sql)])
  if (now === undefined) return { passed: false, message: `${sql} is null (no rows to aggregate?)` }
  if (before === undefined) return { passed: true, message: `nothing published${ctx.partition ? ' of this partition' : ''} to compare with (${sql} is ${shown(now)})` }
  const change = `${shown(before)} → ${shown(now)}`
  // No ratio against nothing: a first real value must not fail on it.
  if (before === 0) return { passed: true, message: `${sql}: ${change}; no ratio against 0` }
  const fraction = (now - before) / Math.abs(before)
  if (maxDecrease !== undefined && -fraction > maxDecrease) return { passed: false, message: `${sql} fell ${percent(-fraction)} (${change}); at most ${percent(maxDecrease)} allowed` }
  if (maxIncrease !== undefined && fraction > maxIncrease) return { passed: false, message: `${sql} rose ${percent(fraction)} (${change}); at most ${percent(maxIncrease)} allowed` }
  return { passed: true, message: `${sql} changed ${fraction >= 0 ? '+' : '-'}${percent(Math.abs(fraction))} (${change})` }
})

/** reconcile: the aggregate equals the other asset's, within the tolerance (a fraction of the other's value). */
export const reconcile = judged(async (check, ctx) => {
  const { sql, to, otherSql, tolerance } = check.args as { sql: string; to: string; otherSql: string; tolerance: number }
  const other = ctx.resolveRelation(to)
  if (other === undefined) return { passed: false, message: `cannot reconcile with ${to}: it has no warehouse relation` }
  const [mine, theirs] = await Promise.all([metric(ctx, ctx.relation, sql), metric(ctx, other, otherSql)])
  const pair = `${sql} = ${mine === undefined ? 'null' : shown(mine)}, ${to}.${otherSql} = ${theirs === undefined ? 'null' : shown(theirs)}`
  if (mine === undefined || theirs === undefined) return { passed: mine === theirs, message: mine === theirs ? `both null (${pair})` : `one side is null (${pair})` }
  const off = Math.abs(mine - theirs)
  const allowed = tolerance * Math.abs(theirs)
  if (off > allowed) return { passed: false, message: `${pair}: off by ${shown(off)}${tolerance > 0 ? `, more than ${percent(tolerance)}` : ''}` }
  return { passed: true, message: off === 0 ? `${pair}: equal` : `${pair}: off by ${shown(off)}, within ${percent(tolerance)}` }
})
