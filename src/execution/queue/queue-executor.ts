import { startRepeating, systemClock, type Clock } from '../../engine/clock.js'
import type { AssetDefinition } from '../../model/asset.js'
import type { CheckDefinition, CheckOutcome } from '../../model/check.js'
import type { SensorResult } from '../../model/automation.js'
import { TributaryError, type ErrorCodeValue } from '../../model/errors.js'
import { STEP_JOB_FORMAT, type AttemptEnd, type EnqueueResult, type StepQueue } from '../../store/step-queue.js'
import type { AttemptLease, StepStartResult, Store } from '../../store/store.js'
import type { CheckTask, Executor, MaterializeTask, PollSensor, RemoteAttempt, RemoteOutcome, SensorTask, StepHost } from '../executor.js'

// Waiting attempts are found by their step and attempt number.
const keyOf = (end: { runId: string; assetKey: string; partition: string | null; attempt: number }) => JSON.stringify([end.runId, end.assetKey, end.partition, end.attempt])

// How often the ends are read when no notification came (a lost NOTIFY, a reconnect). Default: 1 s.
const FALLBACK_POLL_MS = 1000

/**
 * The control plane's side of the worker fleet: an attempt becomes a job, enqueued in the same
 * transaction that records the step waiting for a worker, and the attempt's end is read back
 * from the store as soon as it notifies. Code the control plane itself calls (polling sensors)
 * runs on `local`, the process pool.
 */
export class QueueExecutor implements Executor {
  readonly kind = 'queue'
  private readonly waiting = new Map<string, (end: AttemptEnd) => void>()
  // Attempts a worker enqueued (a hand-off named by their upstream's end) not adopted yet, and the
  // ends among them read before their adoption (a fast step ends before its run gets to it).
  private readonly expected = new Set<string>()
  private readonly early = new Map<string, AttemptEnd>()
  // Per run: the seq of the last end read.
  private readonly lastSeq = new Map<string, number>()
  private reading: Promise<void> | undefined
  private again = false
  private unwatch: Promise<() => void> | undefined
  private stopPoll: (() => void) | undefined

  /** `clock` paces the fallback poll (a test's ManualClock steps it). Default: the system clock. */
  constructor(private readonly queue: StepQueue, private readonly store: Store, private readonly local: Executor, private readonly clock: Clock = systemClock) {}

  async runAttempt(attempt: RemoteAttempt, signal: AbortSignal): Promise<RemoteOutcome> {
    return (await this.submit(attempt, signal)).outcome!
  }

  startAttempt(attempt: RemoteAttempt, lease: AttemptLease, signal: AbortSignal): Promise<StepStartResult & { readonly outcome?: Promise<RemoteOutcome> }> {
    return this.submit(attempt, signal, lease)
  }

  // Enqueues the attempt (with the step's lease when given) and, when enqueued, how it ends.
  private async submit(attempt: RemoteAttempt, signal: AbortSignal, lease?: AttemptLease): Promise<StepStartResult & { readonly outcome?: Promise<RemoteOutcome> }> {
    await this.queue.prepare()
    const ending = await this.awaitEnd(attempt)
    let started: EnqueueResult
    try {
      started = await this.queue.enqueueStep({
        runId: attempt.runId, assetKey: attempt.assetKey, partition: attempt.partition, status: 'waiting', attempt: attempt.attempt,
        at: new Date(), reason: 'queued for a worker',
      }, { ...jobOf(attempt), format: STEP_JOB_FORMAT }, lease && { ...lease, holder: attempt.runId }, { ifQueued: attempt.ifQueued === true })
    } catch (error) {
      ending.forget()
      throw error
    }
    if (!started.acquired || started.stale) {
      ending.forget()
      return started
    }
    // Handed off meanwhile (see RemoteAttempt.ifQueued): the attempt its worker started is the one,
    // awaited as an adopted one; its end may have come already.
    const early = started.handedOff ? this.takeEarly(attempt) : undefined
    if (early) {
      ending.forget()
      return { ...started, outcome: Promise.resolve(toOutcome(early)) }
    }
    return { ...started, outcome: ending.outcome(signal) }
  }

  async adoptAttempt(attempt: RemoteAttempt, signal: AbortSignal): Promise<RemoteOutcome> {
    const early = this.takeEarly(attempt)
    if (early) {
      this.quietWhenIdle()
      return toOutcome(early)
    }
    return (await this.awaitEnd(attempt)).outcome(signal)
  }

  // An attempt a hand-off named is no longer only expected: its end, if it came already.
  private takeEarly(attempt: RemoteAttempt): AttemptEnd | undefined {
    const key = keyOf(attempt)
    this.expected.delete(key)
    const early = this.early.get(key)
    this.early.delete(key)
    return early
  }

  forgetRun(runId: string): void {
    const ofRun = (key: string) => (JSON.parse(key) as unknown[])[0] === runId
    for (const key of [...this.expected].filter(ofRun)) this.expected.delete(key)
    for (const key of [...this.early.keys()].filter(ofRun)) this.early.delete(key)
    this.lastSeq.delete(runId)
    this.quietWhenIdle()
  }

  // Waits for the attempt's end, listening before the job exists (or is known): an end that
  // commits at once is not left to the fallback poll. `outcome` settles with the end (a cancel on
  // `signal` removes the job no worker took yet, or asks its worker to stop); `forget`: no wait.
  private async awaitEnd(attempt: RemoteAttempt): Promise<{ outcome: (signal: AbortSignal) => Promise<RemoteOutcome>; forget: () => void }> {
    this.listen()
    await this.unwatch?.catch(() => undefined)
    if (!this.lastSeq.has(attempt.runId)) this.lastSeq.set(attempt.runId, 0)
    const key = keyOf(attempt)
    const ended = new Promise<AttemptEnd>((resolve) => this.waiting.set(key, resolve))
    const forget = () => {
      this.waiting.delete(key)
      this.quietWhenIdle()
    }
    const outcome = (signal: AbortSignal) => {
      const onAbort = () => void this.abandon(attempt)
      signal.addEventListener('abort', onAbort, { once: true })
      if (signal.aborted) onAbort()
      return ended.then(toOutcome).finally(() => {
        signal.removeEventListener('abort', onAbort)
        forget()
      })
    }
    return { outcome, forget }
  }

  materialize(task: MaterializeTask, def: AssetDefinition, host: StepHost, signal: AbortSignal): Promise<unknown> {
    return this.local.materialize(task, def, host, signal)
  }

  check(task: CheckTask, check: CheckDefinition, host: StepHost, signal: AbortSignal): Promise<CheckOutcome> {
    return this.local.check(task, check, host, signal)
  }

  sensor(task: SensorTask, sensor: PollSensor, host: StepHost, signal: AbortSignal): Promise<SensorResult> {
    return this.local.sensor(task, sensor, host, signal)
  }

  async close(): Promise<void> {
    this.quiet()
    await this.local.close()
  }

  // A canceled attempt ends canceled here, in the store (its job removed; a worker running it can
  // no longer record it, and stops it when its heartbeat reads the cancel asked of the run). One
  // that ended meanwhile, one a worker runs that publishes unfenced, or a store that could not be
  // reached: its end is read as any end (a lost reply's end too: it is numbered as any end).
  private async abandon(attempt: RemoteAttempt): Promise<void> {
    const [removed] = await Promise.all([
      this.queue.dequeueStep(attempt, { endRunning: attempt.fencedPublish !== false }).catch(() => false),
      this.store.requestRun(attempt.runId, 'cancel', new Date()).catch(() => undefined),
    ])
    if (removed) this.waiting.get(keyOf(attempt))?.({ ...attempt, status: 'canceled', error: { code: 'TRB3005', message: 'canceled with its run' }, retryable: false, reason: 'the run was canceled', durationMs: null, worker: null })
  }

  // An end settles its attempt's wait; one named by a hand-off and not awaited yet is kept for its
  // adoption. Only ends of attempts this executor awaits or expects count: others' runs share the
  // channel, and the fallback poll reads again ends a notification brought.
  private deliver(end: AttemptEnd): void {
    const key = keyOf(end)
    const waiter = this.waiting.get(key)
    if (!waiter && !this.expected.has(key)) return
    if (end.handedOff) this.expected.add(keyOf({ ...end.handedOff, runId: end.runId, attempt: 1 }))
    if (waiter) waiter(end)
    else this.early.set(key, end)
  }

  private listen(): void {
    const read = () => this.read()
    // An end the notification carries settles its attempt at once; one it could not carry is read.
    const onEnd = (end: AttemptEnd | undefined) => (end ? this.deliver(end) : read())
    this.unwatch ??= this.queue.watchEnds ? this.queue.watchEnds(onEnd) : this.store.watchEvents ? this.store.watchEvents(read) : Promise.resolve(() => undefined)
    this.stopPoll ??= startRepeating(this.clock, FALLBACK_POLL_MS, read)
  }

  // Nothing awaited nor expected: no more listening.
  private quietWhenIdle(): void {
    if (this.waiting.size === 0 && this.expected.size === 0) this.quiet()
  }

  private quiet(): void {
    this.stopPoll?.()
    this.stopPoll = undefined
    const unwatch = this.unwatch
    this.unwatch = undefined
    void unwatch?.then((stop) => stop(), () => undefined)
  }

  // One read at a time; a notification during a read asks for one more after it.
  private read(): void {
    if (this.reading) {
      this.again = true
      return
    }
    this.reading = this.readEnds().catch(() => undefined).finally(() => {
      this.reading = undefined
      if (this.again) {
        this.again = false
        this.read()
      }
    })
  }

  private async readEnds(): Promise<void> {
    const runs = new Set([...this.waiting.keys(), ...this.expected].map((key) => (JSON.parse(key) as string[])[0]!))
    for (const runId of runs) {
      const { ends, lastSeq } = await this.queue.attemptEnds(runId, this.lastSeq.get(runId) ?? 0)
      this.lastSeq.set(runId, lastSeq)
      for (const end of ends) this.deliver(end)
    }
  }
}

// The job of an attempt: what a worker reads (not how the control plane cancels it).
function jobOf(attempt: RemoteAttempt): Omit<RemoteAttempt, 'fencedPublish' | 'ifQueued'> {
  const { fencedPublish: _fencedPublish, ifQueued: _ifQueued, ...job } = attempt
  return job
}

function toOutcome(end: AttemptEnd): RemoteOutcome {
  if (end.status === 'succeeded') return { status: 'succeeded', durationMs: end.durationMs, ...(end.handedOff ? { handedOff: end.handedOff } : {}), ...(end.published ? { published: end.published } : {}) }
  if (end.status === 'blocked') return { status: 'blocked', reason: end.reason ?? 'blocked' }
  const { code = 'TRB0000', message = 'the attempt failed', hint, ...context } = end.error ?? {}
  const error = new TributaryError(code as ErrorCodeValue, message, { hint, retryable: end.retryable, context })
  return { status: end.status, error }
}
