/** One decision the daemon made about one asset at one tick. */
export interface DecisionRecord {
  readonly id: number
  readonly tickId: string
  readonly assetKey: string
  readonly requested: boolean
  /** "requested because raw/crm updated at 05:12", "waiting for raw/crm, which is late". */
  readonly reason: string
  /** The run it started, when it started one. */
  readonly runId: string | null
  readonly at: Date
}

/** Failure classes alerts are raised for. */
export type AlertCondition = 'check_failed' | 'source_late' | 'schema_drift' | 'run_failed' | 'sla_at_risk' | 'sla_breached' | 'circuit_open'

/** How loud an alert is. */
export type AlertSeverity = 'info' | 'warning' | 'critical'

/** Lifecycle of an incident. */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved'

/** One open problem: an asset and a condition, deduplicated across ticks. */
export interface IncidentRecord {
  readonly id: number
  readonly assetKey: string
  readonly condition: AlertCondition
  readonly severity: AlertSeverity
  readonly status: IncidentStatus
  /** Owner of the root cause: who is paged. */
  readonly owner: string | null
  readonly message: string
  /** Downstream outputs affected by it. */
  readonly affected: readonly string[]
  /** How many times the daemon saw it while open. */
  readonly occurrences: number
  readonly openedAt: Date
  readonly updatedAt: Date
  readonly escalatedAt: Date | null
  readonly acknowledgedAt: Date | null
  readonly acknowledgedBy: string | null
  readonly resolvedAt: Date | null
  readonly resolution: string | null
}

/** What raising an alert supplies. */
export interface IncidentInput {
  readonly assetKey: string
  readonly condition: AlertCondition
  readonly severity: AlertSeverity
  readonly owner: string | null
  readonly message: string
  readonly affected: readonly string[]
  readonly at: Date
}

/** One attempt to deliver an incident notification through a sink. */
export interface DeliveryRecord {
  readonly id: number
  readonly incidentId: number
  readonly sink: string
  /** What was announced: opened, escalated, resolved. */
  readonly event: 'opened' | 'escalated' | 'resolved'
  readonly attempt: number
  readonly ok: boolean
  readonly error: string | null
  readonly at: Date
}

/** Where an outbox entry stands: waiting for an attempt, delivered, or out of attempts. */
export type OutboxStatus = 'pending' | 'delivered' | 'exhausted'

/** One notification for one sink, kept until it is delivered or out of attempts. */
export interface OutboxEntry {
  readonly id: number
  readonly incidentId: number
  readonly sink: string
  readonly event: DeliveryRecord['event']
  /** The incident as it was when the change was made: what the notification announces. */
  readonly incident: IncidentRecord
  readonly status: OutboxStatus
  /** Attempts made (or in flight), the first included. */
  readonly attempts: number
  /** Pending: when the next attempt may start (or the lease of the one in flight ends). */
  readonly nextAttemptAt: Date
  readonly lastError: string | null
  readonly createdAt: Date
  /** When it was delivered or given up on. */
  readonly settledAt: Date | null
}

/** How one attempt at an outbox entry ended. */
export interface OutboxOutcome {
  /** null when delivered; the reason in words otherwise. */
  readonly error: string | null
  readonly at: Date
  /** Failed: when to try again, or null to give up (exhausted). */
  readonly retryAt: Date | null
}

/**
 * Automation and alerting state: daemon cursors and tick claims (so a restart neither loses
 * nor repeats a tick and two daemons never fire the same one), decisions, incidents and
 * their deliveries. Lives beside the metadata store; the same conformance rules apply.
 */
export interface AutomationStore {
  migrate(): Promise<void>
  close(): Promise<void>
  /**
   * Claims `tickId` for `holder`. False when another daemon holds it — unless that claim was
   * never completed and was made before `staleBefore` (its daemon died mid-tick): then it is taken over.
   */
  claimTick(tickId: string, holder: string, at: Date, staleBefore?: Date): Promise<boolean>
  /** A claimed tick: who claimed it, when, and whether it completed (with its run). */
  getTick(tickId: string): Promise<{ holder: string; claimedAt: Date; runId: string | null; completedAt: Date | null } | undefined>
  /** Marks a claimed tick done, with the run it started (null when it started none). */
  completeTick(tickId: string, runId: string | null, at: Date): Promise<void>
  getCursor(name: string): Promise<string | null>
  /** Sets a cursor only if it still holds `expected` (compare-and-set). */
  setCursor(name: string, value: string, expected: string | null): Promise<boolean>
  recordDecisions(decisions: readonly Omit<DecisionRecord, 'id'>[]): Promise<void>
  /** Newest first. Default limit: 100. */
  listDecisions(options?: { assetKey?: string; limit?: number }): Promise<DecisionRecord[]>

  /**
   * Opens an incident for (assetKey, condition), or updates the one still open or
   * acknowledged (message, affected, severity, occurrences + 1). `created` tells which.
   */
  raiseIncident(input: IncidentInput & Notify): Promise<{ incident: IncidentRecord; created: boolean }>
  getIncident(id: number): Promise<IncidentRecord | undefined>
  /** The unresolved incident for (assetKey, condition), if any. */
  findOpenIncident(assetKey: string, condition: AlertCondition): Promise<IncidentRecord | undefined>
  /** Newest first. Default limit: 100. */
  listIncidents(options?: { status?: IncidentStatus | 'unresolved'; limit?: number }): Promise<IncidentRecord[]>
  acknowledgeIncident(id: number, by: string, at: Date): Promise<IncidentRecord | undefined>
  markEscalated(id: number, at: Date, notify?: readonly string[]): Promise<void>
  /** Resolves an unresolved incident; `notify` is queued only when this call resolved it. */
  resolveIncident(id: number, resolution: string, at: Date, notify?: readonly string[]): Promise<IncidentRecord | undefined>
  recordDelivery(delivery: Omit<DeliveryRecord, 'id'>): Promise<void>
  listDeliveries(incidentId: number): Promise<DeliveryRecord[]>

  /**
   * Leases up to `limit` pending entries due at `at` (attempts + 1, due again at `leaseUntil`
   * so a holder that dies is taken over), oldest first, at most the oldest pending one per
   * incident and sink (announcements arrive in order). An entry whose last lease ended
   * unsettled gets a failed delivery record saying so.
   */
  claimOutbox(options: { holder: string; at: Date; leaseUntil: Date; limit: number }): Promise<OutboxEntry[]>
  /** Records the attempts claims started (a delivery row each) and settles or reschedules their entries, in one transaction. */
  settleOutbox(outcomes: readonly (OutboxOutcome & { readonly id: number })[]): Promise<void>
  /** When the earliest pending entry that may go next is due (a lease's end included), or null. */
  nextOutboxDue(): Promise<Date | null>
  /** Newest first. Default limit: 100. */
  listOutbox(options?: { status?: OutboxStatus; incidentId?: number; limit?: number }): Promise<OutboxEntry[]>
  /** How many entries are in each status. */
  countOutbox(): Promise<Record<OutboxStatus, number>>
  /**
   * Remembers that webhook sensor `sensor` received each of `ids` at `at`, and forgets those
   * received before `forgetBefore`. False, remembering nothing, when any id was already remembered: a replay.
   */
  rememberWebhookDelivery(sensor: string, ids: readonly string[], at: Date, forgetBefore: Date): Promise<boolean>
  /**
   * The lock that makes one process of many the leader of `role` (the daemon). Absent on a
   * store only one machine can open (SQLite): there every daemon ticks, and tick claims alone
   * keep each firing to one.
   */
  leaderLock?(role: string): LeaderLock
}

/** Leadership of one role among the processes sharing a store: at most one holds it at a time. */
export interface LeaderLock {
  /**
   * Tries once, without waiting: true when this process leads (it already did and its hold is
   * confirmed, or it just took the lock). Throws when the store cannot be reached (then it does not lead).
   */
  tryAcquire(): Promise<boolean>
  /** Whether this process leads: false from the moment the hold is lost (its connection dropped). */
  readonly held: boolean
  /** Gives leadership up, so a standby can take it at its next try. */
  release(): Promise<void>
}

/** The sinks to queue a notification of an incident change for, in the change's transaction. Default: none. */
export interface Notify {
  readonly notify?: readonly string[]
}
