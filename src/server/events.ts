// Live updates: GET /api/events as Server-Sent Events, tailing the store's event log.
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Tributary } from '../instance/tributary.js'
import type { EventRecord } from '../store/records.js'
import type { ApiEvent } from './api-types.js'
import type { AuthEnv } from './auth.js'
import { EventLogTail } from './event-log-tail.js'
import { apiEventOf } from './log-events.js'

/** Events that do not come from runs (reloads), and the off switch for every open stream. */
export class EventHub {
  private readonly listeners = new Set<(event: ApiEvent) => void>()
  private readonly closers = new Set<() => void>()
  private isClosed = false

  /** Sends `event` to every open stream. */
  publish(event: ApiEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Receives published events until the returned function is called. */
  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Calls `closer` when the hub closes (at once if it already has). */
  onClose(closer: () => void): () => void {
    if (this.isClosed) closer()
    else this.closers.add(closer)
    return () => this.closers.delete(closer)
  }

  /** Ends every open stream, so the server can close without waiting for clients. */
  close(): void {
    this.isClosed = true
    for (const closer of [...this.closers]) closer()
    this.closers.clear()
  }
}

/** Options of the event stream. */
export interface EventStreamOptions {
  readonly hub: EventHub
  /** How often a comment line keeps proxies from closing an idle stream. Default: 15 000 ms. */
  readonly heartbeatMs?: number
  /** How often the event log is read for events of other processes. Default: 200 ms. */
  readonly pollMs?: number
  /** Where a failing read of the event log is reported. Default: ignored. */
  readonly log?: (line: string) => void
}

/** The id a reconnecting client saw last: the Last-Event-ID header (EventSource sends it), or `?lastEventId=`. */
function resumeFrom(header: string | undefined, query: string | undefined): number | undefined {
  const text = header ?? query
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : undefined
}

/**
 * GET /api/events: the store's event log, live. Every run of every process (this server, a
 * CLI, the daemon) appears as `event: <type>` with the JSON object as data and `id:` its id in
 * the log. A client that reconnects with Last-Event-ID (or `?lastEventId=`) first gets what it
 * missed, then the live events, each once and in order. `?runId=` keeps one run's events.
 * Reloads (`tributary dev`) carry no id. The stream opens with a `: connected` comment, sent
 * once it follows the log.
 */
export function eventRoutes(instance: () => Tributary, options: EventStreamOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()
  const tail = new EventLogTail(() => instance().store, { ...(options.pollMs ? { intervalMs: options.pollMs } : {}), ...(options.log ? { log: options.log } : {}) })
  options.hub.onClose(() => tail.stop())
  routes.get('/events', (c) => streamSSE(c, async (stream) => {
    let finish = () => {}
    const ended = new Promise<void>((resolve) => (finish = resolve))
    // One write at a time, in order: events arrive faster than a socket drains.
    let writes = Promise.resolve()
    const enqueue = (write: () => Promise<void>) => {
      writes = writes.then(write).catch(finish)
    }
    const onlyRun = c.req.query('runId')
    const sendRecords = async (records: readonly EventRecord[]) => {
      for (const record of records) {
        if (onlyRun !== undefined && record.runId !== onlyRun) continue
        const event = apiEventOf(record)
        if (event) await stream.writeSSE({ id: String(record.id), event: event.type, data: JSON.stringify(event) })
      }
    }
    // Live batches wait here until the missed events have been sent.
    let held: (readonly EventRecord[])[] | null = []
    const subscription = await tail.subscribe((records) => {
      if (held) held.push(records)
      else enqueue(() => sendRecords(records))
    })
    const unsubscribe = [
      subscription.unsubscribe,
      // This process's runs: read the log now rather than at the next poll.
      instance().subscribe(() => tail.wake()),
      options.hub.subscribe((event) => enqueue(() => stream.writeSSE({ event: event.type, data: JSON.stringify(event) }))),
      options.hub.onClose(finish),
    ]
    const heartbeat = setInterval(() => enqueue(() => stream.write(': heartbeat\n\n').then(() => undefined)), options.heartbeatMs ?? 15_000)
    stream.onAbort(finish)
    enqueue(() => stream.write(': connected\n\n').then(() => undefined))
    const from = resumeFrom(c.req.header('last-event-id'), c.req.query('lastEventId'))
    const upTo = subscription.cursor
    enqueue(async () => {
      if (from !== undefined && upTo !== null) {
        for (let after = from; after < upTo;) {
          const page = (await instance().store.listEvents({ afterId: after, limit: 1_000, ...(onlyRun !== undefined ? { runId: onlyRun } : {}) })).filter((record) => record.id <= upTo)
          if (page.length === 0) break
          await sendRecords(page)
          after = page.at(-1)!.id
        }
      }
      for (const records of held ?? []) await sendRecords(records)
      held = null
    })
    try {
      await ended
    } finally {
      clearInterval(heartbeat)
      for (const off of unsubscribe) off()
    }
  }))
  return routes
}
