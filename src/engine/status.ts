import type { AssetGraph } from '../graph/asset-graph.js'
import { formatDuration, parseDuration, type Duration } from '../model/duration.js'
import { deadlineWindow, type FreshnessPolicy } from '../model/freshness.js'
import type { SourceObserver } from '../model/source.js'
import type { AssetStateSummary, ObservationRecord } from '../store/records.js'
import type { Contract } from '../model/contract.js'
import type { SchemaBreak } from './schema-breaks.js'
import { readerMessage, sourceContractBreach } from './source-contract.js'

/** The derived health of an asset or source. */
export type AssetStatus = 'fresh' | 'stale' | 'late' | 'failed' | 'blocked' | 'missing' | 'running'

/** Why an asset has its status. */
export type ReasonType =
  | 'running' | 'failed' | 'blocked' | 'missing' | 'late'
  | 'code_changed' | 'upstream_newer' | 'upstream_not_ready' | 'schema_changed' | 'contract_breached'

/** One reason, in words and as data. */
export interface StatusReason {
  readonly type: ReasonType
  readonly message: string
  /** The upstream the reason is about (upstream_newer, upstream_not_ready). */
  readonly upstream?: string
  /** The columns it is about (contract_breached: the offending columns). */
  readonly columns?: readonly string[]
}

/** One link of a reason chain: this asset, its status and why. */
export interface ChainLink {
  readonly key: string
  readonly status: AssetStatus
  readonly owner: string | null
  readonly message: string
}

/** The status of one asset or source with its reasons, chain to the root cause, and owner. */
export interface AssetStatusRecord {
  readonly key: string
  readonly status: AssetStatus
  /** True when the data is present, checked and current: `tributary ready` exits 0. */
  readonly ready: boolean
  readonly reasons: readonly StatusReason[]
  /** From this asset down to the root cause; empty when ready. */
  readonly chain: readonly ChainLink[]
  /** The last link of the chain: who can fix it. */
  readonly rootCause: ChainLink | null
  readonly owner: string | null
  /** When its data last changed (materialization or observed update). */
  readonly lastUpdated: Date | null
  readonly lastRunId: string | null
}

/** Everything status derivation reads, gathered by the caller in a few queries. */
export interface StatusInputs {
  readonly graph: AssetGraph
  /** Latest state per asset key (unpartitioned); full records will do as well as summaries. */
  readonly states: ReadonlyMap<string, AssetStateSummary>
  readonly observations: ReadonlyMap<string, ObservationRecord>
  /** Runs still executing; a step of any other run that is not final was interrupted. */
  readonly activeRunIds: ReadonlySet<string>
  readonly now: Date
  /** Readers that their source's new schema breaks (see findSchemaBreaks), by reader key. Default: none. */
  readonly schemaBreaks?: ReadonlyMap<string, SchemaBreak>
  /** Derive only these nodes; each one's upstream must be among them. Default: every node. */
  readonly only?: ReadonlySet<string>
}

const NOT_BLOCKING_UPSTREAM: ReadonlySet<ReasonType> = new Set(['code_changed', 'upstream_newer'])

/** Derives the status of every node (upstream first, so reasons can walk to the root cause). Pure. */
export function deriveStatuses(inputs: StatusInputs): Map<string, AssetStatusRecord> {
  // Runs for every node of the project on every status(): each node allocates only its
  // record, its reasons and (when not ready) its chain, and reads its definition from facts.
  const result = new Map<string, AssetStatusRecord>()
  const breaksBySource = bySource(inputs.schemaBreaks)
  for (const facts of nodeFacts(inputs.graph)) {
    if (inputs.only && !inputs.only.has(facts.key)) continue
    const own = facts.source ? sourceStatus(facts, facts.source, inputs, breaksBySource?.get(facts.key)) : assetStatus(facts, inputs, result)
    const { key, owner } = facts
    const ready = own.status === 'fresh'
    const chain = ready ? [] : buildChain(key, own, owner, result)
    // Written out rather than spread from `own`, in the order callers have always seen.
    result.set(key, {
      key, owner, ready, chain, rootCause: chain.length > 0 ? chain[chain.length - 1]! : null, lastRunId: own.lastRunId,
      status: own.status, reasons: own.reasons, lastUpdated: own.lastUpdated,
    })
  }
  return result
}

/**
 * True when an upstream in this state may be read by a step: present, checked, and not late.
 * A source failed only by a schema change is usable: the readers it breaks are blocked by their own status.
 */
export function usableAsInput(status: AssetStatusRecord): boolean {
  if (status.status === 'fresh') return true
  if (status.status === 'failed') return status.reasons.length > 0 && status.reasons.every((r) => r.type === 'schema_changed')
  if (status.status !== 'stale') return false
  for (const reason of status.reasons) if (!NOT_BLOCKING_UPSTREAM.has(reason.type)) return false
  return true
}

/** What status reads of one node, copied out of its definition. */
interface NodeFacts {
  readonly key: string
  readonly owner: string | null
  readonly freshness: FreshnessPolicy | undefined
  /** How a source is observed; undefined for assets. */
  readonly source: SourceObserver | undefined
  /** A source's contract, judged at each observation; undefined otherwise. */
  readonly contract: Contract | undefined
  readonly upstream: readonly string[]
  readonly codeVersion: string
}

// Each definition is its own object shape (its materialize function is part of it), so
// reading `def.owner` across 10,000 of them costs V8 a slow lookup every time. The graph is
// immutable, so the few fields status reads are copied out once per graph, in graph order.
const factsByGraph = new WeakMap<AssetGraph, readonly NodeFacts[]>()

function nodeFacts(graph: AssetGraph): readonly NodeFacts[] {
  let facts = factsByGraph.get(graph)
  if (!facts) {
    facts = graph.order.map((key): NodeFacts => {
      const { def, upstream, codeVersion } = graph.get(key)
      const source = def.type === 'source' ? def.observe : undefined
      const contract = def.type === 'source' ? def.contract : undefined
      return { key, owner: def.owner ?? null, freshness: def.freshness, source, contract, upstream, codeVersion }
    })
    factsByGraph.set(graph, facts)
  }
  return facts
}

interface Own {
  readonly status: AssetStatus
  readonly reasons: StatusReason[]
  readonly lastUpdated: Date | null
  readonly lastRunId: string | null
}

function own(status: AssetStatus, reasons: StatusReason[], lastUpdated: Date | null, lastRunId: string | null): Own {
  return { status, reasons, lastUpdated, lastRunId }
}

function sourceStatus(node: NodeFacts, observe: SourceObserver, inputs: StatusInputs, breaks: readonly SchemaBreak[] | undefined): Own {
  const observation = inputs.observations.get(node.key)
  if (!observation || !observation.exists) {
    const what = observe.type === 'files' ? `no files match ${observe.pattern}` : observe.type === 'table' ? `table ${observe.relation} does not exist` : 'not observed yet'
    return own('missing', [{ type: 'missing', message: observation ? what : `${what} (not observed yet)` }], null, null)
  }
  const late = lateness(node.freshness, observation.lastUpdated, inputs.now)
  if (late) return own('late', [late], observation.lastUpdated, null)
  // Its observed schema breaks its own contract: the source is the root cause, and every reader is blocked.
  const breach = node.contract && sourceContractBreach({ key: node.key, contract: node.contract, observe }, observation)
  if (breach) return own('failed', [{ type: 'contract_breached', message: breach.message, columns: breach.breaches.map((b) => b.column) }], observation.lastUpdated, null)
  // Its new schema breaks readers: the source is the root cause (its owner's to fix or announce).
  if (breaks) return own('failed', [{ type: 'schema_changed', message: schemaChangedMessage(breaks) }], observation.lastUpdated, null)
  return own('fresh', [], observation.lastUpdated, null)
}

/** "schema changed: removed amount, which marts/x reads; retyped id …, which marts/y reads". */
function schemaChangedMessage(breaks: readonly SchemaBreak[]): string {
  return `schema changed: ${breaks.map((b) => b.detail).join('; ')}`
}

function bySource(breaks: ReadonlyMap<string, SchemaBreak> | undefined): Map<string, SchemaBreak[]> | undefined {
  if (!breaks || breaks.size === 0) return undefined
  const grouped = new Map<string, SchemaBreak[]>()
  for (const b of breaks.values()) grouped.set(b.source, [...(grouped.get(b.source) ?? []), b])
  return grouped
}

function assetStatus(node: NodeFacts, inputs: StatusInputs, upstreamStatuses: ReadonlyMap<string, AssetStatusRecord>): Own {
  const state = inputs.states.get(node.key)
  const materialization = state?.lastMaterialization ?? null
  const step = state?.lastStep ?? null
  const lastUpdated = materialization?.createdAt ?? null
  const lastRunId = step?.runId ?? null
  const stepIsNewer = step !== null && (materialization === null || step.runId !== materialization.runId || step.status !== 'succeeded')
  if (step && (step.status === 'queued' || step.status === 'waiting' || step.status === 'running') && inputs.activeRunIds.has(step.runId)) {
    return own('running', [{ type: 'running', message: `${step.status} in run ${step.runId}` }], lastUpdated, lastRunId)
  }
  // A source breaking its declared contract outranks the schema change it also is.
  const breached = breachedSource(node, upstreamStatuses)
  if (breached) return own('blocked', [{ type: 'blocked', upstream: breached.key, message: readerMessage({ source: breached.key, owner: breached.owner, message: breached.reasons[0]!.message }) }], lastUpdated, lastRunId)
  const broken = inputs.schemaBreaks?.get(node.key)
  if (broken) return own('blocked', [{ type: 'blocked', upstream: broken.source, message: broken.message }], lastUpdated, lastRunId)
  if (stepIsNewer && step.status === 'failed') {
    const upstream = step.error?.upstream
    return own('failed', [{ type: 'failed', message: step.error?.message ?? step.reason ?? 'failed', ...(upstream ? { upstream } : {}) }], lastUpdated, lastRunId)
  }
  if (stepIsNewer && step.status === 'blocked') {
    // Blocked waiting on an input that stayed not ready (TRB3003): the chain walks to that input.
    const upstream = step.error?.upstream
    return own('blocked', [{ type: 'blocked', message: step.reason ?? 'a blocking check failed', ...(upstream ? { upstream } : {}) }], lastUpdated, lastRunId)
  }
  const reasons: StatusReason[] = []
  for (const upstream of node.upstream) {
    const status = upstreamStatuses.get(upstream)
    if (status && !usableAsInput(status)) {
      reasons.push({ type: 'upstream_not_ready', upstream, message: `upstream ${upstream} is ${status.status}` })
    }
  }
  if (!materialization) {
    // Never built because an upstream is not ready: the chain must lead there, not stop here.
    return own('missing', [{ type: 'missing', message: 'never materialized' }, ...reasons], lastUpdated, lastRunId)
  }
  const late = lateness(node.freshness, lastUpdated, inputs.now)
  if (late) reasons.push(late)
  if (materialization.codeVersion !== node.codeVersion) {
    reasons.push({ type: 'code_changed', message: `code changed since the last materialization (${materialization.codeVersion} → ${node.codeVersion})` })
  }
  for (const upstream of node.upstream) {
    const current = currentDataVersion(upstream, inputs)
    const used = materialization.inputVersions[upstream]
    if (current !== undefined && current !== used) {
      reasons.push({ type: 'upstream_newer', upstream, message: `upstream ${upstream} has newer data` })
    }
  }
  const status: AssetStatus = late ? 'late' : reasons.length > 0 ? 'stale' : 'fresh'
  return own(status, reasons, lastUpdated, lastRunId)
}

/** The first source this asset reads whose observed schema breaks the source's contract. */
function breachedSource(node: NodeFacts, statuses: ReadonlyMap<string, AssetStatusRecord>): AssetStatusRecord | undefined {
  for (const upstream of node.upstream) {
    const status = statuses.get(upstream)
    if (status?.status === 'failed' && status.reasons[0]?.type === 'contract_breached') return status
  }
  return undefined
}

function currentDataVersion(key: string, inputs: StatusInputs): string | undefined {
  const state = inputs.states.get(key)
  if (state?.lastMaterialization) return state.lastMaterialization.dataVersion
  return inputs.observations.get(key)?.dataVersion ?? undefined
}

/** The lateness reason when `lastUpdated` violates the policy at `now`, else undefined. */
export function lateness(policy: FreshnessPolicy | undefined, lastUpdated: Date | null, now: Date): StatusReason | undefined {
  if (!policy) return undefined
  const age = lastUpdated ? now.getTime() - lastUpdated.getTime() : Number.POSITIVE_INFINITY
  if (policy.maxAge !== undefined) {
    const maxAge = maxAgeMs(policy.maxAge)
    if (age > maxAge) {
      return { type: 'late', message: `last updated ${lastUpdated ? `${formatDuration(age)} ago` : 'never'}, older than maxAge ${policy.maxAge}` }
    }
  }
  if (policy.deadline !== undefined) {
    const timezone = policy.timezone ?? 'UTC'
    // "Updated every day by 07:00": by each deadline it must have been updated after the one before.
    // The previous deadline is found on the calendar (or the cron), not 24h back: DST days are 23 or 25 hours long.
    const window = deadlineWindow(policy.deadline, timezone, now)
    if (window && (!lastUpdated || lastUpdated.getTime() <= window.previous.getTime())) {
      return { type: 'late', message: `not updated by its ${policy.deadline} ${timezone} deadline` }
    }
  }
  return undefined
}

// lateness() runs for every node with a policy on every status(), and a project has few
// distinct policies, so each maxAge text is parsed once per process (deadlines cache their cron).
const maxAges = new Map<Duration, number>()

function maxAgeMs(maxAge: Duration): number {
  let ms = maxAges.get(maxAge)
  if (ms === undefined) {
    // parseDuration throws on a bad duration; nothing is cached then, so every call throws alike.
    ms = parseDuration(maxAge)
    maxAges.set(maxAge, ms)
  }
  return ms
}

function buildChain(key: string, own: Own, owner: string | null, statuses: ReadonlyMap<string, AssetStatusRecord>): ChainLink[] {
  const first = own.reasons[0]
  const head: ChainLink = { key, status: own.status, owner, message: own.reasons.map((r) => r.message).join('; ') || own.status }
  // Follow the first upstream that is not ready: its chain already ends at the root cause.
  const blocking = own.reasons.find((reason) => reason.type === 'upstream_not_ready' || ((reason.type === 'failed' || reason.type === 'blocked') && reason.upstream))
  if (blocking?.upstream) {
    const upstream = statuses.get(blocking.upstream)
    if (upstream && upstream.chain.length > 0) return [head, ...upstream.chain]
  }
  return first ? [head] : []
}
