import sqlParser from 'node-sql-parser'
import { DefinitionError, ErrorCode } from '../model/errors.js'

const parser = new sqlParser.Parser()
// DuckDB's dialect is closest to PostgreSQL's among those the parser knows.
const OPTIONS = { database: 'PostgresQL' } as const

/** A table a query reads: `schema` is null when the SQL did not qualify it. */
export interface TableRef {
  readonly schema: string | null
  readonly name: string
}

/**
 * The tables one SELECT reads, without CTE names, sorted by schema and name.
 * Throws TRB1005 with the line and column of a syntax error, or when the SQL is not one SELECT.
 */
export function referencedTables(sql: string, assetKey?: string): TableRef[] {
  let ast: unknown
  try {
    ast = parser.astify(sql, OPTIONS)
  } catch (error) {
    const location = (error as { location?: { start?: { line: number; column: number } } }).location?.start
    const where = location ? ` at line ${location.line}, column ${location.column}` : ''
    throw new DefinitionError(ErrorCode.SqlSyntax, `SQL of ${assetKey ?? 'the query'} does not parse${where}: ${firstLine(error)}`, {
      cause: error,
      context: { ...(assetKey ? { assetKey } : {}), ...(location ? { position: { line: location.line, column: location.column } } : {}) },
      hint: 'Fix the SQL near that position; a SQL asset is a single SELECT statement.',
    })
  }
  const statements = Array.isArray(ast) ? ast : [ast]
  const first = statements[0] as { type?: string } | undefined
  if (statements.length !== 1 || first?.type !== 'select') {
    throw new DefinitionError(ErrorCode.SqlSyntax, `SQL of ${assetKey ?? 'the query'} must be exactly one SELECT statement, found ${statements.map((s) => (s as { type?: string }).type ?? '?').join(', ')}`, {
      context: assetKey ? { assetKey } : {},
      hint: 'Write only the SELECT; Tributary creates, checks and publishes the table itself.',
    })
  }
  const cteNames = new Set<string>()
  const tables: TableRef[] = []
  const seen = new Set<string>()
  collect(first, cteNames, tables, seen)
  return tables
    .filter((t) => !(t.schema === null && cteNames.has(t.name.toLowerCase())))
    .sort((a, b) => `${a.schema ?? ''}.${a.name}`.localeCompare(`${b.schema ?? ''}.${b.name}`))
}

// Walks the AST: `from` entries with a `table` field are table reads; `with` entries name CTEs.
function collect(node: unknown, ctes: Set<string>, out: TableRef[], seen: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, ctes, out, seen)
    return
  }
  if (node === null || typeof node !== 'object') return
  const record = node as Record<string, unknown>
  if (Array.isArray(record.with)) {
    for (const cte of record.with as { name?: { value?: string } | string }[]) {
      const name = typeof cte.name === 'string' ? cte.name : cte.name?.value
      if (name) ctes.add(name.toLowerCase())
    }
  }
  if (Array.isArray(record.from)) {
    for (const entry of record.from as Record<string, unknown>[]) {
      if (typeof entry.table === 'string') {
        const schema = typeof entry.db === 'string' && entry.db !== '' ? entry.db : null
        const id = `${schema ?? ''}.${entry.table}`
        if (!seen.has(id)) {
          seen.add(id)
          out.push({ schema, name: entry.table })
        }
      }
    }
  }
  for (const value of Object.values(record)) if (value !== null && typeof value === 'object') collect(value, ctes, out, seen)
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n')[0] ?? message
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
