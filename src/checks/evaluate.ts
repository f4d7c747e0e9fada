import type { CheckContext, CheckDefinition, CheckOutcome } from '../model/check.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { firstLine } from './check-sql.js'
import { acceptedValues, customSql, notNull, relationships, unique } from './row-checks.js'
import { schema } from './schema-check.js'
import { contract } from './contract-check.js'
import { recency, rowCount, volumeChange } from './table-checks.js'
import { metricChange, metricRange, reconcile } from './metric-checks.js'

/** What evaluating a check needs: the check context plus a way to find other assets' tables. */
export interface CheckEvaluationContext extends CheckContext {
  /** The quoted, published relation of another asset (for relationships), or undefined when it has none. */
  resolveRelation(assetKey: string): string | undefined
  /** The partition being checked, and the column that holds it; absent for an unpartitioned asset. */
  readonly partition?: { readonly column: string; readonly key: string }
}

/** Evaluates one check type. */
type Evaluator = (check: CheckDefinition, ctx: CheckEvaluationContext) => Promise<CheckOutcome>

const EVALUATORS: ReadonlyMap<string, Evaluator> = new Map(Object.entries({
  not_null: notNull,
  unique,
  accepted_values: acceptedValues,
  relationships,
  row_count: rowCount,
  volume_change: volumeChange,
  recency,
  schema,
  contract,
  custom_sql: customSql,
  metric_range: metricRange,
  metric_change: metricChange,
  reconcile,
  custom,
}))

// A query that fails the same way every time (a missing column, a type mismatch) is a finding
// about the data or the check, so it fails the check. A transient failure must reach the
// engine instead, which retries the step: check failures themselves never retry.
function isDeterministicQueryFailure(error: unknown): error is TributaryError {
  return error instanceof TributaryError && error.code === ErrorCode.WarehouseQuery && !error.retryable
}

/** The most specific one-line reason in an error: a warehouse error's own cause says the most. */
function reasonOf(error: unknown): string {
  if (error instanceof TributaryError) return firstLine(error.cause instanceof Error ? error.cause.message : error.detail)
  return firstLine(error instanceof Error ? error.message : String(error))
}

async function custom(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  if (!check.evaluate) throw new TributaryError(ErrorCode.InvalidCheck, `custom check ${check.name} has no evaluate function`)
  let outcome: CheckOutcome
  try {
    outcome = await check.evaluate(ctx)
  } catch (error) {
    // The user's check code failing is the check failing, unless a retry could help.
    if (error instanceof TributaryError && error.retryable) throw error
    return { passed: false, message: `the check threw: ${reasonOf(error)}` }
  }
  if (typeof outcome?.passed !== 'boolean') return { passed: false, message: `the check returned ${JSON.stringify(outcome)}, not { passed: boolean }` }
  return outcome
}

/**
 * Runs a check against `ctx.relation`. A check whose query fails deterministically comes back
 * failed with DuckDB's reason; transient warehouse errors, unknown types and checks with
 * definition problems throw (validation reports those before anything runs).
 */
export async function evaluateCheck(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  if (check.problems.length > 0) {
    throw new TributaryError(ErrorCode.InvalidCheck, `check ${check.name} of ${ctx.assetKey} is invalid: ${check.problems.join('; ')}`, { context: { assetKey: ctx.assetKey } })
  }
  const evaluator = EVALUATORS.get(check.type)
  if (!evaluator) {
    throw new TributaryError(ErrorCode.InvalidCheck, `check ${check.name} of ${ctx.assetKey} has unknown type ${check.type}`, { context: { assetKey: ctx.assetKey } })
  }
  try {
    return await evaluator(check, ctx)
  } catch (error) {
    if (isDeterministicQueryFailure(error)) return { passed: false, message: `could not run the check: ${reasonOf(error)}` }
    throw error
  }
}
