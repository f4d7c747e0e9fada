import type { SlaVerdict } from '../automation/sla.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import type { AlertCondition } from '../store/automation-store.js'
import { parseDuration } from '../model/duration.js'
import { lastDeadlineBefore, parseDeadline, type FreshnessPolicy } from '../model/freshness.js'

/** One problem seen this tick, on the asset that is its root cause (or, for an SLA, on the business output). */
export interface Problem {
  readonly assetKey: string
  readonly condition: AlertCondition
  /** What is wrong and what it holds up, in words. */
  readonly message: string
  /**
   * Who is paged, when not the asset's own owner: an SLA problem goes to the owner of its root
   * cause. Undefined: the asset's owner — or, for an SLA problem whose root cause is gone while
   * the output catches up, whoever its open incident already pages.
   */
  readonly owner?: string | null
  /** The keys whose affected outputs the incident lists. Default: the asset's own. */
  readonly affectedFrom?: readonly string[]
}

/** What finding problems reads: this tick's view of the project. */
export interface ProblemInputs {
  readonly graph: AssetGraph
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
  readonly sla: ReadonlyMap<string, SlaVerdict>
  /** Schema drift per source key, in words. */
  readonly drift: ReadonlyMap<string, string>
  /** Open remediation circuits per asset key, in words. */
  readonly circuits: ReadonlyMap<string, string>
  /** Classes that alert; the others are neither raised nor routed to. */
  readonly enabled: { has(condition: AlertCondition): boolean }
  /** The tick's time: how late a late source is. Default: now. */
  readonly now?: Date
}

/** This tick's problems, and which assets' own problems were routed to an upstream root cause. */
export interface ProblemSet {
  readonly problems: readonly Problem[]
  /** Asset key → the key of the root cause its problems were routed to. */
  readonly routed: ReadonlyMap<string, string>
  /**
   * Asset key → the SLA output whose incident carries its problems: a root cause folded into
   * the SLA incident of the output it holds up (same owner), or an SLA asset upstream of
   * another SLA asset at risk for the same reason.
   */
  readonly folded: ReadonlyMap<string, string>
}

/** How many dependents a message names before it says "and N more". */
const NAMED_DEPENDENTS = 5

/**
 * Finds the problems of this tick and routes each to the owner of its root cause: an asset
 * whose chain leads to an upstream that has a problem of its own raises nothing itself; it is
 * named in that upstream's message instead. SLA problems stay on the output that has the SLA
 * and page the owner of its root cause, whose own problems (same owner) are folded into it:
 * a late CRM export behind the revenue dashboard is one "07:00 deadline at risk" incident
 * for team:crm, not a source_late and an SLA incident. Among SLA outputs at risk for the same
 * owner, only the most downstream ones raise; the others are named in their message. Pure.
 */
export function findProblems(inputs: ProblemInputs): ProblemSet {
  const own = ownProblems(inputs)
  const routed = new Map<string, string>()
  for (const key of own.keys()) {
    const target = rootWithProblem(key, inputs.statuses.get(key), own)
    if (target !== key) routed.set(key, target)
  }
  const { problems: slaProblems, folded } = slaIncidents(inputs, own, routed)
  const waiting = waitingOn(inputs, own)
  const problems: Problem[] = []
  for (const key of orderKeys(inputs.graph, own.keys())) {
    if (routed.has(key) || folded.has(key)) continue
    const dependents = inputs.graph.sort(waiting.get(key) ?? [])
    for (const [condition, detail] of own.get(key)!) {
      problems.push({ assetKey: key, condition, message: detail + holdsUp(dependents) })
    }
  }
  problems.push(...slaProblems)
  return { problems, routed, folded }
}

/** Each asset's own problems (not yet routed), by enabled class. SLA verdicts of assets are handled by slaIncidents. */
function ownProblems(inputs: ProblemInputs): Map<string, Map<AlertCondition, string>> {
  const own = new Map<string, Map<AlertCondition, string>>()
  const add = (key: string, condition: AlertCondition, message: string) => {
    if (!inputs.enabled.has(condition)) return
    let conditions = own.get(key)
    if (!conditions) own.set(key, (conditions = new Map()))
    conditions.set(condition, message)
  }
  for (const [key, record] of inputs.statuses) {
    const reasons = record.reasons.map((reason) => reason.message).join('; ') || record.status
    const isSource = inputs.graph.nodes.get(key)?.def.type === 'source'
    // A source whose new schema breaks its readers: schema drift on the source, for its owner, while it lasts.
    if (isSource && record.status === 'failed' && record.reasons.some((r) => r.type === 'schema_changed')) add(key, 'schema_drift', `${key} ${reasons}`)
    // A source whose observed schema breaks its own contract: schema drift too, for its owner; its blocked readers route here.
    else if (isSource && record.status === 'failed' && record.reasons.some((r) => r.type === 'contract_breached')) add(key, 'schema_drift', `${key} ${reasons}`)
    else if (record.status === 'failed') {
      // A step that failed only because an upstream was not ready is no failure of its own once
      // that upstream is ready again: it waits for its next run, and the upstream's incident told the story.
      const upstreamOnly = record.reasons.every((r) => r.type === 'failed' && r.upstream !== undefined && inputs.statuses.get(r.upstream)?.ready === true)
      if (!upstreamOnly || record.reasons.length === 0) add(key, 'run_failed', `${key} failed: ${reasons}`)
    }
    else if (record.status === 'blocked') {
      // Blocked waiting on an input (not by its own checks): like a failure for that reason, no
      // problem of its own once the input is ready; while it is not, its chain routes it there.
      const upstreamOnly = record.reasons.every((r) => r.type === 'blocked' && r.upstream !== undefined && inputs.statuses.get(r.upstream)?.ready === true)
      if (!upstreamOnly || record.reasons.length === 0) add(key, 'check_failed', `${key} is blocked: ${reasons}`)
    }
    else if (isSource && (record.status === 'late' || record.status === 'missing')) add(key, 'source_late', `${key} is ${record.status}: ${reasons}`)
  }
  for (const [key, message] of inputs.drift) {
    // A source breaking its contract says so (which columns break the promise), rather than only what drifted.
    if (inputs.statuses.get(key)?.reasons.some((r) => r.type === 'contract_breached')) continue
    add(key, 'schema_drift', `${key} schema drifted: ${message}`)
  }
  for (const [key, message] of inputs.circuits) add(key, 'circuit_open', `${key}: ${message}`)
  for (const [key, verdict] of inputs.sla) {
    if (inputs.graph.nodes.get(key)?.def.type !== 'source') continue
    // A source's lateness is source_late; the same fact twice would page twice. An export not
    // landed yet before its due time is no one's problem until it is late.
    if (verdict.state !== 'late' || own.get(key)?.has('source_late')) continue
    add(key, 'sla_breached', `${key} missed its freshness SLA: ${verdict.reason}`)
  }
  return own
}

interface SlaCandidate {
  readonly key: string
  readonly condition: 'sla_at_risk' | 'sla_breached'
  readonly verdict: SlaVerdict
  /** The root cause named and paged, when an upstream has a problem. */
  readonly primary: string | null
  /** Every upstream root cause with a problem of the primary's owner: folded into the incident. */
  readonly roots: readonly string[]
  readonly owner: string | null | undefined
}

/** SLA problems of produced assets, on the most downstream output per (condition, owner); and what they fold. */
function slaIncidents(inputs: ProblemInputs, own: ReadonlyMap<string, ReadonlyMap<AlertCondition, string>>, routed: ReadonlyMap<string, string>): { problems: Problem[]; folded: Map<string, string> } {
  const candidates: SlaCandidate[] = []
  for (const key of orderKeys(inputs.graph, inputs.sla.keys())) {
    const verdict = inputs.sla.get(key)!
    const node = inputs.graph.nodes.get(key)
    if (node?.def.type === 'source' || verdict.state === 'on_time') continue
    const condition = verdict.state === 'late' ? 'sla_breached' : 'sla_at_risk'
    if (!inputs.enabled.has(condition)) continue
    // Root causes: upstream problems that hold data back (a drifted but fresh source does not).
    const upstreamRoots = node ? inputs.graph.sort([...inputs.graph.upstreamOf(key)].filter((k) => own.has(k) && !routed.has(k) && inputs.statuses.get(k)?.ready === false)) : []
    const chainRoot = rootWithProblem(key, inputs.statuses.get(key), own)
    const primary = upstreamRoots.includes(chainRoot) ? chainRoot : (upstreamRoots[0] ?? null)
    const owner = primary === null ? undefined : ownerOf(inputs, primary)
    const roots = primary === null ? [] : upstreamRoots.filter((k) => ownerOf(inputs, k) === owner)
    candidates.push({ key, condition, verdict, primary, roots, owner })
  }
  const groups = new Map<string, SlaCandidate[]>()
  for (const candidate of candidates) {
    // Outputs late with no upstream problem (still catching up, or slow themselves) fold into the most downstream one.
    const group = `${candidate.condition}\u0000${candidate.owner === undefined ? 'no-root' : `owner:${candidate.owner ?? ''}`}`
    const members = groups.get(group)
    if (members) members.push(candidate)
    else groups.set(group, [candidate])
  }
  const problems: Problem[] = []
  const folded = new Map<string, string>()
  for (const members of groups.values()) {
    const below = new Map(members.map((m) => [m.key, inputs.graph.has(m.key) ? inputs.graph.downstreamOf(m.key) : new Set<string>()]))
    const carriers = members.filter((m) => !members.some((other) => other !== m && below.get(m.key)!.has(other.key)))
    for (const carrier of carriers) {
      const carried = members.filter((m) => m !== carrier && below.get(m.key)!.has(carrier.key))
      for (const m of carried) if (!folded.has(m.key)) folded.set(m.key, carrier.key)
      const roots = [...new Set([...carrier.roots, ...carried.flatMap((m) => m.roots)])]
      for (const root of roots) if (!folded.has(root)) folded.set(root, carrier.key)
      problems.push({
        assetKey: carrier.key,
        condition: carrier.condition,
        message: slaMessage(inputs, carrier, roots, carried.map((m) => m.key)),
        ...(carrier.owner === undefined ? {} : { owner: carrier.owner }),
        affectedFrom: [carrier.key, ...roots],
      })
    }
  }
  return { problems, folded }
}

/** "dashboards/revenue 07:00 deadline at risk: landing/crm_accounts is 2h late (team:crm)". */
function slaMessage(inputs: ProblemInputs, candidate: SlaCandidate, roots: readonly string[], carried: readonly string[]): string {
  const policy = inputs.graph.nodes.get(candidate.key)?.def.freshness
  const label = policy?.deadline !== undefined ? `${policy.deadline} deadline` : policy?.maxAge !== undefined ? `maxAge ${policy.maxAge} freshness SLA` : 'freshness SLA'
  const head = `${candidate.key} ${label} ${candidate.condition === 'sla_at_risk' ? 'at risk' : 'breached'}`
  let cause = candidate.verdict.reason
  if (candidate.primary !== null) {
    const others = roots.filter((k) => k !== candidate.primary)
    const owner = candidate.owner ? ` (${candidate.owner})` : ''
    cause = `${describeRoot(inputs, candidate.primary)}${owner}${others.length > 0 ? `; also ${others.map((k) => describeRoot(inputs, k)).join(', ')}` : ''}`
  }
  const also = carried.length > 0 ? ` · also ${candidate.condition === 'sla_at_risk' ? 'at risk' : 'breached'}: ${carried.join(', ')}` : ''
  return `${head}: ${cause}${also}`
}

/** "landing/crm_accounts is 2h late", "raw/accounts is failed". */
function describeRoot(inputs: ProblemInputs, key: string): string {
  const status = inputs.statuses.get(key)
  const policy = inputs.graph.nodes.get(key)?.def.freshness
  if (status?.status === 'late' && policy) {
    const since = lateSince(policy, status.lastUpdated, inputs.now ?? new Date())
    const by = since === null ? 0 : (inputs.now ?? new Date()).getTime() - since.getTime()
    if (by >= 60_000) return `${key} is ${lateBy(by)} late`
  }
  return `${key} is ${status?.status ?? 'unknown'}`
}

/** When a policy was first violated: the earliest missed deadline, or the last update plus maxAge. */
function lateSince(policy: FreshnessPolicy, lastUpdated: Date | null, now: Date): Date | null {
  const moments: number[] = []
  if (policy.maxAge !== undefined && lastUpdated) moments.push(lastUpdated.getTime() + parseDuration(policy.maxAge))
  const minutes = policy.deadline === undefined ? undefined : parseDeadline(policy.deadline)
  if (minutes !== undefined) {
    const timezone = policy.timezone ?? 'UTC'
    let missed = lastDeadlineBefore(now, minutes, timezone)
    // Walk back over the deadlines it also missed (a week at most; after that "late" says enough).
    for (let i = 0; i < 7 && lastUpdated; i++) {
      const previous = lastDeadlineBefore(new Date(missed.getTime() - 1), minutes, timezone)
      if (lastUpdated.getTime() >= previous.getTime() - 86_400_000) break
      missed = previous
    }
    moments.push(missed.getTime())
  }
  const violated = moments.filter((m) => m <= now.getTime())
  return violated.length === 0 ? null : new Date(Math.min(...violated))
}

/** Minutes and hours: "30m", "2h", "2h 10m". */
function lateBy(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000))
  const hours = Math.floor(minutes / 60)
  if (hours === 0) return `${minutes}m`
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`
}

function ownerOf(inputs: ProblemInputs, key: string): string | null {
  return inputs.graph.nodes.get(key)?.def.owner ?? inputs.statuses.get(key)?.owner ?? null
}

/** The link of `key`'s reason chain nearest the root cause that has a problem of its own; `key` when none has. */
function rootWithProblem(key: string, record: AssetStatusRecord | undefined, own: ReadonlyMap<string, unknown>): string {
  const chain = record?.chain ?? []
  for (let i = chain.length - 1; i >= 1; i--) {
    const link = chain[i]!.key
    if (link !== key && own.has(link)) return link
  }
  return key
}

/** Per problem's asset: the assets not ready because of it, by their reason chains. */
function waitingOn(inputs: ProblemInputs, own: ReadonlyMap<string, unknown>): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>()
  for (const [key, record] of inputs.statuses) {
    if (record.chain.length < 2) continue
    const root = rootWithProblem(key, record, own)
    if (root === key) continue
    let keys = result.get(root)
    if (!keys) result.set(root, (keys = new Set()))
    keys.add(key)
  }
  return result
}

function holdsUp(dependents: readonly string[]): string {
  if (dependents.length === 0) return ''
  const named = dependents.slice(0, NAMED_DEPENDENTS).join(', ')
  const more = dependents.length > NAMED_DEPENDENTS ? ` and ${dependents.length - NAMED_DEPENDENTS} more` : ''
  return ` · holds up ${dependents.length} downstream: ${named}${more}`
}

/** Keys in graph order; keys the graph does not know (a removed asset) last, by name. */
function orderKeys(graph: AssetGraph, keys: Iterable<string>): string[] {
  const all = [...keys]
  return [...graph.sort(all.filter((k) => graph.has(k))), ...all.filter((k) => !graph.has(k)).sort()]
}
