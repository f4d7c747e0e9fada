import type { ColumnSource, OutputColumn } from '../sql-analysis.js'
import { baseTable, ctesOf, filesOfFunction, isQueryNode, type AstNode } from './duckdb-tables.js'

/** A relation in a FROM scope: a table (or file) by name, or a subquery/CTE with known output columns. */
type Relation =
  | { readonly alias: string; readonly table: string }
  | { readonly alias: string; readonly outputs: readonly OutputColumn[] }

type Kind = ColumnSource['kind']
/** Where column references resolve: this query's relations, then (for correlated subqueries) the enclosing ones. */
interface Scope {
  readonly relations: readonly Relation[]
  readonly outer: readonly Relation[]
}
type CteScope = ReadonlyMap<string, readonly OutputColumn[]>

interface Query {
  readonly columns: OutputColumn[]
  readonly filters: ColumnSource[]
}

// Composing lineage through a subquery: a copy of a copy is a copy, anything else a transform.
const compose = (outer: Kind, inner: Kind): Kind => (outer === 'filter' || inner === 'filter' ? 'filter' : outer === 'copy' && inner === 'copy' ? 'copy' : 'transform')

/**
 * Column lineage of one statement, without schemas: each output column with the input
 * columns it comes from (`schema.table` as written, `main` when unqualified; `file:<path>`
 * for files), through CTEs, subqueries, joins, set operations, aggregates and windows.
 * `*` over a table stays one `*` column (expanded later from recorded schemas); an
 * unqualified column with several tables in scope lists each, marked `ambiguous`.
 */
export function columnLineage(statement: AstNode): { columns: OutputColumn[]; filters: ColumnSource[] } {
  const { columns, filters } = query(statement, new Map())
  return { columns, filters: dedupe(filters) }
}

function query(node: AstNode, outerCtes: CteScope, outer: readonly Relation[] = []): Query {
  const ctes = new Map(outerCtes)
  // What the CTEs filter on limits this query's rows too.
  const cteFilters: ColumnSource[] = []
  for (const cte of ctesOf(node)) {
    // A recursive CTE reads itself: its own columns add nothing new, so it sees an empty stand-in.
    const scope = cte.query.type === 'RECURSIVE_CTE_NODE' ? new Map([...ctes, [cte.name.toLowerCase(), [] as OutputColumn[]]]) : ctes
    const result = query(cte.query, scope)
    cteFilters.push(...result.filters)
    const renamed = cte.aliases.length > 0 ? result.columns.map((c, i) => ({ ...c, name: cte.aliases[i] ?? c.name })) : result.columns
    ctes.set(cte.name.toLowerCase(), renamed)
  }
  if (node.type === 'SET_OPERATION_NODE' || node.type === 'RECURSIVE_CTE_NODE') {
    const sides = [node.left, node.right].filter((side): side is AstNode => !!side && typeof side === 'object').map((side) => query(side, ctes, outer))
    const [first, ...rest] = sides
    if (!first) return { columns: [], filters: [] }
    const columns = first.columns.map((column, i) => ({ name: column.name, sources: dedupe([...column.sources, ...rest.flatMap((side) => side.columns[i]?.sources ?? [])]) }))
    return { columns, filters: [...cteFilters, ...sides.flatMap((side) => side.filters)] }
  }
  if (node.type !== 'SELECT_NODE') return { columns: [], filters: [] }
  const filters: ColumnSource[] = [...cteFilters]
  const relations = fromScope(node.from_table as AstNode | undefined, ctes, filters)
  const refs = (expr: unknown, kind: Kind) => expressionSources(expr, { relations, outer }, ctes, kind, filters)
  const columns: OutputColumn[] = []
  for (const [index, expr] of ((node.select_list as AstNode[]) ?? []).entries()) {
    if (expr.class === 'STAR' && !expr.expr) {
      columns.push(...star(expr, relations))
      continue
    }
    const bare = expr.class === 'COLUMN_REF'
    columns.push({ name: outputName(expr, index), sources: dedupe(refs(expr, bare ? 'copy' : 'transform')) })
  }
  for (const field of ['where_clause', 'having', 'qualify']) filters.push(...refs(node[field], 'filter'))
  for (const group of (node.group_expressions as AstNode[]) ?? []) filters.push(...refs(group, 'filter'))
  return { columns, filters }
}

// The relations a FROM clause brings into scope; join conditions are filters.
function fromScope(from: AstNode | undefined, ctes: CteScope, filters: ColumnSource[], lateral: readonly Relation[] = []): Relation[] {
  if (!from) return []
  switch (from.type) {
    case 'BASE_TABLE': {
      const ref = baseTable(from, new Set(ctes.keys()))
      const name = from.table_name as string
      const alias = (from.alias as string) || name
      if (ref === 'cte') return [{ alias, outputs: ctes.get(name.toLowerCase()) ?? [] }]
      return [{ alias, table: typeof ref === 'string' ? `file:${ref}` : `${ref.schema ?? 'main'}.${ref.name}` }]
    }
    case 'TABLE_FUNCTION': {
      const [path] = filesOfFunction(from)
      const alias = (from.alias as string) || String((from.function as AstNode).function_name)
      // range(), generate_series(), …: columns that come from no input.
      return [path === undefined ? { alias, outputs: [] } : { alias, table: `file:${path}` }]
    }
    case 'SUBQUERY': {
      const inner = query((from.subquery as { node: AstNode }).node, ctes, lateral)
      filters.push(...inner.filters)
      const aliases = (from.column_name_alias as string[] | undefined) ?? []
      // `(values (1, 'a')) v(id, name)`: the alias names columns the inner query does not.
      const named = aliases.length > inner.columns.length ? aliases.map((name, i) => ({ sources: [], ...inner.columns[i], name })) : inner.columns.map((c, i) => ({ ...c, name: aliases[i] ?? c.name }))
      return [{ alias: (from.alias as string) || '', outputs: named }]
    }
    case 'JOIN': {
      const left = fromScope(from.left as AstNode, ctes, filters)
      // A LATERAL subquery on the right sees the relations on the left.
      const right = fromScope(from.right as AstNode, ctes, filters, left)
      const relations = [...left, ...right]
      filters.push(...expressionSources(from.condition, { relations, outer: [] }, ctes, 'filter', filters))
      // USING (id): the key of both sides.
      for (const column of (from.using_columns as string[]) ?? []) filters.push(...resolve([column], { relations: left, outer: [] }, 'filter'), ...resolve([column], { relations: right, outer: [] }, 'filter'))
      return relations
    }
    case 'EXPRESSION_LIST': {
      // VALUES: constants under the names the alias gives them.
      const names = (from.column_name_alias as string[] | undefined) ?? []
      return [{ alias: (from.alias as string) || 'valueslist', outputs: names.map((name) => ({ name, sources: [] })) }]
    }
    case 'PIVOT': {
      // PIVOT / UNPIVOT reshape every column of their source: known only as a whole.
      const source = fromScope(from.source as AstNode, ctes, filters)
      const sources = source.flatMap((r) => ('table' in r ? [{ table: r.table, column: '*', kind: 'transform' as const }] : r.outputs.flatMap((o) => o.sources)))
      return [{ alias: (from.alias as string) || '', outputs: [{ name: '*', sources }] }]
    }
    default:
      return []
  }
}

// The input columns an expression reads. Subqueries inside it are analysed in their own scope (their filters are the statement's).
function expressionSources(expr: unknown, scope: Scope, ctes: CteScope, kind: Kind, filters: ColumnSource[], lambda: ReadonlySet<string> = new Set()): ColumnSource[] {
  if (Array.isArray(expr)) return expr.flatMap((item) => expressionSources(item, scope, ctes, kind, filters, lambda))
  if (expr === null || typeof expr !== 'object') return []
  const node = expr as AstNode
  if (node.class === 'COLUMN_REF') {
    const names = node.column_names as string[]
    return names.length === 1 && lambda.has(names[0]!.toLowerCase()) ? [] : resolve(names, scope, kind)
  }
  if (node.class === 'STAR') {
    // COLUMNS('amount_.*') or `*` inside an expression: some columns of each table in scope, decided by data.
    const only = (node.relation_name as string) || ''
    const chosen = only ? scope.relations.filter((r) => r.alias.toLowerCase() === only.toLowerCase()) : scope.relations
    return chosen.flatMap((r) => ('table' in r ? [{ table: r.table, column: '*', kind: kind === 'copy' ? 'transform' as const : kind }] : r.outputs.flatMap((o) => o.sources)))
  }
  if (node.class === 'LAMBDA') {
    const params = new Set(lambda)
    for (const ref of collectRefs(node.lhs)) params.add(ref.toLowerCase())
    return expressionSources(node.expr, scope, ctes, kind, filters, params)
  }
  if (node.class === 'SUBQUERY' && node.subquery) {
    // Correlated: the subquery sees this query's relations after its own.
    const inner = query((node.subquery as { node: AstNode }).node, ctes, [...scope.relations, ...scope.outer])
    filters.push(...inner.filters)
    const values = inner.columns.flatMap((c) => c.sources.map((s) => ({ ...s, kind: compose(kind, s.kind) })))
    return [...values, ...expressionSources(node.child, scope, ctes, kind, filters, lambda)]
  }
  if (isQueryNode(node)) return []
  return Object.values(node).flatMap((child) => (child !== null && typeof child === 'object' ? expressionSources(child, scope, ctes, kind, filters, lambda) : []))
}

function collectRefs(expr: unknown): string[] {
  if (Array.isArray(expr)) return expr.flatMap(collectRefs)
  if (expr === null || typeof expr !== 'object') return []
  const node = expr as AstNode
  if (node.class === 'COLUMN_REF') return [(node.column_names as string[]).at(-1)!]
  return Object.values(node).flatMap(collectRefs)
}

// A column reference, qualified or not, to the input columns it names.
function resolve(names: readonly string[], { relations, outer }: Scope, kind: Kind): ColumnSource[] {
  if (names.length >= 2) {
    const qualifier = names[names.length - 2]!.toLowerCase()
    const relation = [...relations, ...outer].find((r) => r.alias.toLowerCase() === qualifier || ('table' in r && r.table.toLowerCase().endsWith(`.${qualifier}`)))
    if (relation) return fromRelation(relation, names[names.length - 1]!, kind)
    // `payload.customer.id` with no relation named payload: a field of struct column payload.
    if (kind === 'copy') kind = 'transform'
  }
  const column = names[0]!
  const derived = relations.filter((r) => 'outputs' in r && r.outputs.some((o) => o.name.toLowerCase() === column.toLowerCase()))
  if (derived.length === 1) return fromRelation(derived[0]!, column, kind)
  const tables = relations.filter((r): r is Extract<Relation, { table: string }> => 'table' in r)
  const starred = relations.filter((r) => 'outputs' in r && r.outputs.some((o) => o.name === '*'))
  if (tables.length + starred.length === 1) return tables.length === 1 ? [{ table: tables[0]!.table, column, kind }] : fromRelation(starred[0]!, column, kind)
  // Which table holds it is known only from schemas: every candidate, marked for resolveLineage.
  return [...tables.map((t) => ({ table: t.table, column, kind, ambiguous: true })), ...starred.flatMap((r) => fromRelation(r, column, kind).map((s) => ({ ...s, ambiguous: true })))]
}

function fromRelation(relation: Relation, column: string, kind: Kind): ColumnSource[] {
  if ('table' in relation) return [{ table: relation.table, column, kind }]
  const output = relation.outputs.find((o) => o.name.toLowerCase() === column.toLowerCase())
  if (output) return output.sources.map((s) => ({ ...s, kind: compose(kind, s.kind) }))
  // Through a `*` of the subquery: the column comes from the tables that `*` covers.
  return relation.outputs.filter((o) => o.name === '*').flatMap((o) => o.sources.map((s) => ({ table: s.table, column, kind: compose(kind, s.kind) })))
}

// `*` and `t.*`: subquery outputs are known; a table's columns only from its schema, so it stays `*`.
function star(expr: AstNode, relations: readonly Relation[]): OutputColumn[] {
  const only = (expr.relation_name as string) || ''
  const except = new Set(((expr.exclude_list as string[]) ?? []).map((name) => name.toLowerCase()))
  const chosen = only ? relations.filter((r) => r.alias.toLowerCase() === only.toLowerCase()) : relations
  return chosen.flatMap((relation) => {
    if ('table' in relation) return [{ name: '*', sources: [{ table: relation.table, column: '*', kind: 'copy' as const }], ...(except.size > 0 ? { except: [...except] } : {}) }]
    return relation.outputs.filter((o) => !except.has(o.name.toLowerCase()))
  })
}

function outputName(expr: AstNode, index: number): string {
  if (typeof expr.alias === 'string' && expr.alias !== '') return expr.alias
  if (expr.class === 'COLUMN_REF') return (expr.column_names as string[]).at(-1)!
  if (typeof expr.function_name === 'string') return expr.function_name === 'count_star' ? 'count_star()' : `${expr.function_name}(…)`
  return `column${index}`
}

function dedupe(sources: readonly ColumnSource[]): ColumnSource[] {
  const seen = new Map<string, ColumnSource>()
  for (const source of sources) {
    const id = `${source.table}\0${source.column.toLowerCase()}\0${source.kind}`
    if (!seen.has(id)) seen.set(id, source)
  }
  return [...seen.values()]
}
