import { systemClock, type Clock } from '../engine/clock.js'
import { retryDelay } from '../engine/retry-delay.js'
import type { AutomationStore } from '../store/automation-store.js'
import type { Notification, Sink } from './sinks/sink.js'

/** Sends a tick's notifications. Sink failures are recorded as delivery rows, never thrown. */
export interface Deliverer {
  deliver(notifications: readonly Notification[]): Promise<void>
}

/** How notifications are delivered. */
export interface DelivererOptions {
  /** Where every attempt is recorded. */
  readonly store: Pick<AutomationStore, 'recordDelivery'>
  readonly sinks: readonly Sink[]
  /** Attempts per sink and notification, the first included. Default: 3. */
  readonly attempts?: number
  /** Delay before the second attempt, doubling after each (with jitter). Default: 1000 ms. */
  readonly backoffMs?: number
  /** Time limit of one attempt. Default: 5000 ms. */
  readonly timeoutMs?: number
  /** Notifications in flight at once; each goes to all its sinks concurrently. Default: 16. */
  readonly concurrency?: number
  /** Stamps delivery rows and sleeps between attempts. Default: the system clock. */
  readonly clock?: Clock
}

/**
 * A deliverer that sends every notification to every sink, retrying a failing sink with
 * backoff. A slow or failing sink holds up neither the other sinks nor other incidents
 * beyond its own attempts. Only a failure to record a delivery (the store) is thrown.
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const attempts = Math.max(1, options.attempts ?? 3)
  const backoffMs = options.backoffMs ?? 1000
  const timeoutMs = options.timeoutMs ?? 5000
  const clock = options.clock ?? systemClock

  async function toSink(sink: Sink, notification: Notification): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const error = await attemptOnce(sink, notification, timeoutMs)
      await options.store.recordDelivery({
        incidentId: notification.incident.id, sink: sink.name, event: notification.event, attempt, ok: error === null, error, at: clock.now(),
      })
      if (error === null || attempt >= attempts) return
      await clock.sleep(retryDelay({ initialDelay: backoffMs, maxDelay: Math.max(backoffMs, 60_000) }, attempt))
    }
  }

  return {
    async deliver(notifications) {
      const storeErrors: unknown[] = []
      await forEachLimited(notifications, options.concurrency ?? 16, async (notification) => {
        const results = await Promise.allSettled(options.sinks.map((sink) => toSink(sink, notification)))
        for (const result of results) if (result.status === 'rejected') storeErrors.push(result.reason)
      })
      if (storeErrors.length > 0) throw storeErrors[0]
    },
  }
}

/** One attempt; resolves to null on success or the reason it failed, in words. */
async function attemptOnce(sink: Sink, notification: Notification, timeoutMs: number): Promise<string | null> {
  const signal = AbortSignal.timeout(timeoutMs)
  let onAbort: (() => void) | undefined
  // Racing the signal means a sink that ignores it still cannot hold the tick past its limit.
  const timedOut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`timed out after ${timeoutMs} ms`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const sent = Promise.resolve().then(() => sink.send(notification, signal))
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

/** An error in words, with its cause (fetch hides the network error there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker))
}
