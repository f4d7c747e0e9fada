import type { AnyNode } from '../model/asset.js'
import type { CheckContext, CheckDefinition, CheckOptions, CheckOutcome } from '../model/check.js'
import { tryParseDuration, type Duration } from '../model/duration.js'

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/

function build(type: string, defaultName: string, args: Record<string, unknown>, problems: string[], options: CheckOptions = {}, extra: Partial<CheckDefinition> = {}): CheckDefinition {
  const severity = options.severity ?? 'error'
  if (severity !== 'error' && severity !== 'warn') problems.push(`severity must be 'warn' or 'error', got ${JSON.stringify(severity)}`)
  return Object.freeze({
    name: options.name ?? defaultName,
    type,
    severity,
    blocking: options.blocking ?? severity === 'error',
    args: Object.freeze(args),
    problems: Object.freeze(problems),
    references: Object.freeze([...(extra.references ?? [])]),
    ...(extra.evaluate ? { evaluate: extra.evaluate } : {}),
  })
}

function columnProblems(columns: readonly unknown[]): string[] {
  if (columns.length === 0) return ['name at least one column']
  return columns.filter((c) => typeof c !== 'string' || !COLUMN.test(c)).map((c) => `${JSON.stringify(c)} is not a column name`)
}

/** Every value of each column is present. */
export function notNull(columns: string | readonly string[], options?: CheckOptions): CheckDefinition {
  const list = typeof columns === 'string' ? [columns] : [...columns]
  return build('not_null', `not_null(${list.join(', ')})`, { columns: list }, columnProblems(list), options)
}

/** No two rows share the same values in these columns together. */
export function unique(columns: string | readonly string[], options?: CheckOptions): CheckDefinition {
  const list = typeof columns === 'string' ? [columns] : [...columns]
  return build('unique', `unique(${list.join(', ')})`, { columns: list }, columnProblems(list), options)
}

/** Every non-null value of the column is one of `values`. */
export function acceptedValues(column: string, values: readonly (string | number | boolean)[], options?: CheckOptions): CheckDefinition {
  const problems = columnProblems([column])
  if (!Array.isArray(values) || values.length === 0) problems.push('list at least one accepted value')
  return build('accepted_values', `accepted_values(${column})`, { column, values: [...(values ?? [])] }, problems, options)
}

/** Every non-null value of `column` exists in `field` of another asset (a foreign key). */
export function relationships(column: string, target: { to: AnyNode | string; field: string }, options?: CheckOptions): CheckDefinition {
  const to = typeof target?.to === 'string' ? target.to : target?.to?.key
  const problems = columnProblems([column, target?.field])
  if (typeof to !== 'string' || to === '') problems.push('`to` must be an asset or its key')
  return build('relationships', `relationships(${column} → ${to}.${target?.field})`, { column, to, field: target?.field }, problems, options, { references: typeof to === 'string' && to !== '' ? [to] : [] })
}

/** The row count is within [min, max]. */
export function rowCount(range: { min?: number; max?: number }, options?: CheckOptions): CheckDefinition {
  const problems: string[] = []
  const { min, max } = range ?? {}
  if (min === undefined && max === undefined) problems.push('give min, max or both')
  for (const [name, value] of [['min', min], ['max', max]] as const) if (value !== undefined && !(Number.isInteger(value) && value >= 0)) problems.push(`${name} must be a whole number ≥ 0, got ${value}`)
  if (min !== undefined && max !== undefined && min > max) problems.push(`min (${min}) is greater than max (${max})`)
  return build('row_count', `row_count(${min ?? ''}..${max ?? ''})`, { min, max }, problems, options)
}

// Limits of a change against the previous materialization, as fractions (0.2 = 20%).
function changeProblems(maxDecrease: number | undefined, maxIncrease: number | undefined): string[] {
  const problems: string[] = []
  if (maxDecrease === undefined && maxIncrease === undefined) problems.push('give maxDecrease, maxIncrease or both')
  if (maxDecrease !== undefined && !(maxDecrease >= 0 && maxDecrease <= 1)) problems.push(`maxDecrease must be between 0 and 1, got ${maxDecrease}`)
  if (maxIncrease !== undefined && !(maxIncrease >= 0)) problems.push(`maxIncrease must be ≥ 0, got ${maxIncrease}`)
  return problems
}

/** The row count changed by at most these fractions against the previous materialization (0.5 = 50%). */
export function volumeChange(limits: { maxDecrease?: number; maxIncrease?: number }, options?: CheckOptions): CheckDefinition {
  const { maxDecrease, maxIncrease } = limits ?? {}
  return build('volume_change', 'volume_change', { maxDecrease, maxIncrease }, changeProblems(maxDecrease, maxIncrease), options)
}

/** The newest value of a timestamp column is at most `maxAge` old. */
export function recency(column: string, maxAge: Duration, options?: CheckOptions): CheckDefinition {
  const problems = columnProblems([column])
  if (tryParseDuration(maxAge) === undefined) problems.push(`maxAge ${JSON.stringify(maxAge)} is not a duration`)
  return build('recency', `recency(${column})`, { column, maxAge }, problems, options)
}

/** The output has these columns with these types (DuckDB type names); `exact` forbids others. */
export function schema(columns: Readonly<Record<string, string>>, options?: CheckOptions & { exact?: boolean }): CheckDefinition {
  const names = Object.keys(columns ?? {})
  const problems = columnProblems(names)
  for (const [name, type] of Object.entries(columns ?? {})) if (typeof type !== 'string' || type === '') problems.push(`type of ${name} must be a type name`)
  return build('schema', 'schema', { columns: { ...columns }, exact: options?.exact ?? false }, problems, options)
}

// An aggregate over the checked rows, as a select list item: `sum(amount)`, `count(distinct customer_id)`.
function metricProblems(sql: unknown): string[] {
  if (typeof sql !== 'string' || sql.trim() === '') return ['give the metric as a SQL aggregate, e.g. \'sum(amount)\'']
  return /;/.test(sql) ? [`the metric ${JSON.stringify(sql)} must be one expression, without ';'`] : []
}

function rangeProblems(min: unknown, max: unknown): string[] {
  const problems: string[] = []
  if (min === undefined && max === undefined) problems.push('give min, max or both')
  for (const [name, value] of [['min', min], ['max', max]] as const) if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) problems.push(`${name} must be a number, got ${String(value)}`)
  if (typeof min === 'number' && typeof max === 'number' && min > max) problems.push(`min (${min}) is greater than max (${max})`)
  return problems
}

/**
 * A number that must make business sense: an aggregate of the output (`sum(amount)`,
 * `avg(discount)`, `count(distinct country)`) lies within [min, max].
 */
export function metricRange(sql: string, range: { min?: number; max?: number }, options?: CheckOptions): CheckDefinition {
  const { min, max } = range ?? {}
  return build('metric_range', `metric_range(${sql})`, { sql, min, max }, [...metricProblems(sql), ...rangeProblems(min, max)], options)
}

/**
 * An aggregate of the output moved by at most these fractions (0.3 = 30%) against the data
 * published before (of the same partition): revenue that halves overnight is held back.
 */
export function metricChange(sql: string, limits: { maxDecrease?: number; maxIncrease?: number }, options?: CheckOptions): CheckDefinition {
  const { maxDecrease, maxIncrease } = limits ?? {}
  return build('metric_change', `metric_change(${sql})`, { sql, maxDecrease, maxIncrease }, [...metricProblems(sql), ...changeProblems(maxDecrease, maxIncrease)], options)
}

/**
 * An aggregate of the output equals one of another asset's published data (`sql` there too,
 * unless `with.sql` says otherwise), within `tolerance`, a fraction of the other's value
 * (Default: 0, exactly): the revenue mart's total matches the payments it was built from.
 */
export function reconcile(sql: string, other: { with: AnyNode | string; sql?: string }, options?: CheckOptions & { tolerance?: number }): CheckDefinition {
  const to = typeof other?.with === 'string' ? other.with : other?.with?.key
  const otherSql = other?.sql ?? sql
  const problems = [...metricProblems(sql), ...(otherSql === sql ? [] : metricProblems(otherSql))]
  if (typeof to !== 'string' || to === '') problems.push('`with` must be an asset or its key')
  const tolerance = options?.tolerance ?? 0
  if (!(typeof tolerance === 'number' && tolerance >= 0)) problems.push(`tolerance must be a fraction ≥ 0, got ${String(tolerance)}`)
  return build('reconcile', `reconcile(${sql} = ${to}.${otherSql})`, { sql, to, otherSql, tolerance }, problems, options, { references: typeof to === 'string' && to !== '' ? [to] : [] })
}

/** A SQL query whose returned rows are failures. `{{ this }}` stands for the relation being checked. */
export function customSql(name: string, sql: string, options?: CheckOptions): CheckDefinition {
  const problems: string[] = []
  if (typeof sql !== 'string' || !/\{\{\s*this\s*\}\}/.test(sql)) problems.push('the SQL must read the checked relation as {{ this }}')
  return build('custom_sql', name, { sql }, problems, { ...options, name: options?.name ?? name })
}

/** A TypeScript check: returns whether the output passed. */
export function check(name: string, evaluate: (ctx: CheckContext) => Promise<CheckOutcome> | CheckOutcome, options?: CheckOptions): CheckDefinition {
  const problems = typeof evaluate === 'function' ? [] : ['give an evaluate function']
  return build('custom', name, {}, problems, { ...options, name: options?.name ?? name }, { evaluate: async (ctx) => evaluate(ctx) })
}
