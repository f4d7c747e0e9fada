import type { ColumnSource, OutputColumn } from '../sql-analysis.js'
import type { AstNode } from './duckdb-tables.js'

/** Column lineage of one statement (filled in by the column-lineage walker). */
export function columnLineage(_statement: AstNode): { columns: OutputColumn[]; filters: ColumnSource[] } {
  return { columns: [], filters: [] }
}
