// Tables and column lineage from PostgreSQL's own parse tree (libpg_query's JSON): RangeVars
// minus CTE names are the tables read; each ResTarget's ColumnRefs, resolved through aliases,
// CTEs, subqueries and set operations, are where an output column comes from.
import type { ColumnSource, OutputColumn, TableRef } from '../sql-analysis.js'

/** A parse-tree node as libpg_query prints it: `{ NodeType: { …fields } }`, or a bare field object. */
type Node = Record<string, unknown>

/** What one SELECT reads and where its columns come from. */
export interface PostgresLineage {
  readonly tables: readonly TableRef[]
  readonly columns: readonly OutputColumn[]
  readonly filters: readonly ColumnSource[]
}

/** An unqualified table is named as the graph names relations without a schema (as DuckDB's analysis does). */
const DEFAULT_SCHEMA = 'main'

// One relation in a FROM clause: a table, or a CTE or subquery with its own output columns.
interface ScopeEntry {
  readonly alias: string
  readonly table?: string
  readonly columns?: readonly OutputColumn[]
}

/** Tables, column lineage and filter columns of one SelectStmt. */
export function postgresLineage(select: Node): PostgresLineage {
  const ctes = new Map<string, readonly OutputColumn[]>()
  const filters: ColumnSource[] = []
  const columns = selectColumns(select, ctes, filters)
  return { tables: tablesOf(select, new Set()), columns, filters: dedupe(filters) }
}

// Every RangeVar of the tree that is not a CTE in scope, once each.
function tablesOf(node: unknown, cteNames: ReadonlySet<string>): TableRef[] {
  const found = new Map<string, TableRef>()
  const visit = (value: unknown, names: ReadonlySet<string>) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, names)
      return
    }
    if (!value || typeof value !== 'object') return
    const record = value as Node
    const select = record.SelectStmt as Node | undefined
    if (select?.withClause) {
      const inner = new Set(names)
      for (const cte of ((select.withClause as Node).ctes as Node[]) ?? []) inner.add(String((cte.CommonTableExpr as Node).ctename))
      for (const child of Object.values(select)) visit(child, inner)
      return
    }
    const range = record.RangeVar as Node | undefined
    if (range) {
      const schema = typeof range.schemaname === 'string' ? range.schemaname : null
      const name = String(range.relname)
      if (schema !== null || !names.has(name)) found.set(`${schema ?? ''}.${name}`, { schema, name })
      return
    }
    for (const child of Object.values(record)) visit(child, names)
  }
  visit({ SelectStmt: node }, cteNames)
  return [...found.values()]
}

function selectColumns(select: Node, outerCtes: ReadonlyMap<string, readonly OutputColumn[]>, filters: ColumnSource[]): OutputColumn[] {
  const ctes = new Map(outerCtes)
  for (const item of ((select.withClause as Node | undefined)?.ctes as Node[] | undefined) ?? []) {
    const cte = item.CommonTableExpr as Node
    const query = (cte.ctequery as Node).SelectStmt as Node | undefined
    if (query) ctes.set(String(cte.ctename), rename(selectColumns(query, ctes, filters), cte.aliascolnames as Node[] | undefined))
  }
  // UNION / INTERSECT / EXCEPT: names from the left, sources from both, position by position.
  if (select.op && select.op !== 'SETOP_NONE') {
    const left = selectColumns(select.larg as Node, ctes, filters)
    const right = selectColumns(select.rarg as Node, ctes, filters)
    return left.map((column, i) => ({ name: column.name, sources: dedupe([...column.sources, ...(right[i]?.sources ?? [])].map((s) => ({ ...s, kind: 'transform' as const }))) }))
  }
  const scope: ScopeEntry[] = []
  for (const from of (select.fromClause as Node[] | undefined) ?? []) addToScope(from, scope, ctes, filters)
  for (const clause of [select.whereClause, select.havingClause, select.groupClause, select.sortClause]) {
    for (const ref of columnRefs(clause)) filters.push(...resolve(ref, scope).map((s) => ({ ...s, kind: 'filter' as const })))
  }
  const columns: OutputColumn[] = []
  for (const item of (select.targetList as Node[] | undefined) ?? []) {
    const target = item.ResTarget as Node
    const value = target.val as Node
    const ref = value.ColumnRef as Node | undefined
    const fields = (ref?.fields as Node[] | undefined) ?? []
    if (ref && fields.some((f) => 'A_Star' in f)) {
      columns.push(...star(fields.length > 1 ? sval(fields[0]!) : null, scope))
      continue
    }
    const refs = columnRefs(value)
    const direct = ref !== undefined
    const sources = refs.flatMap((r) => resolve(r, scope)).map((s) => (direct ? s : { ...s, kind: 'transform' as const }))
    const name = typeof target.name === 'string' ? target.name : direct ? sval(fields.at(-1)!) : outputName(value)
    columns.push({ name, sources: dedupe(sources) })
  }
  return columns
}

function addToScope(from: Node, scope: ScopeEntry[], ctes: ReadonlyMap<string, readonly OutputColumn[]>, filters: ColumnSource[]): void {
  if (from.RangeVar) {
    const range = from.RangeVar as Node
    const name = String(range.relname)
    const alias = ((range.alias as Node | undefined)?.aliasname as string | undefined) ?? name
    const cte = range.schemaname === undefined ? ctes.get(name) : undefined
    scope.push(cte ? { alias, columns: cte } : { alias, table: `${typeof range.schemaname === 'string' ? range.schemaname : DEFAULT_SCHEMA}.${name}` })
  } else if (from.RangeSubselect) {
    const sub = from.RangeSubselect as Node
    const query = (sub.subquery as Node).SelectStmt as Node
    const alias = sub.alias as Node | undefined
    scope.push({ alias: String(alias?.aliasname ?? ''), columns: rename(selectColumns(query, ctes, filters), alias?.colnames as Node[] | undefined) })
  } else if (from.JoinExpr) {
    const join = from.JoinExpr as Node
    addToScope(join.larg as Node, scope, ctes, filters)
    addToScope(join.rarg as Node, scope, ctes, filters)
    for (const ref of columnRefs(join.quals)) filters.push(...resolve(ref, scope).map((s) => ({ ...s, kind: 'filter' as const })))
    for (const using of (join.usingClause as Node[] | undefined) ?? []) filters.push(...resolve([sval(using)], scope).map((s) => ({ ...s, kind: 'filter' as const })))
  }
  // Table functions (generate_series, unnest, …) read no table.
}

// `*` or `alias.*`: a table's stays one `*` column; a CTE's or subquery's expands to its columns.
function star(qualifier: string | null, scope: readonly ScopeEntry[]): OutputColumn[] {
  const entries = qualifier === null ? scope : scope.filter((e) => e.alias === qualifier)
  return entries.flatMap((entry) => (entry.table ? [{ name: '*', sources: [{ table: entry.table, column: '*', kind: 'copy' as const }] }] : [...(entry.columns ?? [])]))
}

// Where a column reference (its name parts) comes from, as base-table columns.
function resolve(parts: readonly string[], scope: readonly ScopeEntry[]): ColumnSource[] {
  const column = parts.at(-1)!
  const qualifier = parts.length > 1 ? parts.at(-2)! : null
  const candidates = qualifier === null ? scope : scope.filter((e) => e.alias === qualifier || e.table?.endsWith(`.${qualifier}`))
  const derived = candidates.filter((e) => e.columns?.some((c) => c.name === column))
  if (derived.length > 0) return derived.flatMap((e) => e.columns!.find((c) => c.name === column)!.sources)
  const tables = candidates.filter((e) => e.table)
  return tables.map((e) => ({ table: e.table!, column, kind: 'copy' as const, ...(tables.length > 1 ? { ambiguous: true } : {}) }))
}

// The column references of an expression, each as its name parts; a subquery (SubLink) is its own
// scope, so only the expression compared with it (`x IN (…)`) counts here.
function columnRefs(node: unknown): string[][] {
  const found: string[][] = []
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (!value || typeof value !== 'object') return
    const record = value as Node
    if (record.SubLink) return visit((record.SubLink as Node).testexpr)
    const ref = record.ColumnRef as Node | undefined
    if (ref) {
      const fields = (ref.fields as Node[]).filter((f) => 'String' in f).map(sval)
      if (fields.length > 0) found.push(fields)
      return
    }
    Object.values(record).forEach(visit)
  }
  visit(node)
  return found
}

// PostgreSQL's own name for an unnamed expression: the function's name, else ?column?.
function outputName(value: Node): string {
  const cast = value.TypeCast as Node | undefined
  const call = (value.FuncCall ?? (cast?.arg as Node | undefined)?.FuncCall) as Node | undefined
  const name = (call?.funcname as Node[] | undefined)?.at(-1)
  return name ? sval(name) : '?column?'
}

function rename(columns: OutputColumn[], names: Node[] | undefined): OutputColumn[] {
  return names ? columns.map((column, i) => (names[i] ? { ...column, name: sval(names[i]!) } : column)) : columns
}

function sval(node: Node): string {
  return String((node.String as Node | undefined)?.sval ?? '')
}

function dedupe(sources: readonly ColumnSource[]): ColumnSource[] {
  const seen = new Map<string, ColumnSource>()
  for (const source of sources) {
    const key = `${source.table}\0${source.column}\0${source.kind}`
    if (!seen.has(key)) seen.set(key, source)
  }
  return [...seen.values()]
}
