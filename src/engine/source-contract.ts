import { contractBreaches, type ContractBreach } from '../checks/contract-check.js'
import { contractColumns, type Contract } from '../model/contract.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { SourceObserver } from '../model/source.js'
import type { ObservationRecord } from '../store/records.js'
import type { StatusReason } from './status.js'

/** A source's latest observation against its contract: the columns that break it. */
export interface SourceContractBreach {
  readonly source: string
  /** The source's owner: the breach is theirs to fix. */
  readonly owner: string | null
  readonly breaches: readonly ContractBreach[]
  /** "contract breached: amount is missing; the contract guarantees it (double)". */
  readonly message: string
}

/**
 * Which columns of a source's observed schema break its contract, or undefined when it holds
 * (or cannot be judged: no contract, nothing observed, or no columns seen). A files source
 * is observed by its CSV header, which gives names but no types: only missing (and, with
 * `exact`, unexpected) columns are judged there. Nulls are not judged at observation. Pure.
 */
export function sourceContractBreach(
  source: { readonly key: string; readonly owner?: string | undefined; readonly contract?: Contract | undefined; readonly observe: SourceObserver },
  observation: Pick<ObservationRecord, 'exists' | 'columns'> | undefined,
): SourceContractBreach | undefined {
  if (!source.contract || !observation?.exists || !observation.columns) return undefined
  const columns = contractColumns(source.contract)
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c.type]))
  // A CSV header's columns are untyped: judged as having the type the contract says.
  const actual = source.observe.type === 'files' ? observation.columns.map((c) => ({ name: c.name, type: byName.get(c.name.toLowerCase()) ?? c.type })) : observation.columns
  const judged = contractBreaches({ columns, exact: source.contract.exact ?? false }, actual)
  // A header column has no type to name.
  const breaches = source.observe.type === 'files' ? judged.map((b) => (b.problem === 'unexpected' ? { ...b, reason: `${b.column} is not in the exact contract` } : b)) : judged
  if (breaches.length === 0) return undefined
  return { source: source.key, owner: source.owner ?? null, breaches, message: `contract breached: ${breaches.map((b) => b.reason).join('; ')}` }
}

/** A step not run because a source it reads breaks its contract (TRB1040): the source's problem, not the reader's. */
export class UpstreamContractBreachedError extends TributaryError {
  override readonly name = 'UpstreamContractBreachedError'
  constructor(reader: string, breach: BreachSummary) {
    super(ErrorCode.UpstreamContractBreached, `${reader} not run: ${readerMessage(breach)}`, {
      context: { assetKey: reader, upstream: breach.source },
      hint: `Ask ${breach.owner ?? `the owner of ${breach.source}`} to restore ${breach.columns.join(', ')} as the contract says, or change the contract of ${breach.source} (and ${reader} with it); ${reader} runs once the source holds its contract again.`,
    })
  }
}

/** "upstream landing/crm breaks its contract: amount is missing; … (owner team:crm)". */
export function readerMessage(breach: Pick<SourceContractBreach, 'source' | 'owner' | 'message'>): string {
  return `upstream ${breach.source} breaks its contract: ${breach.message.replace(/^contract breached: /, '')}${breach.owner ? ` (owner ${breach.owner})` : ''}`
}

/** The contract breach of a source's status (failed: contract_breached), with its columns, or undefined. */
export function contractBreachOf(status: { readonly key: string; readonly owner: string | null; readonly status: string; readonly reasons: readonly StatusReason[] } | undefined): BreachSummary | undefined {
  const reason = status?.status === 'failed' ? status.reasons.find((r) => r.type === 'contract_breached') : undefined
  if (!status || !reason) return undefined
  return { source: status.key, owner: status.owner, message: reason.message, columns: reason.columns ?? [] }
}

/** A breach as a status carries it: the offending columns by name. */
export interface BreachSummary {
  readonly source: string
  readonly owner: string | null
  readonly message: string
  readonly columns: readonly string[]
}
