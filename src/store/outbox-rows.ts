// The alert outbox's rows as both dialects store them, and the rule that keeps each sink's
// notifications of one incident in order.
import type { DeliveryRecord, IncidentRecord, OutboxEntry, OutboxStatus } from './automation-store.js'

/** One alert_outbox row. */
export interface OutboxRow {
  id: number; incident_id: number; event: string; sink: string; incident: string; status: string; attempts: number
  next_attempt_at: number; leased_by: string | null; last_error: string | null; created_at: number; settled_at: number | null
}

const INCIDENT_DATES = ['openedAt', 'updatedAt', 'escalatedAt', 'acknowledgedAt', 'resolvedAt'] as const

// A pending entry may go only when no older entry of the same incident and sink is pending, so
// 'resolved' never overtakes the 'opened' it closes.
export const FIRST_IN_LINE = `o.status = 'pending' AND NOT EXISTS (
  SELECT 1 FROM alert_outbox p WHERE p.incident_id = o.incident_id AND p.sink = o.sink AND p.status = 'pending' AND p.id < o.id)`

/** An outbox row as the store returns it, incident dates revived. */
export function toEntry(row: OutboxRow): OutboxEntry {
  const raw = JSON.parse(row.incident) as Record<string, unknown>
  const incident = { ...raw } as Record<string, unknown>
  for (const field of INCIDENT_DATES) incident[field] = raw[field] === null ? null : new Date(raw[field] as string)
  return {
    id: row.id, incidentId: row.incident_id, sink: row.sink, event: row.event as DeliveryRecord['event'], incident: incident as unknown as IncidentRecord,
    status: row.status as OutboxStatus, attempts: row.attempts, nextAttemptAt: new Date(row.next_attempt_at), lastError: row.last_error,
    createdAt: new Date(row.created_at), settledAt: row.settled_at === null ? null : new Date(row.settled_at),
  }
}
