import type { SlaVerdict } from '../automation/sla.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import type { AlertCondition } from '../store/automation-store.js'

/** One problem seen this tick, on the asset that is its root cause. */
export interface Problem {
  readonly assetKey: string
  readonly condition: AlertCondition
  /** What is wrong and what it holds up, in words. */
  readonly message: string
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
}

/** This tick's problems, and which assets' own problems were routed to an upstream root cause. */
export interface ProblemSet {
  readonly problems: readonly Problem[]
  /** Asset key → the key of the root cause its problems were routed to. */
  readonly routed: ReadonlyMap<string, string>
}

/** How many dependents a message names before it says "and N more". */
const NAMED_DEPENDENTS = 5

/**
 * Finds the problems of this tick and routes each to the owner of its root cause: an asset
 * whose chain leads to an upstream that has a problem of its own raises nothing itself; it is
 * named in that upstream's message instead. Pure.
 */
export function findProblems(inputs: ProblemInputs): ProblemSet {
  const own = ownProblems(inputs)
  const routed = new Map<string, string>()
  for (const key of own.keys()) {
    const target = rootWithProblem(key, inputs.statuses.get(key), own)
    if (target !== key) routed.set(key, target)
  }
  const waiting = waitingOn(inputs, own)
  const problems: Problem[] = []
  for (const key of orderKeys(inputs.graph, own.keys())) {
    if (routed.has(key)) continue
    const dependents = inputs.graph.sort(waiting.get(key) ?? [])
    for (const [condition, detail] of own.get(key)!) {
      problems.push({ assetKey: key, condition, message: detail + holdsUp(dependents) })
    }
  }
  return { problems, routed }
}

/** Each asset's own problems (not yet routed), by enabled class. */
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
    if (record.status === 'failed') add(key, 'run_failed', `${key} failed: ${reasons}`)
    else if (record.status === 'blocked') add(key, 'check_failed', `${key} is blocked: ${reasons}`)
    else if (isSource && (record.status === 'late' || record.status === 'missing')) add(key, 'source_late', `${key} is ${record.status}: ${reasons}`)
  }
  for (const [key, message] of inputs.drift) add(key, 'schema_drift', `${key} schema drifted: ${message}`)
  for (const [key, message] of inputs.circuits) add(key, 'circuit_open', `${key}: ${message}`)
  for (const [key, verdict] of inputs.sla) {
    // A late source is already source_late; the same fact twice would page twice.
    if (own.get(key)?.has('source_late')) continue
    if (verdict.state === 'late') add(key, 'sla_breached', `${key} missed its freshness SLA: ${verdict.reason}`)
    else if (verdict.state === 'at_risk') add(key, 'sla_at_risk', `${key} is at risk of missing its freshness SLA: ${verdict.reason}`)
  }
  return own
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
