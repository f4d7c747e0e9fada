import type { CheckDefinition } from './check.js'

/** One column an asset or source guarantees. */
export interface ContractColumn {
  /** A DuckDB type name (aliases such as `int` or `text` are understood). */
  readonly type: string
  /** Whether nulls are allowed. Default: true. */
  readonly nullable?: boolean
  readonly description?: string
}

/** What an asset or source guarantees its consumers: these columns, with these types and nullability. */
export interface Contract {
  /** Column name → its guarantee; a bare string is the type. */
  readonly columns: Readonly<Record<string, ContractColumn | string>>
  /** Refuse columns the contract does not list. Default: false (extra columns are allowed). */
  readonly exact?: boolean
}

/** A contract column with its defaults filled in. */
export interface ResolvedContractColumn {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
  readonly description: string | null
}

/** The contract's columns in declaration order, defaults filled in (nullable: true). */
export function contractColumns(contract: Contract): ResolvedContractColumn[] {
  return Object.entries(contract.columns ?? {}).map(([name, spec]) => {
    const column = typeof spec === 'string' ? { type: spec } : spec ?? { type: '' }
    return { name, type: column.type, nullable: column.nullable ?? true, description: column.description ?? null }
  })
}

/** What is wrong with a contract's definition (validation reports each as TRB1031). */
export function contractProblems(contract: unknown): string[] {
  if (contract === undefined) return []
  const columns = (contract as Contract | null)?.columns
  if (!columns || typeof columns !== 'object' || Object.keys(columns).length === 0) return ['it lists no columns: give columns: { id: { type: "integer", nullable: false } }']
  const problems: string[] = []
  for (const [name, spec] of Object.entries(columns)) {
    const type = typeof spec === 'string' ? spec : (spec as ContractColumn | null)?.type
    if (name.trim() === '') problems.push('a column has an empty name')
    if (typeof type !== 'string' || type.trim() === '') problems.push(`column ${name} has no type`)
    const nullable = typeof spec === 'object' && spec !== null ? spec.nullable : undefined
    if (nullable !== undefined && typeof nullable !== 'boolean') problems.push(`nullable of column ${name} must be true or false`)
  }
  return problems
}

/** The blocking check that enforces a contract before publish (write-audit-publish): named `contract`. */
export function contractCheck(contract: Contract): CheckDefinition {
  return Object.freeze({
    name: 'contract', type: 'contract', severity: 'error' as const, blocking: true,
    args: Object.freeze({ columns: contractColumns(contract), exact: contract.exact ?? false }),
    // Reported by validation as TRB1031, with the contract's own wording.
    problems: Object.freeze([]), references: Object.freeze([]),
  })
}
