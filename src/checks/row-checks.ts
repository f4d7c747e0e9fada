import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import { SAMPLE_SIZE, failingRows, literal, quoteIdentifier as q, rowOutcome, rows, rowsHave } from './check-sql.js'
import type { CheckEvaluationContext } from './evaluate.js'

// Checks that judge each row on its own: a failing row is a row, and the sample shows them.

const CHECKED = '__trb_checked'

function checked(ctx: CheckEvaluationContext): string {
  return `${ctx.relation} as ${CHECKED}`
}

/** not_null: rows where any listed column is null. */
export async function notNull(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const columns = check.args.columns as string[]
  const found = await failingRows(ctx.warehouse, checked(ctx), columns.map((c) => `${q(c)} is null`).join(' or '))
  const what = columns.length === 1 ? `null ${columns[0]}` : `a null in ${columns.join(' or ')}`
  return rowOutcome(found, `${rowsHave(found.count)} ${what}`)
}

/**
 * unique: rows whose key occurs more than once. Rows with a null in the key are ignored, as a
 * SQL UNIQUE constraint ignores them (not_null is the check for those). The sample holds the
 * duplicated keys with how often each occurs, which says more than the copies themselves.
 */
export async function unique(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const columns = check.args.columns as string[]
  const key = columns.map(q).join(', ')
  const found = await ctx.warehouse.query(
    `select ${key}, count(*) as __trb_occurrences, sum(count(*)) over () as __trb_rows, count(*) over () as __trb_keys
     from ${checked(ctx)} where ${columns.map((c) => `${q(c)} is not null`).join(' and ')}
     group by ${key} having count(*) > 1 order by count(*) desc limit ${SAMPLE_SIZE}`,
  )
  const count = Number(found[0]?.__trb_rows ?? 0)
  const keys = Number(found[0]?.__trb_keys ?? 0)
  const sample = found.map(({ __trb_occurrences, __trb_rows: _rows, __trb_keys: _keys, ...row }) => ({ ...row, occurrences: Number(__trb_occurrences) }))
  const what = columns.length === 1 ? `${columns[0]} value` : `(${columns.join(', ')}) combination`
  const message = count === 0 ? `no duplicated ${what}s` : `${rows(count)} share ${keys} duplicated ${what}${keys === 1 ? '' : 's'}`
  return { passed: count === 0, failingRows: count, sample, message }
}

/** accepted_values: rows whose non-null value is not in the list; values are bound as parameters. */
export async function acceptedValues(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const column = check.args.column as string
  const values = check.args.values as readonly unknown[]
  const placeholders = values.map((_, index) => `$${index + 1}`).join(', ')
  const found = await failingRows(ctx.warehouse, checked(ctx), `${q(column)} is not null and ${q(column)} not in (${placeholders})`, values)
  const seen = [...new Set(found.sample.map((row) => literal(row[column])))]
  const examples = seen.length === 0 ? '' : ` (found ${seen.join(', ')}${found.count > seen.length ? ', …' : ''})`
  return rowOutcome(found, `${rowsHave(found.count)} ${column} outside the accepted values${examples}`)
}

/** relationships: rows whose non-null value has no match in the other asset's published relation. */
export async function relationships(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const { column, to, field } = check.args as { column: string; to: string; field: string }
  const parent = ctx.resolveRelation(to)
  if (parent === undefined) return { passed: false, message: `cannot check against ${to}: it has no warehouse relation` }
  const found = await failingRows(
    ctx.warehouse,
    checked(ctx),
    `${CHECKED}.${q(column)} is not null and not exists (select 1 from ${parent} as __trb_parent where __trb_parent.${q(field)} = ${CHECKED}.${q(column)})`,
  )
  return rowOutcome(found, `${rowsHave(found.count)} ${column} missing from ${to}.${field}`)
}

/** custom_sql: every row the query returns is a failure; `{{ this }}` becomes the checked relation. */
export async function customSql(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  // A trailing semicolon is natural to write but breaks the query once it is a subquery.
  const sql = (check.args.sql as string).replace(/\{\{\s*this\s*\}\}/g, () => ctx.relation).replace(/[\s;]+$/, '')
  const found = await failingRows(ctx.warehouse, `(${sql}) as __trb_failures`)
  return rowOutcome(found, found.count === 0 ? 'the query returned no rows' : `the query returned ${rows(found.count)}`)
}
