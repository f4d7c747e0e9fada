// A CLI command's line to the project's live control plane (`serve`/`dev`): requests with the
// local secret, and the control plane's events.
import type { ProgressEvent } from '../engine/progress.js'
import type { ControlPlaneInfo } from '../instance/control-plane.js'
import { ErrorCode, TributaryError, type ErrorCodeValue } from '../model/errors.js'
import type { ApiEvent } from '../server/api-types.js'
import type { StepStatus } from '../store/records.js'
import { readEvents, type StreamEvent } from './event-stream.js'

/** TRB6050: the control plane stopped answering while a command used it. */
function lost(info: ControlPlaneInfo, what: string, cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.ControlPlaneLost, `the control plane (pid ${info.pid} at ${info.url}) stopped answering ${what}`, {
    cause, hint: 'Is `tributary serve` still running? Runs it had started are settled by the next process that opens the project; see `tributary runs`.',
  })
}

/** Events of one open /api/events stream, read in order. */
export interface EventSubscription {
  /** The next event, or undefined once the stream has ended. */
  next(): Promise<StreamEvent | undefined>
  close(): void
}

/** Talks to a live control plane advertised in `.tributary/control-plane.json`. */
export class ControlPlaneClient {
  constructor(readonly info: ControlPlaneInfo) {}

  /** Calls the API; an error answer becomes the TributaryError it reports (same code, message and hint). */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.info.url}${path}`, {
        method, headers: { authorization: `Bearer ${this.info.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (error) {
      throw lost(this.info, `to ${method} ${path}`, error)
    }
    const text = await response.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error
      if (!error?.code || !/^TRB\d{4}$/.test(error.code)) throw lost(this.info, `to ${method} ${path} (HTTP ${response.status})`)
      throw new TributaryError(error.code as ErrorCodeValue, error.message ?? 'failed', error.hint ? { hint: error.hint } : {})
    }
    return json as T
  }

  /** Opens /api/events (with `query`, e.g. `?runId=…`) and resolves once the stream follows the event log. */
  async events(query = ''): Promise<EventSubscription> {
    const controller = new AbortController()
    let response: Response
    try {
      response = await fetch(`${this.info.url}/api/events${query}`, { headers: { authorization: `Bearer ${this.info.secret}` }, signal: controller.signal })
    } catch (error) {
      throw lost(this.info, 'to GET /api/events', error)
    }
    if (!response.ok || !response.body) throw lost(this.info, `to GET /api/events (HTTP ${response.status})`)
    const queue: StreamEvent[] = []
    let wake = () => {}
    let ended = false
    let connected = () => {}
    const isConnected = new Promise<void>((resolve) => (connected = resolve))
    void (async () => {
      try {
        for await (const event of readEvents(response.body!, (comment) => comment === 'connected' && connected())) {
          queue.push(event)
          wake()
        }
      } catch {
        // Closed by us, or the connection dropped: either way the stream has ended.
      } finally {
        ended = true
        connected()
        wake()
      }
    })()
    await isConnected
    if (ended) throw lost(this.info, 'on GET /api/events')
    return {
      next: async () => {
        while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve))
        return queue.shift()
      },
      close: () => controller.abort(),
    }
  }

  /**
   * Feeds the events of run `runId` from `events` to `onEvent` as progress events until the run
   * finishes, and returns how it ended. Throws TRB6050 when the stream ends first.
   */
  async follow(events: EventSubscription, runId: string, onEvent: (event: ProgressEvent) => void): Promise<ApiEvent & { type: 'run_finished' }> {
    for (;;) {
      const next = await events.next()
      if (!next) throw lost(this.info, `while run ${runId} was running`)
      const event = next.data as ApiEvent
      if (!('runId' in event) || event.runId !== runId) continue
      const progress = toProgressEvent(event)
      if (progress) onEvent(progress)
      if (event.type === 'run_finished') return event
    }
  }
}

const NO_COUNTS: Readonly<Record<StepStatus, number>> = { queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, blocked: 0, skipped: 0, canceled: 0 }

/** The progress event a live API event stands for (log lines are not progress). */
export function toProgressEvent(event: ApiEvent): ProgressEvent | undefined {
  switch (event.type) {
    case 'run_started':
    case 'run_pausing':
      return event
    case 'run_finished':
      return { type: 'run_finished', runId: event.runId, status: event.status, counts: NO_COUNTS }
    case 'step':
      return {
        type: 'step', runId: event.runId, key: event.key, partition: event.partition, status: event.status, attempt: event.attempt,
        reason: event.reason, error: event.error ?? null, durationMs: event.durationMs ?? null,
      }
    default:
      return undefined
  }
}
