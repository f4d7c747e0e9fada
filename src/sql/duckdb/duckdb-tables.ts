import type { TableRef } from '../sql-analysis.js'

/** A node of DuckDB's serialized AST (json_serialize_sql): plain JSON objects. */
export type AstNode = { readonly [field: string]: unknown }

/** Table functions whose first argument names files: their reads become lineage to file sources. */
const FILE_FUNCTIONS = new Set(['read_csv', 'read_csv_auto', 'read_parquet', 'parquet_scan', 'read_json', 'read_json_auto', 'read_ndjson', 'read_ndjson_auto', 'read_json_objects', 'read_text', 'read_blob', 'read_xlsx', 'delta_scan', 'iceberg_scan'])
// `FROM 'landing/x.csv'` parses as a table named by the path: a path has a folder or a file extension DuckDB reads.
const FILE_NAME = /[/\\*]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx)(\.gz|\.zst)?$/i

/** The tables and files one statement reads, with CTE names resolved in their own scope. */
export interface TableReads {
  readonly tables: TableRef[]
  readonly files: string[]
}

/** True for a query node (SELECT, set operation, recursive CTE): the nodes that carry a WITH. */
export function isQueryNode(node: AstNode): boolean {
  return typeof node.type === 'string' && node.type.endsWith('_NODE') && typeof node.cte_map === 'object'
}

/** The CTEs a query node defines, in order: name and query node. */
export function ctesOf(node: AstNode): { name: string; query: AstNode; aliases: string[] }[] {
  const map = ((node.cte_map as AstNode | null)?.map ?? []) as { key: string; value: { query: { node: AstNode }; aliases?: string[] } }[]
  return map.map((entry) => ({ name: entry.key, query: entry.value.query.node, aliases: entry.value.aliases ?? [] }))
}

/**
 * Walks a statement's AST. A CTE hides a table of the same name only inside the query that
 * defines it (and in CTEs defined after it); a CTE's own body sees it only when recursive.
 */
export function tableReads(statement: AstNode): TableReads {
  const tables = new Map<string, TableRef>()
  const files = new Set<string>()
  const walk = (value: unknown, scope: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, scope)
      return
    }
    if (value === null || typeof value !== 'object') return
    const node = value as AstNode
    if (isQueryNode(node)) {
      const inner = new Set(scope)
      for (const cte of ctesOf(node)) {
        const name = cte.name.toLowerCase()
        walk(cte.query, cte.query.type === 'RECURSIVE_CTE_NODE' ? new Set([...inner, name]) : inner)
        inner.add(name)
      }
      for (const [field, child] of Object.entries(node)) if (field !== 'cte_map') walk(child, inner)
      return
    }
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') {
      const ref = baseTable(node, scope)
      if (ref === 'cte') return
      if (typeof ref === 'string') files.add(ref)
      else tables.set(`${ref.schema ?? ''}.${ref.name}`.toLowerCase(), ref)
      return
    }
    if (node.type === 'TABLE_FUNCTION') for (const path of filesOfFunction(node)) files.add(path)
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') walk(child, scope)
  }
  walk(statement, new Set())
  return {
    tables: [...tables.values()].sort((a, b) => `${a.schema ?? ''}.${a.name}`.localeCompare(`${b.schema ?? ''}.${b.name}`)),
    files: [...files].sort(),
  }
}

/** What a BASE_TABLE reads: a CTE of the scope, a file path, or a table (a three-part name drops its catalog). */
export function baseTable(node: AstNode, scope: ReadonlySet<string>): TableRef | string | 'cte' {
  const name = node.table_name as string
  const schema = (node.schema_name as string) || null
  if (!schema && !node.catalog_name && scope.has(name.toLowerCase())) return 'cte'
  if (!schema && !node.catalog_name && FILE_NAME.test(name)) return name
  return { schema, name }
}

/** The constant paths a file-reading table function is given (one string or a list of strings). */
export function filesOfFunction(node: AstNode): string[] {
  const fn = node.function as AstNode | undefined
  if (!fn || !FILE_FUNCTIONS.has(String(fn.function_name).toLowerCase())) return []
  const first = (fn.children as AstNode[] | undefined)?.[0]
  if (!first) return []
  const items = first.class === 'FUNCTION' && first.function_name === 'list_value' ? (first.children as AstNode[]) : [first]
  return items.flatMap((item) => {
    const value = (item.value as AstNode | undefined)?.value
    return item.class === 'CONSTANT' && typeof value === 'string' ? [value] : []
  })
}
