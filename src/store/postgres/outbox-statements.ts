import type { DeliveryRecord, IncidentRecord, OutboxEntry, OutboxOutcome, OutboxStatus } from '../automation-store.js'
import { FIRST_IN_LINE, toEntry, type OutboxRow } from '../outbox-rows.js'
import type { Client, Pool } from './open-pool.js'

/** The alert outbox's statements, the SQLite store's in PostgreSQL's dialect; callers hold the transaction. */
export const outbox = {
  /** Queues `event` of `incident` for each sink in `sinks` (none when undefined or empty). */
  async enqueue(db: Client, incident: IncidentRecord, event: DeliveryRecord['event'], sinks: readonly string[] | undefined, at: Date): Promise<void> {
    if (!sinks?.length) return
    const snapshot = JSON.stringify(incident)
    for (const sink of new Set(sinks)) {
      await db.query('INSERT INTO alert_outbox (incident_id, event, sink, incident, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)',
        [incident.id, event, sink, snapshot, at.getTime()])
    }
  },

  /** See AutomationStore.claimOutbox. */
  async claim(db: Client, options: { holder: string; at: Date; leaseUntil: Date; limit: number }): Promise<OutboxEntry[]> {
    const at = options.at.getTime()
    const { rows } = await db.query<OutboxRow>(`SELECT * FROM alert_outbox o WHERE ${FIRST_IN_LINE} AND o.next_attempt_at <= $1 ORDER BY o.id LIMIT $2`, [at, options.limit])
    const entries: OutboxEntry[] = []
    for (const row of rows) {
      // A lease that ran out unsettled: its holder died or hung mid-attempt. The receiver may have got it.
      if (row.leased_by !== null) {
        await db.query('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES ($1, $2, $3, $4, 0, $5, $6)',
          [row.incident_id, row.sink, row.event, row.attempts, `interrupted: ${row.leased_by} stopped before the attempt ended`, at])
      }
      await db.query('UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = $1, leased_by = $2 WHERE id = $3', [options.leaseUntil.getTime(), options.holder, row.id])
      entries.push(toEntry({ ...row, attempts: row.attempts + 1, next_attempt_at: options.leaseUntil.getTime(), leased_by: options.holder }))
    }
    return entries
  },

  /** See AutomationStore.settleOutbox. */
  async settle(db: Client, id: number, outcome: OutboxOutcome): Promise<void> {
    const row = (await db.query<OutboxRow>('SELECT * FROM alert_outbox WHERE id = $1', [id])).rows[0]
    if (!row || row.status !== 'pending') return
    const at = outcome.at.getTime()
    await db.query('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [row.incident_id, row.sink, row.event, row.attempts, outcome.error === null ? 1 : 0, outcome.error, at])
    const status: OutboxStatus = outcome.error === null ? 'delivered' : outcome.retryAt === null ? 'exhausted' : 'pending'
    await db.query('UPDATE alert_outbox SET status = $1, next_attempt_at = $2, leased_by = NULL, last_error = $3, settled_at = $4 WHERE id = $5',
      [status, outcome.retryAt?.getTime() ?? row.next_attempt_at, outcome.error ?? row.last_error, status === 'pending' ? null : at, id])
  },

  /** See AutomationStore.nextOutboxDue. */
  async nextDue(db: Pool): Promise<Date | null> {
    const { rows } = await db.query<{ due: number | null }>(`SELECT min(o.next_attempt_at) AS due FROM alert_outbox o WHERE ${FIRST_IN_LINE}`)
    const ms = rows[0]?.due ?? null
    return ms === null ? null : new Date(ms)
  },

  /** See AutomationStore.listOutbox. */
  async list(db: Pool, options: { status?: OutboxStatus; incidentId?: number; limit?: number }): Promise<OutboxEntry[]> {
    const { rows } = await db.query<OutboxRow>(`SELECT * FROM alert_outbox WHERE ($1::text IS NULL OR status = $1::text)
      AND ($2::bigint IS NULL OR incident_id = $2::bigint) ORDER BY id DESC LIMIT $3`, [options.status ?? null, options.incidentId ?? null, options.limit ?? 100])
    return rows.map(toEntry)
  },

  /** See AutomationStore.countOutbox. */
  async count(db: Pool): Promise<Record<OutboxStatus, number>> {
    const counts: Record<OutboxStatus, number> = { pending: 0, delivered: 0, exhausted: 0 }
    const { rows } = await db.query<{ status: OutboxStatus; n: number }>('SELECT status, count(*)::integer AS n FROM alert_outbox GROUP BY status')
    for (const row of rows) counts[row.status] = row.n
    return counts
  },
}
