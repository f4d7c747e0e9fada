import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { systemClock, type Clock } from '../engine/clock.js'
import { retryDelay } from '../engine/retry-delay.js'
import { redact } from '../model/redact.js'
import type { AutomationStore, OutboxEntry, OutboxOutcome } from '../store/automation-store.js'
import { DELIVERY_DEFAULTS } from './delivery-policy.js'
import type { Sink } from './sinks/sink.js'

/** What one pass over the outbox did. */
export interface DeliveryReport {
  readonly delivered: readonly OutboxEntry[]
  /** Entries whose attempts in this pass failed and that wait for a later pass. */
  readonly retrying: readonly OutboxEntry[]
  /** Entries that ran out of attempts in this pass: they stay visible, never retried. */
  readonly exhausted: readonly OutboxEntry[]
}

/**
 * Delivers the alert outbox: notifications queued in the store with the incident changes that
 * caused them. Sink failures are recorded and retried, never thrown.
 */
export interface Deliverer {
  /** Names of the sinks a new notification is queued for. */
  readonly sinks: readonly string[]
  /** Attempts every due entry; waits (on the clock) for retries due within `holdMs`. Only store failures throw. */
  drain(): Promise<DeliveryReport>
}

/** How notifications are delivered. */
export interface DelivererOptions {
  /** The outbox. */
  readonly store: Pick<AutomationStore, 'claimOutbox' | 'settleOutbox' | 'nextOutboxDue'>
  readonly sinks: readonly Sink[]
  /** Attempts per sink and notification, the first included, across passes and restarts. Default: 10. */
  readonly attempts?: number
  /** Delay before the second attempt, doubling after each (±20% jitter). Default: 1000 ms. */
  readonly backoffMs?: number
  /** Longest delay between two attempts. Default: 300000 ms (5 min). */
  readonly maxBackoffMs?: number
  /** Time limit of one attempt. Default: 5000 ms. */
  readonly timeoutMs?: number
  /** A pass waits for retries due within this long of its start; later ones wait for the next pass. Default: 5000 ms. */
  readonly holdMs?: number
  /** Attempts in flight at once. Default: 16. */
  readonly concurrency?: number
  /** Stamps attempts, sleeps between them, computes leases. Default: the system clock. */
  readonly clock?: Clock
}

// How long past its time limit an attempt's lease lasts: settling it must fit in, or another process retries it.
const LEASE_MARGIN_MS = 2000

/**
 * A deliverer over the store's outbox. Each attempt is leased in the store first, so a process
 * killed mid-attempt leaves the entry to whoever drains after the lease ends; delivery is at
 * least once (the receiver dedupes on the delivery id). A slow or failing sink holds up
 * neither the other sinks nor other incidents beyond its own attempts.
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const attempts = Math.max(1, options.attempts ?? DELIVERY_DEFAULTS.attempts)
  const backoffMs = options.backoffMs ?? DELIVERY_DEFAULTS.backoffMs
  const maxBackoffMs = Math.max(backoffMs, options.maxBackoffMs ?? DELIVERY_DEFAULTS.maxBackoffMs)
  const timeoutMs = options.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs
  const holdMs = options.holdMs ?? DELIVERY_DEFAULTS.holdMs
  const concurrency = Math.max(1, options.concurrency ?? 16)
  const clock = options.clock ?? systemClock
  const sinks = new Map(options.sinks.map((sink) => [sink.name, sink]))
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const store = options.store

  /** One attempt at `entry`: how it ended, for the store, and the entry as it now stands. */
  async function attempt(entry: OutboxEntry): Promise<{ outcome: OutboxOutcome & { id: number }; entry: OutboxEntry }> {
    const sink = sinks.get(entry.sink)
    const error = sink ? await attemptOnce(sink, entry, timeoutMs) : `no sink named ${entry.sink} in the project's alerts config any more`
    const at = clock.now()
    const last = error !== null && (!sink || entry.attempts >= attempts)
    const retryAt = error === null || last ? null : new Date(at.getTime() + retryDelay({ initialDelay: backoffMs, maxDelay: maxBackoffMs }, entry.attempts))
    const status = error === null ? 'delivered' as const : last ? 'exhausted' as const : 'pending' as const
    return {
      outcome: { id: entry.id, error, at, retryAt },
      entry: { ...entry, status, lastError: error ?? entry.lastError, nextAttemptAt: retryAt ?? entry.nextAttemptAt, settledAt: status === 'pending' ? null : at },
    }
  }

  return {
    sinks: options.sinks.map((sink) => sink.name),
    async drain() {
      // Each entry's last outcome in this pass.
      const outcomes = new Map<number, OutboxEntry>()
      const holdUntil = clock.now().getTime() + holdMs
      for (;;) {
        const now = clock.now()
        // One claim is one round of concurrent attempts, each within its time limit: all end inside the lease.
        const due = await store.claimOutbox({ holder, at: now, leaseUntil: new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS), limit: concurrency })
        if (due.length > 0) {
          const results = await Promise.all(due.map(attempt))
          // One transaction per round, not per attempt: a thousand notifications cost tens of writes.
          await store.settleOutbox(results.map((result) => result.outcome))
          for (const result of results) outcomes.set(result.entry.id, result.entry)
          continue
        }
        const next = await store.nextOutboxDue()
        if (next === null || next.getTime() > holdUntil) {
          const all = [...outcomes.values()]
          return { delivered: all.filter((e) => e.status === 'delivered'), retrying: all.filter((e) => e.status === 'pending'), exhausted: all.filter((e) => e.status === 'exhausted') }
        }
        // Guards a busy loop should an entry be due yet unclaimable.
        await clock.sleep(Math.max(1, next.getTime() - clock.now().getTime()))
      }
    },
  }
}

/** One attempt; resolves to null on success or the reason it failed, in words. */
async function attemptOnce(sink: Sink, entry: OutboxEntry, timeoutMs: number): Promise<string | null> {
  const signal = AbortSignal.timeout(timeoutMs)
  let onAbort: (() => void) | undefined
  // Racing the signal means a sink that ignores it still cannot hold the pass past its limit.
  const timedOut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`timed out after ${timeoutMs} ms`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const sent = Promise.resolve().then(() => sink.send({ event: entry.event, incident: entry.incident, deliveryId: entry.id }, signal))
    // Whatever a sink does after losing the race is of no interest; it must not surface as unhandled.
    sent.catch(() => undefined)
    await Promise.race([sent, timedOut])
    return null
  } catch (error) {
    return describe(error)
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}

/** An error in words, with its cause (fetch hides the network error there), secrets in URLs redacted: it is stored. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return redact(String(error))
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return redact(cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message)
}
