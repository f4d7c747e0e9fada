import type Database from 'better-sqlite3'
import type { DeliveryRecord, IncidentRecord, OutboxEntry, OutboxOutcome, OutboxStatus } from '../automation-store.js'
import { FIRST_IN_LINE, toEntry, type OutboxRow } from '../outbox-rows.js'

/** The alert outbox's statements on the automation store's connection; callers hold the transaction. */
export class OutboxStatements {
  private readonly cache = new Map<string, Database.Statement>()
  constructor(private readonly db: Database.Database) {}

  // Prepared once per connection: preparing costs more than running these small statements.
  private sql(text: string): Database.Statement {
    let statement = this.cache.get(text)
    if (!statement) this.cache.set(text, (statement = this.db.prepare(text)))
    return statement
  }

  /** Queues `event` of `incident` for each sink in `sinks` (none when undefined or empty). */
  enqueue(incident: IncidentRecord, event: DeliveryRecord['event'], sinks: readonly string[] | undefined, at: Date): void {
    if (!sinks?.length) return
    const insert = this.sql('INSERT INTO alert_outbox (incident_id, event, sink, incident, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    const snapshot = JSON.stringify(incident)
    for (const sink of new Set(sinks)) insert.run(incident.id, event, sink, snapshot, at.getTime(), at.getTime())
  }

  /** See AutomationStore.claimOutbox. */
  claim(options: { holder: string; at: Date; leaseUntil: Date; limit: number }): OutboxEntry[] {
    const at = options.at.getTime()
    const rows = this.sql(`SELECT * FROM alert_outbox o WHERE ${FIRST_IN_LINE} AND o.next_attempt_at <= ? ORDER BY o.id LIMIT ?`).all(at, options.limit) as OutboxRow[]
    const lease = this.sql('UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = ?, leased_by = ? WHERE id = ?')
    const interrupted = this.sql('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES (?, ?, ?, ?, 0, ?, ?)')
    return rows.map((row) => {
      // A lease that ran out unsettled: its holder died or hung mid-attempt. The receiver may have got it.
      if (row.leased_by !== null) interrupted.run(row.incident_id, row.sink, row.event, row.attempts, `interrupted: ${row.leased_by} stopped before the attempt ended`, at)
      lease.run(options.leaseUntil.getTime(), options.holder, row.id)
      return toEntry({ ...row, attempts: row.attempts + 1, next_attempt_at: options.leaseUntil.getTime(), leased_by: options.holder })
    })
  }

  /** See AutomationStore.settleOutbox. */
  settle(id: number, outcome: OutboxOutcome): void {
    const row = this.sql('SELECT * FROM alert_outbox WHERE id = ?').get(id) as OutboxRow | undefined
    if (!row || row.status !== 'pending') return
    const at = outcome.at.getTime()
    this.sql('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.incident_id, row.sink, row.event, row.attempts, outcome.error === null ? 1 : 0, outcome.error, at)
    const status: OutboxStatus = outcome.error === null ? 'delivered' : outcome.retryAt === null ? 'exhausted' : 'pending'
    this.sql('UPDATE alert_outbox SET status = ?, next_attempt_at = ?, leased_by = NULL, last_error = ?, settled_at = ? WHERE id = ?')
      .run(status, outcome.retryAt?.getTime() ?? row.next_attempt_at, outcome.error ?? row.last_error, status === 'pending' ? null : at, id)
  }

  /** See AutomationStore.nextOutboxDue. */
  nextDue(): Date | null {
    const ms = this.sql(`SELECT min(o.next_attempt_at) FROM alert_outbox o WHERE ${FIRST_IN_LINE}`).pluck().get() as number | null
    return ms === null ? null : new Date(ms)
  }

  /** See AutomationStore.listOutbox. */
  list(options: { status?: OutboxStatus; incidentId?: number; limit?: number }): OutboxEntry[] {
    const rows = this.sql(`SELECT * FROM alert_outbox WHERE (? IS NULL OR status = ?) AND (? IS NULL OR incident_id = ?) ORDER BY id DESC LIMIT ?`)
      .all(options.status ?? null, options.status ?? null, options.incidentId ?? null, options.incidentId ?? null, options.limit ?? 100) as OutboxRow[]
    return rows.map(toEntry)
  }

  /** See AutomationStore.countOutbox. */
  count(): Record<OutboxStatus, number> {
    const counts: Record<OutboxStatus, number> = { pending: 0, delivered: 0, exhausted: 0 }
    for (const row of this.sql('SELECT status, count(*) AS n FROM alert_outbox GROUP BY status').all() as { status: OutboxStatus; n: number }[]) counts[row.status] = row.n
    return counts
  }
}
