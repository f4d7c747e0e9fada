import { DefinitionError, ErrorCode } from '../model/errors.js'
import { DuckDbSqlAnalyzer } from './duckdb/duckdb-analyzer.js'
import { ParseCache } from './parse-cache.js'
import type { SqlAnalysis, SqlAnalyzer, SqlRefusal, TableRef } from './sql-analysis.js'

export type { TableRef } from './sql-analysis.js'

let defaultAnalyzer: SqlAnalyzer | undefined

/** The analyzer for DuckDB projects, with the process's parse cache. */
export function duckDbAnalyzer(): SqlAnalyzer {
  return (defaultAnalyzer ??= new DuckDbSqlAnalyzer())
}

let postgresAnalyzer: SqlAnalyzer | undefined

/**
 * Loads the parser of a project's warehouse, once per process: PostgreSQL's (libpg_query, which
 * loads asynchronously) for 'postgres', so the synchronous graph build can use it. DuckDB's needs no loading.
 */
export async function loadAnalyzer(warehouse: 'duckdb' | 'postgres'): Promise<SqlAnalyzer> {
  if (warehouse === 'duckdb') return duckDbAnalyzer()
  // Imported here: the WebAssembly parser is loaded only by projects on a PostgreSQL warehouse.
  postgresAnalyzer ??= await (await import('./postgres/postgres-analyzer.js')).PostgresSqlAnalyzer.load()
  return postgresAnalyzer
}

/** The analyzer for a project's warehouse: PostgreSQL's once loadAnalyzer('postgres') has loaded it, else DuckDB's. */
export function analyzerFor(warehouse: 'duckdb' | 'postgres'): SqlAnalyzer {
  return warehouse === 'postgres' && postgresAnalyzer ? postgresAnalyzer : duckDbAnalyzer()
}

/** How to analyse a batch of statements. */
export interface AnalyzeOptions {
  /** Default: DuckDB's parser with the process-wide cache. */
  readonly analyzer?: SqlAnalyzer
  /** A JSON file the analyzer's cache (DuckDB's or PostgreSQL's) is loaded from and saved to. Default: memory only. */
  readonly cacheFile?: string
}

/** Analyses statements in one batch (cache misses only); the map is keyed by statement text. */
export function analyzeStatements(statements: readonly string[], options: AnalyzeOptions = {}): Map<string, SqlAnalysis> {
  const analyzer = options.analyzer ?? duckDbAnalyzer()
  const unique = [...new Set(statements)]
  const cache = options.cacheFile ? cacheOf(analyzer) : undefined
  if (cache) cache.load(options.cacheFile!)
  const results = analyzer.analyze(unique)
  if (cache) cache.save(options.cacheFile!, new Set(unique.map((sql) => ParseCache.key(analyzer.dialect, sql))))
  return new Map(unique.map((sql, i) => [sql, results[i]!]))
}

// Both analyzers keep their analyses in a ParseCache, keyed by dialect and statement, so one file holds either's.
function cacheOf(analyzer: SqlAnalyzer): ParseCache | undefined {
  const cache = (analyzer as { readonly cache?: unknown }).cache
  return cache instanceof ParseCache ? cache : undefined
}

/**
 * The tables one SELECT reads, without CTE names, sorted by schema and name, parsed by DuckDB.
 * Throws TRB1005 with DuckDB's message and the line and column, or when the SQL is not one SELECT.
 */
export function referencedTables(sql: string, assetKey?: string): TableRef[] {
  const analysis = analyzeStatements([sql]).get(sql)!
  if (!analysis.ok) throw refusalError(analysis, assetKey)
  return [...analysis.tables]
}

/** The TRB1005 error for SQL the parser refused, naming the asset, the position and the parser (Default: 'DuckDB'). */
export function refusalError(refusal: SqlRefusal, assetKey?: string, parser = 'DuckDB'): DefinitionError {
  const subject = `SQL of ${assetKey ?? 'the query'}`
  if (refusal.notSelect) {
    return new DefinitionError(ErrorCode.SqlSyntax, `${subject} must be exactly one SELECT statement: ${refusal.message}`, {
      context: assetKey ? { assetKey } : {},
      hint: 'Write only the SELECT; Tributary creates, checks and publishes the table itself.',
    })
  }
  const where = refusal.position ? ` at line ${refusal.position.line}, column ${refusal.position.column}` : ''
  return new DefinitionError(ErrorCode.SqlSyntax, `${subject} does not parse${where}: ${refusal.message} (${parser})`, {
    context: { ...(assetKey ? { assetKey } : {}), ...(refusal.position ? { position: refusal.position } : {}) },
    hint: 'Fix the SQL near that position; a SQL asset is a single SELECT statement.',
  })
}
