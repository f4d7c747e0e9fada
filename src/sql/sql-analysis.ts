/** A table a query reads: `schema` is null when the SQL did not qualify it; a three-part name's catalog is dropped. */
export interface TableRef {
  readonly schema: string | null
  readonly name: string
}

/** An input column an output column derives from, and how: copied as is, transformed, or used to filter/join/group. */
export interface ColumnSource {
  /** `schema.table` as written (schema `main` when unqualified), or `file:<path>` for a table function over files. */
  readonly table: string
  readonly column: string
  readonly kind: 'copy' | 'transform' | 'filter'
  /** Unqualified, with several tables in scope: one of the candidates holds it (schemas decide). */
  readonly ambiguous?: boolean
}

/** Where one output column of a query comes from; a column named `*` stands for every column of its source table (minus `except`). */
export interface OutputColumn {
  readonly name: string
  readonly sources: readonly ColumnSource[]
  readonly except?: readonly string[]
}

/** What the warehouse's parser says about one SELECT: what it reads, and its column lineage. */
export interface SqlFacts {
  readonly ok: true
  readonly tables: readonly TableRef[]
  /** Paths (or globs) read by table functions such as read_csv / read_parquet, or by `FROM 'file.csv'`. */
  readonly files: readonly string[]
  /** Output columns in order; a `*` over a table whose schema is unknown stays as one `*` column naming that table. */
  readonly columns: readonly OutputColumn[]
  /** Columns used anywhere to filter, join, group or order: they affect every output row. */
  readonly filters: readonly ColumnSource[]
}

/** The parser refused the statement: its own message and the 1-based line/column it points at. */
export interface SqlRefusal {
  readonly ok: false
  readonly message: string
  readonly position?: { readonly line: number; readonly column: number }
  /** True when the SQL parsed but is not exactly one SELECT. */
  readonly notSelect?: boolean
}

/** The outcome of analysing one statement. */
export type SqlAnalysis = SqlFacts | SqlRefusal

/**
 * SQL analysis through a warehouse's own parser. Synchronous and batched: the graph is built
 * synchronously, and one batch per validation keeps the parser's round trips to one.
 * DuckDB implements it (duckdb/duckdb-analyzer.ts), and PostgreSQL through libpg_query (postgres/postgres-analyzer.ts).
 */
export interface SqlAnalyzer {
  /** Names the parser and its version; part of every cache key. */
  readonly dialect: string
  /** Analyses each statement; the result at index i is statement i's. Never throws for bad SQL. */
  analyze(statements: readonly string[]): SqlAnalysis[]
}
