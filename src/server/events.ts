// Live updates: GET /api/events as Server-Sent Events.
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Tributary } from '../instance/tributary.js'
import type { ApiEvent } from './api-types.js'
import type { AuthEnv } from './auth.js'
import { toApiEvent } from './to-api.js'

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

  /**
   * Watches a run started in the background: a run that ends, even failed, resolves `done`; a
   * rejection means it never got going, and whoever holds its id (the caller, the UI) would
   * otherwise wait for a run_finished that never comes, so it is logged and announced as failed.
   */
  watchStart(runId: string, done: Promise<unknown>, log: (line: string) => void): void {
    done.catch((error: unknown) => {
      log(`run ${runId} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      this.publish({ type: 'run_finished', runId, status: 'failed' })
    })
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
}

/**
 * GET /api/events: progress of every run this server executes (run_started, step, run_finished)
 * plus reloads, each as `event: <type>` with the JSON object as data. The stream opens with a
 * `: connected` comment, sent once the subscription is in place.
 */
export function eventRoutes(instance: () => Tributary, options: EventStreamOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()
  routes.get('/events', (c) => streamSSE(c, async (stream) => {
    let finish = () => {}
    const ended = new Promise<void>((resolve) => (finish = resolve))
    // One write at a time, in order: progress arrives synchronously and faster than a socket drains.
    let writes = Promise.resolve()
    const enqueue = (write: () => Promise<void>) => {
      writes = writes.then(write).catch(finish)
    }
    const send = (event: ApiEvent) => enqueue(() => stream.writeSSE({ event: event.type, data: JSON.stringify(event) }))
    const unsubscribe = [
      instance().subscribe((event) => send(toApiEvent(event))),
      options.hub.subscribe(send),
      options.hub.onClose(finish),
    ]
    const heartbeat = setInterval(() => enqueue(() => stream.write(': heartbeat\n\n').then(() => undefined)), options.heartbeatMs ?? 15_000)
    stream.onAbort(finish)
    enqueue(() => stream.write(': connected\n\n').then(() => undefined))
    try {
      await ended
    } finally {
      clearInterval(heartbeat)
      for (const off of unsubscribe) off()
    }
  }))
  return routes
}
