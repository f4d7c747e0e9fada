import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { SAMPLE_SIZE } from './check-sql.js'
import type { CheckEvaluationContext } from './evaluate.js'

// DuckDB's own aliases (https://duckdb.org/docs/sql/data_types/overview), so a schema check
// written as `int` or `text` matches what information_schema reports as INTEGER or VARCHAR.
const ALIASES: Record<string, string> = {
  INT: 'INTEGER', INT4: 'INTEGER', SIGNED: 'INTEGER',
  INT8: 'BIGINT', LONG: 'BIGINT',
  INT2: 'SMALLINT', SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  FLOAT8: 'DOUBLE', 'DOUBLE PRECISION': 'DOUBLE',
  FLOAT4: 'FLOAT', REAL: 'FLOAT',
  BOOL: 'BOOLEAN', LOGICAL: 'BOOLEAN',
  TEXT: 'VARCHAR', STRING: 'VARCHAR', CHAR: 'VARCHAR', BPCHAR: 'VARCHAR', 'CHARACTER VARYING': 'VARCHAR',
  DATETIME: 'TIMESTAMP', 'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  NUMERIC: 'DECIMAL',
}

/** Upper-cases a type name and maps aliases to DuckDB's canonical names; VARCHAR(n) is VARCHAR. */
function normalizeType(type: string): string {
  const upper = type.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*\(\s*/g, '(').replace(/\s*,\s*/g, ',').replace(/\s*\)/g, ')')
  const [, base = upper, size = ''] = /^([A-Z0-9_ ]+?)(\(.*\))?$/.exec(upper) ?? []
  const canonical = ALIASES[base] ?? base
  return canonical === 'VARCHAR' ? canonical : `${canonical}${size}`
}

/** Whether an actual column type satisfies the expected one; a bare DECIMAL accepts any precision. */
export function typeMatches(expected: string, actual: string): boolean {
  const want = normalizeType(expected)
  const have = normalizeType(actual)
  return want === have || (want === 'DECIMAL' && have.startsWith('DECIMAL('))
}

/** Splits `"schema"."name"` (or unquoted `schema.name`) into its parts. */
function splitRelation(relation: string): { schema: string; name: string } {
  const quoted = /^"((?:[^"]|"")*)"\."((?:[^"]|"")*)"$/.exec(relation)
  if (quoted) return { schema: quoted[1]!.replaceAll('""', '"'), name: quoted[2]!.replaceAll('""', '"') }
  const plain = /^([A-Za-z_][\w$]*)\.([A-Za-z_][\w$]*)$/.exec(relation)
  if (plain) return { schema: plain[1]!, name: plain[2]! }
  throw new TributaryError(ErrorCode.InvalidCheck, `the schema check needs a schema-qualified relation, got ${relation}`)
}

/** The columns of the checked relation, in order, with DuckDB's type names. */
export async function relationColumns(ctx: CheckEvaluationContext): Promise<{ name: string; type: string }[]> {
  const { schema: schemaName, name } = splitRelation(ctx.relation)
  const found = await ctx.warehouse.query(
    `select column_name, data_type from information_schema.columns
     where lower(table_schema) = lower($1) and lower(table_name) = lower($2) order by ordinal_position`,
    [schemaName, name],
  )
  return found.map((row) => ({ name: String(row.column_name), type: String(row.data_type) }))
}

/** One column that differs from the expected schema. */
interface ColumnProblem {
  readonly column: string
  /** null when the column is not expected. */
  readonly expected: string | null
  /** null when the column is missing. */
  readonly actual: string | null
}

function describe(problem: ColumnProblem): string {
  if (problem.actual === null) return `missing column ${problem.column}`
  if (problem.expected === null) return `unexpected column ${problem.column} (${problem.actual})`
  return `${problem.column} is ${problem.actual}, expected ${problem.expected}`
}

/**
 * schema: the relation has each expected column with a matching type (case-insensitive, DuckDB
 * aliases understood); with `exact`, no others. Names match case-insensitively, as in DuckDB.
 */
export async function schema(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const { columns: expected, exact } = check.args as { columns: Record<string, string>; exact: boolean }
  const found = await relationColumns(ctx)
  if (found.length === 0) return { passed: false, message: `${ctx.relation} does not exist or has no columns` }
  const actual = new Map(found.map((row) => [row.name.toLowerCase(), { column: row.name, type: row.type }]))
  const problems: ColumnProblem[] = []
  for (const [column, type] of Object.entries(expected)) {
    const have = actual.get(column.toLowerCase())
    if (!have) problems.push({ column, expected: type, actual: null })
    else if (!typeMatches(type, have.type)) problems.push({ column, expected: type, actual: have.type })
  }
  if (exact) {
    const wanted = new Set(Object.keys(expected).map((column) => column.toLowerCase()))
    for (const [key, have] of actual) if (!wanted.has(key)) problems.push({ column: have.column, expected: null, actual: have.type })
  }
  if (problems.length === 0) return { passed: true, message: `all ${Object.keys(expected).length} expected columns match${exact ? ', and no others' : ''}` }
  return { passed: false, sample: problems.slice(0, SAMPLE_SIZE).map((p) => ({ ...p })), message: problems.map(describe).join('; ') }
}
