import type { DeliveryRecord, IncidentRecord } from '../../store/automation-store.js'

/** What a notification announces about an incident. */
export type IncidentEvent = DeliveryRecord['event']

/** One thing to tell people: an incident opened, escalated or resolved. */
export interface Notification {
  readonly event: IncidentEvent
  readonly incident: IncidentRecord
  /** The outbox entry being delivered: the same on every retry, so a receiver can drop duplicates. */
  readonly deliveryId?: number
}

/** Where notifications go. One implementation per sink type; each must honour `signal`. */
export interface Sink {
  /** The sink's name from the project's alerts config; delivery records carry it. */
  readonly name: string
  /** Sends one notification. Rejects when it was not delivered (the caller retries). */
  send(notification: Notification, signal: AbortSignal): Promise<void>
}
