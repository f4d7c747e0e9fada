import type { SlaVerdict } from '../automation/sla.js'
import type { Clock } from '../engine/clock.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { AssetGraph } from '../graph/asset-graph.js'
import type { AlertsConfig } from '../model/alerts.js'
import type { AutomationStore, IncidentRecord } from '../store/automation-store.js'
import { AffectedOutputs } from './affected-outputs.js'
import { alertSeverities, escalateAfterMs } from './alert-rules.js'
import { createDeliverer, type Deliverer, type DeliveryReport } from './deliverer.js'
import { deliveryPolicy } from './delivery-policy.js'
import { findProblems } from './problems.js'
import { awaitingVerdict, resolutionMessage } from './resolution.js'
import { createSinks } from './sinks/index.js'

/** What one evaluation reads: this tick's view of the project, and where incidents live. */
export interface AlertInput {
  readonly graph: AssetGraph
  /** Every node's status, with its reason chain and root cause (deriveStatuses). */
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
  /** SLA verdicts per asset key; at_risk and late alert. */
  readonly sla: ReadonlyMap<string, SlaVerdict>
  /** Schema drift per source key, in words. */
  readonly drift: ReadonlyMap<string, string>
  /** Open remediation circuits per asset key, in words. Default: none. */
  readonly circuits?: ReadonlyMap<string, string>
  readonly store: AutomationStore
  /** The project's `alerts`. Default: every class, to the log, escalating after 30m. */
  readonly config: AlertsConfig | undefined
  /** The tick's time: incidents open, escalate and resolve at it. */
  readonly now: Date
  /** Default: the config's sinks with its `delivery` policy (10 attempts, 1 s backoff doubling, 5 s per attempt). */
  readonly deliver?: Deliverer
  /** What the default deliverer sleeps and stamps attempts with. Default: the system clock. */
  readonly clock?: Clock
}

/** What one evaluation changed. An incident seen again and escalated is in both `updated` and `escalated`. */
export interface AlertReport {
  /** Incidents raised for the first time; announced 'opened'. */
  readonly opened: readonly IncidentRecord[]
  /** Unresolved incidents seen again (occurrences + 1); not announced. */
  readonly updated: readonly IncidentRecord[]
  /** Open, unacknowledged incidents older than escalateAfter; announced 'escalated' once. */
  readonly escalated: readonly IncidentRecord[]
  /** Incidents whose problem is gone; announced 'resolved' with the reason. */
  readonly resolved: readonly IncidentRecord[]
  /**
   * Incidents resolved without an announcement because another incident now carries their
   * problem: an SLA at risk that turned into a breach, or a root cause folded into the SLA
   * incident of the output it holds up.
   */
  readonly superseded: readonly IncidentRecord[]
  /** What the pass over the outbox did: this tick's notifications and earlier ones due for a retry. */
  readonly delivery: DeliveryReport
}

/** Unresolved incidents read per evaluation; far above any real number of open problems. */
const UNRESOLVED_LIMIT = 1_000_000

/**
 * Evaluates alerting once (the daemon calls it every tick): finds the problems, routes each to
 * the owner of its root cause, opens or updates one incident per (asset, condition), escalates
 * the ones left unacknowledged, resolves the ones whose problem is gone, and announces all of
 * it through the sinks: each announcement is queued in the outbox in the transaction of its
 * incident change, then the outbox is drained (earlier failures that are due included). Sink
 * failures are recorded and retried, never thrown; store failures are thrown.
 */
export async function evaluateAlerts(input: AlertInput): Promise<AlertReport> {
  const { store, now } = input
  const severities = alertSeverities(input.config)
  const escalateAfter = escalateAfterMs(input.config)
  const { problems, routed, folded } = findProblems({ ...input, circuits: input.circuits ?? new Map(), enabled: severities })
  const affected = new AffectedOutputs(input.graph)
  const report = { opened: [] as IncidentRecord[], updated: [] as IncidentRecord[], escalated: [] as IncidentRecord[], resolved: [] as IncidentRecord[], superseded: [] as IncidentRecord[] }
  const deliver = input.deliver ?? createDeliverer({ store, sinks: createSinks(input.config?.sinks), ...deliveryPolicy(input.config), ...(input.clock ? { clock: input.clock } : {}) })
  const notify = deliver.sinks
  const current = new Set<string>()

  for (const problem of problems) {
    current.add(incidentKey(problem.assetKey, problem.condition))
    const node = input.graph.nodes.get(problem.assetKey)
    const ownOwner = node?.def.owner ?? input.statuses.get(problem.assetKey)?.owner ?? null
    // An SLA incident keeps paging the owner of its root cause while the output catches up after the fix.
    const owner = problem.owner !== undefined ? problem.owner
      : problem.condition === 'sla_at_risk' || problem.condition === 'sla_breached' ? ((await store.findOpenIncident(problem.assetKey, problem.condition))?.owner ?? ownOwner)
        : ownOwner
    const { incident, created } = await store.raiseIncident({
      assetKey: problem.assetKey,
      condition: problem.condition,
      severity: severities.get(problem.condition)!,
      owner,
      message: problem.message,
      affected: problem.affectedFrom ? [...new Set(problem.affectedFrom.flatMap((key) => affected.of(key)))].sort() : affected.of(problem.assetKey),
      at: now,
      notify,
    })
    if (created) {
      report.opened.push(incident)
      continue
    }
    report.updated.push(incident)
    if (incident.status === 'open' && incident.escalatedAt === null && now.getTime() - incident.openedAt.getTime() > escalateAfter) {
      await store.markEscalated(incident.id, now, notify)
      report.escalated.push((await store.getIncident(incident.id)) ?? { ...incident, escalatedAt: now })
    }
  }

  const context = { graph: input.graph, statuses: input.statuses, routed, enabled: severities, now }
  for (const incident of await store.listIncidents({ status: 'unresolved', limit: UNRESOLVED_LIMIT })) {
    if (current.has(incidentKey(incident.assetKey, incident.condition))) continue
    const supersededBy = supersession(incident, current, folded, now)
    if (supersededBy === null && awaitingVerdict(incident, context)) continue
    const resolution = supersededBy ?? resolutionMessage(incident, context)
    // Superseded incidents are closed silently: the incident that carries their problem speaks for them.
    const resolved = await store.resolveIncident(incident.id, resolution, now, supersededBy === null ? notify : [])
    // Resolved meanwhile (by hand, or by another daemon): theirs to announce, not ours.
    if (resolved?.resolution !== resolution || resolved.resolvedAt?.getTime() !== now.getTime()) continue
    if (supersededBy !== null) {
      report.superseded.push(resolved)
      continue
    }
    report.resolved.push(resolved)
  }

  return { ...report, delivery: await deliver.drain() }
}

/** Why an incident is resolved silently because another current incident carries its problem, or null. */
function supersession(incident: IncidentRecord, current: ReadonlySet<string>, folded: ReadonlyMap<string, string>, now: Date): string | null {
  const at = now.toISOString()
  if (incident.condition === 'sla_at_risk' && current.has(incidentKey(incident.assetKey, 'sla_breached'))) {
    return `superseded: ${incident.assetKey} breached its freshness SLA; the sla_breached incident carries it (${at})`
  }
  const carrier = folded.get(incident.assetKey)
  if (carrier === undefined) return null
  for (const condition of ['sla_breached', 'sla_at_risk'] as const) {
    if (current.has(incidentKey(carrier, condition))) return `superseded: carried by the ${condition} incident on ${carrier} (${at})`
  }
  return null
}

function incidentKey(assetKey: string, condition: string): string {
  return `${assetKey}\u0000${condition}`
}
