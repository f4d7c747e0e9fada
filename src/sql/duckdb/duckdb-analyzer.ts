import { ParseCache } from '../parse-cache.js'
import type { SqlAnalysis, SqlAnalyzer } from '../sql-analysis.js'
import { serializeWithDuckDb } from './duckdb-parser.js'
import { tableReads, type AstNode } from './duckdb-tables.js'
import { columnLineage } from './duckdb-columns.js'

// Bump when what an analysis contains changes, so cached analyses from older code are not reused.
const ANALYSIS_VERSION = 3

/** SQL analysis by DuckDB's own parser (`json_serialize_sql` on an in-memory database), cached by statement hash. */
export class DuckDbSqlAnalyzer implements SqlAnalyzer {
  readonly dialect = `duckdb/${ANALYSIS_VERSION}`
  /** How many statements this analyzer sent to the parser (cache misses). */
  parsed = 0

  /** Default cache: one per process, shared by every analyzer made without one. */
  constructor(readonly cache: ParseCache = sharedCache) {}

  /** Analyses each statement, parsing only those not cached (in one batch). */
  analyze(statements: readonly string[]): SqlAnalysis[] {
    const keys = statements.map((sql) => ParseCache.key(this.dialect, sql))
    const missing = new Map<string, string>()
    keys.forEach((key, i) => {
      if (this.cache.get(key) === undefined) missing.set(key, statements[i]!)
    })
    if (missing.size > 0) {
      const documents = serializeWithDuckDb([...missing.values()])
      this.parsed += missing.size
      let i = 0
      for (const [key, sql] of missing) this.cache.set(key, analyseDocument(documents[i++]!, sql))
    }
    return keys.map((key) => this.cache.get(key)!)
  }

  /** The cache keys of statements, for trimming the cache file to what a project uses. */
  keysOf(statements: readonly string[]): Set<string> {
    return new Set(statements.map((sql) => ParseCache.key(this.dialect, sql)))
  }
}

const sharedCache = new ParseCache()

/** Turns DuckDB's serialized parse of one statement into tables, files and column lineage, or its refusal. */
export function analyseDocument(document: string, sql: string): SqlAnalysis {
  const parsed = JSON.parse(document) as { error: boolean; error_message?: string; error_type?: string; position?: string; statements?: { node: AstNode }[] }
  if (parsed.error) {
    const offset = parsed.position === undefined ? undefined : Number(parsed.position)
    const notSelect = parsed.error_type === 'not implemented'
    return {
      ok: false,
      message: notSelect ? 'DuckDB analyses SELECT statements only (a PIVOT needs an IN list of its values)' : parsed.error_message ?? 'syntax error',
      ...(notSelect ? { notSelect } : {}),
      ...(offset !== undefined && Number.isFinite(offset) ? { position: lineAndColumn(sql, offset) } : {}),
    }
  }
  const statements = parsed.statements ?? []
  if (statements.length !== 1) return { ok: false, notSelect: true, message: `it holds ${statements.length} statements` }
  const node = statements[0]!.node
  const { tables, files } = tableReads(node)
  const { columns, filters } = columnLineage(node)
  return { ok: true, tables, files, columns, filters }
}

// DuckDB reports a byte offset into the UTF-8 text; editors count lines and characters from 1.
function lineAndColumn(sql: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(sql, 'utf8').subarray(0, byteOffset).toString('utf8')
  const lines = before.split('\n')
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 }
}
