import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { run, type Job, type Runner } from 'graphile-worker'
import { startRepeating, startTimer, type Clock } from '../../engine/clock.js'
import type { EngineDeps } from '../../engine/engine-deps.js'
import { runAttempt, type AttemptOutcome, type ResolvedInputs } from '../../engine/step-executor.js'
import { attemptInputs, checkedRowCount, type KnownUpstreams } from '../../engine/attempt-inputs.js'
import { CanceledError } from '../../engine/step-errors.js'
import { ErrorCode, serializeError, TributaryError } from '../../model/errors.js'
import { formatDuration } from '../../model/duration.js'
import { handedOffJob, STEP_JOB_FORMAT, type KeepHandOff, type StepJob, type StepQueue, type StepRef, type WorkerStep } from '../../store/step-queue.js'
import { STEP_TASK } from '../../store/postgres/postgres-step-queue.js'
import { quietQueueLogger } from '../../store/postgres/queue-schema.js'
import { GENERIC_PLANS, withSessionSettings } from '../../store/postgres/open-pool.js'
import type { QueueExecutorConfig } from '../executor-config.js'
import { fencedDeps, raiseClaimFence } from './fenced-deps.js'
import { PoolGate } from './pool-gate.js'

// graphile-worker's local queue: each worker fetches (and locks) up to its concurrency in jobs at once,
// so a job is fetched about once, not by a slot of every worker it wakes. A job held while every slot is
// busy goes back to the queue after LOCAL_QUEUE_TTL_MS, and the idle workers are woken for it.
const LOCAL_QUEUE_TTL_MS = 1000
// After a return, before the wake-up: the return is graphile-worker's own statement, on its own connection.
const RETURN_WAKE_DELAY_MS = 100
// How often a worker whose heartbeats fail says so again (the first failure, the recovery and the give-up are said at once).
const STILL_FAILING_EVERY_MS = 30_000

/** How a `tributary worker` process runs. */
export interface QueueWorkerOptions {
  /** The project's engine deps; its executor must be a process pool, so step code never runs in this process. */
  readonly deps: EngineDeps
  readonly queue: StepQueue
  /** The store's database, where the queue lives. */
  readonly url: string
  readonly config: QueueExecutorConfig
  /** Steps at once. Default: 4. */
  readonly concurrency?: number
  /** Per-pool limits within this worker (`{ warehouse: 2 }`). Default: none. */
  readonly pools?: Readonly<Record<string, number>>
  /** Tributary's version and the project's code version, as the worker list shows it. */
  readonly version: string
  /** Lines worth telling whoever started the worker (refusals, lost workers). */
  readonly onLine?: (line: string) => void
}

/** An attempt claimed by this worker, to run: its job, its fence, its inputs being read. */
interface Claimed {
  readonly job: StepJob
  readonly fence: number
  readonly reading: Promise<{ inputs: ResolvedInputs; previousRowCount: number | undefined }> | undefined
}

interface Current extends StepRef {
  readonly attempt: number
  readonly since: Date
  readonly pool: string | null
  readonly controller: AbortController
}

/**
 * A worker of the fleet: takes step jobs from graphile-worker, claims each attempt with a fence,
 * runs it whole (code in the process pool's children; staging, checks and publish here) and
 * records its end. Heartbeats into the store; on each beat it also hands the jobs of workers
 * silent for longer than the lease to everyone.
 */
export class QueueWorker {
  /** This worker's id in the store (`host:pid:random`). */
  readonly id: string
  private readonly current = new Set<Current>()
  private readonly waiting = new Set<WorkerStep>()
  private readonly slots: string[] = []
  private readonly startedAt = new Date()
  private readonly gate: PoolGate
  private runner: Runner | undefined
  private stopBeat: (() => void) | undefined
  private beating: Promise<void> | undefined
  private expiring: Promise<void> | undefined
  private stopped = false
  // Since when the store is out of reach (database time is too: this process's clock), when that was
  // last said, and the jobs waiting for it to be back before graphile-worker completes them.
  private failing: { readonly since: number; said: number; readonly waiting: (() => void)[] } | undefined
  // When a heartbeat was last written (or the worker started): a beat that never returns (a
  // connection gone silent) counts against giveUp too.
  private reached: number
  private gaveUp: TributaryError | undefined
  private queueFailed: unknown
  private stopping: Promise<void> | undefined

  private constructor(private readonly options: QueueWorkerOptions) {
    this.id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.gate = new PoolGate(options.pools ?? {})
    this.reached = options.deps.clock.now().getTime()
  }

  /** Registers the worker, then starts taking jobs; resolves once it listens for them. */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const worker = new QueueWorker(options)
    await options.queue.prepare()
    await worker.timedBeat()
    options.deps.executor?.warm?.(worker.concurrency)
    const events = new EventEmitter()
    // graphile-worker 0.17 locks jobs in its pool's name (its local queue fetches them, not a slot): the
    // pool's id reaches the store with the next beat, so a lost worker's jobs can be unlocked by it.
    events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => {
      worker.slots.push(workerPool.id)
      void worker.heartbeat()
    })
    events.on('localQueue:returnJobs', ({ jobs }: { jobs: readonly unknown[] }) => wakeForReturned(options.deps.clock, options.queue, jobs.length))
    // The queue's runner ends by itself on a failure it cannot recover from (a job it could not
    // complete, fail or give back): said as the worker's own failure, not as a clean stop.
    events.on('pool:fatalError', ({ error }: { error: unknown }) => {
      worker.queueFailed ??= error
    })
    worker.runner = await run({
      connectionString: queueConnection(options.url),
      concurrency: worker.concurrency,
      noHandleSignals: true,
      pollInterval: Math.min(options.config.heartbeatMs, 2000),
      logger: quietQueueLogger,
      events,
      // A pool at its limit in this worker: its jobs are left for other workers (or later).
      // Without pool limits, null: a slot asking with flags (even none) bypasses the local queue.
      // With them, always the list: the local queue would fetch a batch with no flags at all and
      // hold steps of a full pool here, out of other workers' reach.
      forbiddenFlags: () => {
        const flags = worker.gate.forbidden()
        return flags.length > 0 || Object.keys(options.pools ?? {}).length > 0 ? flags : null
      },
      preset: {
        worker: {
          localQueue: { size: worker.concurrency, ttl: LOCAL_QUEUE_TTL_MS },
          // Completions of the same tick share one statement. Failures too, and batched, one the
          // queue cannot record (its database out of reach) stops the runner with that error rather
          // than go unhandled (graphile-worker does not await an unbatched one).
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
      taskList: { [STEP_TASK]: (payload, helpers) => worker.take(payload as StepJob, helpers.job) },
    })
    // On the project's clock: a test's ManualClock decides when the worker beats.
    worker.stopBeat = startRepeating(options.deps.clock, options.config.heartbeatMs, () => void worker.timedBeat())
    return worker
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 4
  }

  /**
   * Why the worker stopped by itself, if it did: its store out of reach for longer than
   * `queue({ giveUp })` (TRB4020; its steps went to other workers once its lease lapsed), or the
   * job queue's runner ended on a failure of its own (TRB7005), the first said.
   */
  get failure(): TributaryError | undefined {
    if (this.gaveUp || this.queueFailed === undefined) return this.gaveUp
    const why = this.queueFailed instanceof Error ? this.queueFailed.message : String(this.queueFailed)
    return new TributaryError(ErrorCode.QueueFailed, `worker ${this.id} stopped: its job queue (graphile-worker) failed and ended: ${why}`, {
      hint: 'Start the worker again (a supervisor restarts it): the jobs it held go back to the queue once its lease lapses. If it recurs, check the database and the network between them.',
      retryable: true,
    })
  }

  /** Settles when the worker stopped (stop(), the queue's runner ending, or giving up); see failure for why. */
  get done(): Promise<void> {
    return this.runner?.promise.then(() => undefined, () => undefined) ?? Promise.resolve()
  }

  /** Stops taking jobs, lets running steps finish, and marks the worker stopped in the store. */
  stop(): Promise<void> {
    this.stopped = true
    return (this.stopping ??= this.stopNow())
  }

  private async stopNow(): Promise<void> {
    // Beating until the running steps finished: they stay listed, and kept ones are not enqueued for others.
    await this.runner?.stop().catch(() => undefined)
    this.stopBeat?.()
    // Given up on the store: a beat still out may never return, and the store would not take the stop.
    if (this.gaveUp) return
    await this.beating
    await this.expiring
    await this.options.queue.stopWorker(this.id).catch(() => undefined)
  }

  // A beat on the clock also looks for lost workers; a beat saying this worker is idle again (up to
  // once per step on a fast graph) does not scan the queue's locks.
  private async timedBeat(): Promise<void> {
    // A beat still out (its connection gone silent) is not waited for to judge how long it has been.
    const silentFor = this.options.deps.clock.now().getTime() - this.reached
    if (this.beating && silentFor >= this.options.config.giveUpMs) this.giveUp('its last heartbeat never returned', silentFor)
    await this.heartbeat()
    // One look at a time, and stop() waits for it: never a look on a closed pool. None while the store is out of reach.
    if (this.stopped || this.expiring || this.failing) return
    const { queue, config } = this.options
    this.expiring = queue.expireWorkers(config.leaseMs).then((lost) => {
      for (const id of lost) this.options.onLine?.(`worker ${id} stopped heartbeating for ${config.leaseMs} ms: its steps go to other workers`)
    }, (error: unknown) => {
      this.options.onLine?.(`looking for lost workers failed: ${error instanceof Error ? error.message : String(error)}`)
    }).finally(() => {
      this.expiring = undefined
    })
    await this.expiring
  }

  private async heartbeat(): Promise<void> {
    if (this.beating) return this.beating
    const { queue } = this.options
    this.beating = (async () => {
      const steps = [...this.current]
      const cancel = await queue.workerHeartbeat({
        id: this.id, host: hostname(), pid: process.pid, version: this.options.version, concurrency: this.concurrency,
        pools: this.options.pools ?? {}, startedAt: this.startedAt, queueSlots: this.slots,
        currentSteps: [...steps.map(({ runId, assetKey, partition, attempt, since }) => ({ runId, assetKey, partition, attempt, since })), ...this.waiting],
      }, [...new Set(steps.map((s) => s.runId))])
      for (const step of steps) if (cancel.includes(step.runId)) step.controller.abort(new CanceledError(step.assetKey))
      this.storeReached()
    })().catch((error: unknown) => this.storeFailed(error)).finally(() => {
      this.beating = undefined
    })
    return this.beating
  }

  // A heartbeat written: the store is reachable (again).
  private storeReached(): void {
    const { failing } = this
    this.reached = this.options.deps.clock.now().getTime()
    if (!failing) return
    this.failing = undefined
    this.options.onLine?.(`the store is reachable again, after ${formatDuration(this.reached - failing.since)}`)
    for (const resume of failing.waiting) resume()
  }

  // A store out of reach (a database restart) is ridden out: said once, then every 30 s, and the
  // worker goes on trying (its heartbeats tell when the store is back). Past `giveUp` it stops, so
  // that its supervisor restarts it or alerts, rather than retry unseen forever (a database
  // dropped, a URL gone stale).
  private storeFailed(error: unknown): void {
    const { deps, config, onLine } = this.options
    const now = deps.clock.now().getTime()
    const said = error instanceof Error ? error.message : String(error)
    // Out of reach, or reached but refusing the beat (a read-only server after a failover, a privilege): said as it is.
    const what = error instanceof TributaryError && error.code === ErrorCode.StoreUnreachable ? 'reach the store' : 'write its heartbeat to the store'
    if (!this.failing) {
      this.failing = { since: now, said: now, waiting: [] }
      onLine?.(`cannot ${what}: ${said} (trying again every ${formatDuration(config.heartbeatMs)}; the worker stops if it cannot for ${formatDuration(config.giveUpMs)})`)
      return
    }
    const failingFor = now - this.failing.since
    // Its code is the give-up's own.
    if (failingFor >= config.giveUpMs) return this.giveUp(said.replace(/^TRB4020: /, ''), failingFor)
    if (now - this.failing.said < STILL_FAILING_EVERY_MS) return
    this.failing.said = now
    onLine?.(`still cannot ${what}, for ${formatDuration(failingFor)}: ${said}`)
  }

  private giveUp(why: string, failingFor: number): void {
    // Also while stopping: a stop waits for its jobs, and those for the store.
    if (this.gaveUp) return
    const { config, onLine } = this.options
    this.gaveUp = new TributaryError(ErrorCode.StoreUnreachable, `worker ${this.id} could not reach the store for ${formatDuration(failingFor)} (queue({ giveUp }) is ${formatDuration(config.giveUpMs)}), so it stops: ${why}`, {
      hint: 'Check that PostgreSQL runs and that the URL names the database, then start the worker again (a supervisor restarts it). Its steps went to other workers once its lease lapsed.',
      retryable: true,
    })
    onLine?.(`giving up: ${this.gaveUp.message}`)
    // Their leases lapsed long ago: other workers took them, and their late results would be refused.
    for (const step of this.current) step.controller.abort(new CanceledError(step.assetKey))
    for (const resume of this.failing?.waiting ?? []) resume()
    void this.stop()
  }

  // One job: a place in its pool here, then the attempt claimed (a new fence), run whole, its end recorded under that fence.
  private async take(job: StepJob, queued: Job): Promise<void> {
    // Listed, with the next beat, while it waits for a place (a job taken by a slot racing another for the last one).
    let waiting: WorkerStep | undefined
    const leave = await this.gate.enter(job.pool, (pool) => {
      waiting = { runId: job.runId, assetKey: job.assetKey, partition: job.partition, attempt: job.attempt, since: new Date(), waitingForPool: pool }
      this.waiting.add(waiting)
    })
    if (waiting) this.waiting.delete(waiting)
    try {
      await this.runJob(job, queued)
    } catch (error) {
      this.options.onLine?.(`${job.assetKey} (run ${job.runId}, attempt ${job.attempt}) could not be recorded: ${error instanceof Error ? error.message : String(error)}`)
      // The store went out of reach under the step (its end could not be recorded)? A beat started
      // now tells (not one already out, which may have been answered before): the job fails
      // (graphile-worker runs it again later) only once the store is back, or the worker gave up.
      await this.beating
      await this.heartbeat()
      await this.storeBack()
      throw error
    } finally {
      leave()
    }
    // graphile-worker deletes the job as soon as this returns: not while the store is out of reach.
    await this.storeBack()
  }

  // Settles once the store is reachable (at once unless a heartbeat failed since the last written
  // one), or the worker gave up on it.
  private storeBack(): Promise<void> {
    if (!this.failing || this.gaveUp) return Promise.resolve()
    return new Promise((resolve) => this.failing!.waiting.push(resolve))
  }

  private async runJob(job: StepJob, queued: Job): Promise<void> {
    const { queue } = this.options
    // Inputs the control plane did not read are read with the claim, in parallel: as they are once it commits.
    const reading = this.read(job)
    const claim = await queue.claimStep(job, this.id, String(queued.id), new Date())
    // Ended meanwhile (canceled, or another worker finished it), or a later attempt is queued: nothing to do.
    if (!claim.claimed) return
    // Then the steps this worker keeps, one after the other, in this slot (see KeepHandOff).
    for (let next: Claimed | undefined = { job, fence: claim.fence, reading }; next;) next = await this.runClaimed(next)
  }

  // The attempt's inputs, unless the job carries them; undefined when this worker cannot run it.
  // Upstreams not read from the store (see KnownUpstreams): the job's `known`, and `kept`, what
  // the step before it in this slot just published.
  private read(job: StepJob, kept?: KnownUpstreams): Claimed['reading'] {
    const { deps } = this.options
    const node = deps.graph.nodes.get(job.assetKey)
    if (!this.runnable(job)) return undefined
    const known = job.known ? new Map([...Object.entries(job.known), ...kept ?? []]) : kept
    const reading = job.inputs
      ? checkedRowCount(deps, node!, job.partition).then((previousRowCount) => ({ inputs: job.inputs as ResolvedInputs, previousRowCount }))
      : attemptInputs(deps, node!, job.partition, undefined, known)
    reading.catch(() => undefined)
    return reading
  }

  private runnable(job: Pick<StepJob, 'assetKey' | 'codeVersion' | 'format'>): boolean {
    return this.options.deps.graph.nodes.get(job.assetKey)?.codeVersion === job.codeVersion && job.format === STEP_JOB_FORMAT
  }

  // One claimed attempt, run whole, its end recorded under its fence; the step it kept, if any, to run next.
  private async runClaimed({ job, fence, reading }: Claimed): Promise<Claimed | undefined> {
    const { deps, queue } = this.options
    const node = deps.graph.nodes.get(job.assetKey)
    const ref: StepRef = { runId: job.runId, assetKey: job.assetKey, partition: job.partition }
    const current: Current = { ...ref, attempt: job.attempt, since: new Date(), pool: job.pool, controller: new AbortController() }
    // Reported with the next heartbeat (not one more write per step start and end).
    this.current.add(current)
    // The step kept to run next, if any: this slot is not idle in between.
    let followedBy: Claimed | undefined
    try {
      if (!reading) {
        const why = job.format !== STEP_JOB_FORMAT
          ? `the job is in format ${job.format ?? 1}, this worker reads format ${STEP_JOB_FORMAT}: the control plane runs another Tributary version`
          : node ? `it has code version ${node.codeVersion} of the asset, the run was planned with ${job.codeVersion}` : 'its project has no such asset'
        const error = new TributaryError(ErrorCode.WorkerCodeMismatch, `worker ${this.id} (${this.options.version}) refused ${job.assetKey}: ${why}`, {
          context: { runId: job.runId, assetKey: job.assetKey },
          hint: job.format !== STEP_JOB_FORMAT
            ? 'Run the same Tributary version on the control plane and every worker (upgrade them together), then run again.'
            : 'Deploy the same code to every worker and the control plane, restart the workers, then run again.',
        })
        this.options.onLine?.(error.message)
        await queue.endAttempt({ status: 'failed', error: serializeError(error), retryable: false, reason: 'refused by a worker with other code', durationMs: null }, ref, fence)
        return undefined
      }
      // The step handed off when this one succeeds, kept here when this worker can run it and is not
      // stopping by then (asked at the completion).
      const { next } = job
      const keeping: { keep?: KeepHandOff } = {}
      const keep = next && this.runnable({ ...next, format: STEP_JOB_FORMAT })
        ? () => (this.stopped ? undefined : (keeping.keep = { workerId: this.id }))
        : undefined
      // Raised with the step already in `current`: a raise waiting on a publish's lock shows in heartbeats, and a cancel meanwhile reaches the attempt.
      // A worker stalled for longer than its lease while holding its step (between the publish's
      // check and its record) is lost: the store ends its hold, and the step goes to another worker.
      const fenced = fencedDeps(deps, queue, fence, { holdIdleMs: this.options.config.leaseMs, next, keep })
      let outcome: AttemptOutcome
      try {
        outcome = await Promise.all([raiseClaimFence(deps, job, fence, this.id), reading]).then(
          ([, read]) => runAttempt(fenced.deps, { node: node!, runId: job.runId, partition: job.partition, attempt: job.attempt },
            read.inputs, current.controller.signal, read.previousRowCount),
          (error: unknown) => ({ status: 'failed', error }))
      } finally {
        // A publish's hold on the step that its completion did not end (a failure or cancel after
        // the publish): released before the end below is recorded, which would wait for it.
        await fenced.release()
      }
      if (outcome.status === 'succeeded' || outcome.status === 'blocked') {
        const kept = keeping.keep?.kept
        if (!kept || !next) return undefined
        const nextJob = handedOffJob(job.runId, next)
        // What this step just published is what the kept one reads of it: not read back (unpartitioned only).
        const known = node!.partitions ? undefined : new Map([[job.assetKey, kept.upstream]])
        followedBy = { job: nextJob, fence: kept.fence, reading: this.read(nextJob, known) }
        return followedBy
      }
      const stale = outcome.error instanceof TributaryError && outcome.error.code === ErrorCode.StaleAttempt
      const recorded = !stale && await queue.endAttempt({
        status: outcome.status, error: serializeError(outcome.error), retryable: outcome.error instanceof TributaryError ? outcome.error.retryable : true,
        reason: outcome.status === 'canceled' ? 'the run was canceled' : null, durationMs: null,
      }, ref, fence)
      if (!recorded) await this.refused(job, stale ? outcome.error as TributaryError : undefined)
      return undefined
    } finally {
      this.current.delete(current)
      if (this.current.size === 0 && !followedBy) void this.reportIdle()
    }
  }

  // Idle again: said at once, not at the next timed beat, so a finished run never shows as still
  // running here. A beat already on its way may carry the step just ended: this one follows it.
  private async reportIdle(): Promise<void> {
    await this.beating
    if (this.current.size === 0 && !this.stopped) await this.heartbeat()
  }

  // This worker's lease expired and another worker took the step: its result counts for nothing. Said in the step's log.
  private async refused(job: StepJob, error: TributaryError | undefined): Promise<void> {
    const message = error?.message ?? `${ErrorCode.StaleAttempt}: the end of attempt ${job.attempt} of ${job.assetKey} was refused: the attempt is no longer this worker's (its run was canceled, or its lease expired and another worker took the step)`
    this.options.onLine?.(message)
    await this.options.deps.store.appendLog({ runId: job.runId, assetKey: job.assetKey, partition: job.partition, attempt: job.attempt, level: 'warn', message: `worker ${this.id}: ${message}`, at: new Date() }).catch(() => undefined)
  }
}

/**
 * The queue's own connections (fetching and completing jobs) commit without waiting for the WAL
 * flush (synchronous_commit off, for these connections only). The store's claim, which follows
 * every fetch before any code runs, is a flushed commit, and flushing it flushes every commit made
 * before it: a fetch is never lost once its step runs. A server crash can lose only a fetch whose
 * step never started (its job is fetched again) or a finished job's deletion (the job, run again,
 * finds its step ended and does nothing). Plans: generic (GENERIC_PLANS: graphile-worker's fetch is
 * planned once per connection, not once per fetch). A setting the URL's `options` names wins.
 */
export function queueConnection(url: string): string {
  return withSessionSettings(url, { ...GENERIC_PLANS, synchronous_commit: 'off' })
}

/**
 * Jobs a worker's local queue gave back (held past its TTL while every slot was busy) are free for
 * any worker, but graphile-worker sends no notification for them: the idle workers are woken as
 * `count` new jobs would wake them, RETURN_WAKE_DELAY_MS later on `clock` (the return is
 * graphile-worker's own statement, on its own connection, and must commit first).
 */
export function wakeForReturned(clock: Clock, queue: Pick<StepQueue, 'wakeWorkers'>, count: number): void {
  startTimer(clock, RETURN_WAKE_DELAY_MS, () => void queue.wakeWorkers(count).catch(() => undefined))
}
