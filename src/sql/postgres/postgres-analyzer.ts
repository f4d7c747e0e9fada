import { loadModule, parseSync } from 'libpg-query'
import { ParseCache } from '../parse-cache.js'
import type { SqlAnalysis, SqlAnalyzer } from '../sql-analysis.js'
import { postgresLineage } from './postgres-lineage.js'

// Bump when what an analysis contains changes, so cached analyses from older code are not reused.
const ANALYSIS_VERSION = 1

/**
 * SQL analysis by PostgreSQL's own parser: libpg_query (PostgreSQL 18's parser compiled to
 * WebAssembly, no native build), cached by statement hash. The parser loads asynchronously
 * once per process, so make one with `PostgresSqlAnalyzer.load()`; analysing is synchronous after.
 */
export class PostgresSqlAnalyzer implements SqlAnalyzer {
  readonly dialect = `postgres-18/${ANALYSIS_VERSION}`
  /** How many statements this analyzer sent to the parser (cache misses). */
  parsed = 0

  private constructor(readonly cache: ParseCache) {}

  /** Loads the parser (once per process) and makes an analyzer. Default cache: one per process. */
  static async load(cache: ParseCache = sharedCache): Promise<PostgresSqlAnalyzer> {
    await loadModule()
    return new PostgresSqlAnalyzer(cache)
  }

  /** Analyses each statement, parsing only those not cached. */
  analyze(statements: readonly string[]): SqlAnalysis[] {
    return statements.map((sql) => {
      const key = ParseCache.key(this.dialect, sql)
      let analysis = this.cache.get(key)
      if (analysis === undefined) {
        this.parsed++
        analysis = analyse(sql)
        this.cache.set(key, analysis)
      }
      return analysis
    })
  }
}

const sharedCache = new ParseCache()

/** One statement through libpg_query: its tables and column lineage, or PostgreSQL's refusal with line and column. */
export function analyse(sql: string): SqlAnalysis {
  let tree: { stmts?: { stmt: Record<string, unknown> }[] }
  try {
    tree = parseSync(sql) as typeof tree
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails
    const message = details?.message ?? (error instanceof Error ? error.message : String(error))
    // libpg_query's cursorPosition is the 0-based character offset of the token it stopped at.
    return { ok: false, message, ...(typeof details?.cursorPosition === 'number' ? { position: lineAndColumn(sql, details.cursorPosition) } : {}) }
  }
  const statements = tree.stmts ?? []
  if (statements.length !== 1) return { ok: false, notSelect: true, message: `it holds ${statements.length} statements` }
  const select = statements[0]!.stmt.SelectStmt as Record<string, unknown> | undefined
  if (!select) return { ok: false, notSelect: true, message: `PostgreSQL analyses SELECT statements only, not ${Object.keys(statements[0]!.stmt)[0] ?? 'this statement'}` }
  // A VALUES list is a SELECT without tables or names to trace.
  const { tables, columns, filters } = postgresLineage(select)
  return { ok: true, tables, files: [], columns, filters }
}

function lineAndColumn(sql: string, offset: number): { line: number; column: number } {
  const lines = sql.slice(0, offset).split('\n')
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 }
}
