import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import type { ResolvedContractColumn } from '../model/contract.js'
import { SAMPLE_SIZE } from './check-sql.js'
import type { CheckEvaluationContext } from './evaluate.js'
import { relationColumns, typeMatches } from './schema-check.js'

/** One column that breaks the contract, and how. */
export interface ContractBreach {
  readonly column: string
  readonly problem: 'missing' | 'type' | 'nulls' | 'unexpected'
  /** "amount is VARCHAR; the contract says DECIMAL(12,2)". */
  readonly reason: string
}

/**
 * Which columns of a schema break a contract: missing, retyped, or (with `exact`) unexpected.
 * `nulls` counts nulls per non-nullable column when known. Pure.
 */
export function contractBreaches(contract: { readonly columns: readonly ResolvedContractColumn[]; readonly exact: boolean }, actual: readonly { name: string; type: string }[], nulls: ReadonlyMap<string, number> = new Map()): ContractBreach[] {
  const byName = new Map(actual.map((c) => [c.name.toLowerCase(), c]))
  const breaches: ContractBreach[] = []
  for (const column of contract.columns) {
    const have = byName.get(column.name.toLowerCase())
    if (!have) breaches.push({ column: column.name, problem: 'missing', reason: `${column.name} is missing; the contract guarantees it (${column.type})` })
    else if (!typeMatches(column.type, have.type)) breaches.push({ column: column.name, problem: 'type', reason: `${column.name} is ${have.type}; the contract says ${column.type}` })
    else if (!column.nullable && (nulls.get(column.name.toLowerCase()) ?? 0) > 0) {
      breaches.push({ column: column.name, problem: 'nulls', reason: `${column.name} has ${nulls.get(column.name.toLowerCase())} null(s); the contract says not null` })
    }
  }
  if (contract.exact) {
    const listed = new Set(contract.columns.map((c) => c.name.toLowerCase()))
    for (const have of actual) if (!listed.has(have.name.toLowerCase())) breaches.push({ column: have.name, problem: 'unexpected', reason: `${have.name} (${have.type}) is not in the exact contract` })
  }
  return breaches
}

/** contract: the staged output has every guaranteed column with its type, and no nulls where the contract forbids them. */
export async function contract(check: CheckDefinition, ctx: CheckEvaluationContext): Promise<CheckOutcome> {
  const args = check.args as { columns: readonly ResolvedContractColumn[]; exact: boolean }
  const actual = await relationColumns(ctx)
  if (actual.length === 0) return { passed: false, message: `${ctx.relation} does not exist or has no columns` }
  const present = new Set(actual.map((c) => c.name.toLowerCase()))
  const notNull = args.columns.filter((c) => !c.nullable && present.has(c.name.toLowerCase()))
  const nulls = new Map<string, number>()
  if (notNull.length > 0) {
    // One scan for every non-nullable column.
    const [row] = await ctx.warehouse.query(`select ${notNull.map((c, i) => `count(*) filter (where "${c.name.replaceAll('"', '""')}" is null)::bigint as n${i}`).join(', ')} from ${ctx.relation}`)
    notNull.forEach((c, i) => nulls.set(c.name.toLowerCase(), Number(row?.[`n${i}`] ?? 0)))
  }
  const breaches = contractBreaches(args, actual, nulls)
  if (breaches.length === 0) return { passed: true, message: `all ${args.columns.length} columns of the contract hold` }
  return {
    passed: false,
    failingRows: breaches.length,
    sample: breaches.slice(0, SAMPLE_SIZE).map((b) => ({ column: b.column, problem: b.problem, reason: b.reason })),
    message: `contract breached: ${breaches.map((b) => b.reason).join('; ')}`,
  }
}
