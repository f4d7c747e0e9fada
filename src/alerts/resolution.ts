import type { AssetStatusRecord } from '../engine/status.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import type { AlertCondition, IncidentRecord } from '../store/automation-store.js'

/** What explaining a resolution reads. */
export interface ResolutionContext {
  readonly graph: AssetGraph
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
  /** Asset key → the root cause its problems are routed to this tick. */
  readonly routed: ReadonlyMap<string, string>
  readonly enabled: { has(condition: AlertCondition): boolean }
  readonly now: Date
}

const GONE: Record<AlertCondition, string> = {
  source_late: 'late', run_failed: 'failed', check_failed: 'blocked', schema_drift: 'drifted',
  sla_breached: 'past its freshness SLA', sla_at_risk: 'at risk of missing its freshness SLA', circuit_open: 'held by an open circuit',
}

/**
 * True when an incident missing from this tick's problems cannot be called over yet: its asset
 * is re-running (the run decides), or — drift being reported only on the tick it is observed —
 * not every reader of the drifted source has materialized since the incident opened.
 */
export function awaitingVerdict(incident: IncidentRecord, context: ResolutionContext): boolean {
  const node = context.graph.nodes.get(incident.assetKey)
  if (!node || !context.enabled.has(incident.condition) || context.routed.has(incident.assetKey)) return false
  if (incident.condition === 'run_failed' || incident.condition === 'check_failed') return context.statuses.get(node.key)?.status === 'running'
  if (incident.condition !== 'schema_drift') return false
  return !node.downstream.every((key) => {
    const status = context.statuses.get(key)
    return status?.ready === true && status.lastUpdated !== null && status.lastUpdated.getTime() > incident.openedAt.getTime()
  })
}

/** Why an incident whose problem is gone this tick is resolved: "recovered: raw/x is fresh again at …". */
export function resolutionMessage(incident: IncidentRecord, context: ResolutionContext): string {
  const key = incident.assetKey
  const at = context.now.toISOString()
  if (!context.graph.has(key)) return `resolved: ${key} is no longer in the project (${at})`
  if (!context.enabled.has(incident.condition)) return `resolved: the alert rules no longer include ${incident.condition} (${at})`
  const root = context.routed.get(key)
  if (root) return `superseded: ${key} now fails because of ${root}, whose incident carries it (${at})`
  const status = context.statuses.get(key)?.status
  switch (incident.condition) {
    case 'schema_drift': return `recovered: every reader of ${key} has materialized on its new schema (${at})`
    case 'circuit_open': return `recovered: ${key} is re-materialized automatically again (circuit closed) at ${at}`
    case 'sla_breached': return `recovered: ${key} meets its freshness SLA again at ${at}`
    case 'sla_at_risk': return `recovered: ${key} is on track for its freshness SLA again at ${at}`
    default:
      if (status === 'fresh') return `recovered: ${key} is fresh again at ${at}`
      return `recovered: ${key} is no longer ${GONE[incident.condition]}${status ? ` (now ${status})` : ''} at ${at}`
  }
}
