import type { SerializedError } from '../model/errors.js'
import type { MaterializationRecord, Published, StepUpdate } from './records.js'
import type { AttemptLease, StepCompletion, StepStartResult } from './store.js'

/** Which step an attempt belongs to. */
export interface StepRef {
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
}

/**
 * The format of the jobs this version writes and reads. A worker refuses a job of another format
 * (TRB7002): the control plane and the workers run Tributary versions that carry steps differently.
 */
export const STEP_JOB_FORMAT = 3

/** How an enqueue went (see StepQueue.enqueueStep): as a start, and `handedOff` when a worker took the step first. */
export type EnqueueResult = StepStartResult & { readonly handedOff?: boolean }

/** One attempt of a step, as the job queue carries it to a worker (JSON). */
export interface StepJob extends StepRef {
  /** STEP_JOB_FORMAT of the control plane that wrote it (absent: written before formats were numbered). */
  readonly format?: number
  readonly attempt: number
  /** The code version of the asset the control plane planned with; a worker with other code refuses (TRB7002). */
  readonly codeVersion: string
  /** The pool the asset runs in, if any: a worker with `--pools` takes only as many of it at once. */
  readonly pool: string | null
  /** Upstream data as the control plane read it to decide the step (values and versions); absent: the worker reads it when it claims the attempt. */
  readonly inputs?: { readonly values: Readonly<Record<string, unknown>>; readonly versions: Readonly<Record<string, string>> }
  /** The downstream step the worker enqueues itself when this attempt succeeds (see HandOff); absent: none. */
  readonly next?: HandOff
  /** Unpartitioned upstreams published in the same run (see RemoteAttempt.known); absent: the worker reads them all. */
  readonly known?: Readonly<Record<string, Published>>
}

/**
 * A downstream step the control plane offers to the worker of its upstream: the worker that
 * records the upstream's success enqueues the downstream's first attempt in the same transaction
 * (the upstream's slot passes to it), so the step does not wait for the control plane's round
 * trip. Offered only for a step that waits for nothing else: every other upstream of it in the run
 * succeeded, it reads nothing from outside the run, and it runs in the upstream's pool. The
 * store enqueues it only while the run runs and nothing asked it to stop, its step is still
 * queued, the run can take its lease, and (`whenChanged`) the upstream's new data version is not
 * the one the step last read (it cannot be up to date); otherwise the control plane starts it as
 * usual. Jobs of older control planes carry none. `backlog`: a ready step the control plane holds
 * for this slot instead (see backlogOffer in run-executor.ts), not a downstream of the upstream.
 */
export interface HandOff {
  readonly assetKey: string
  readonly partition: string | null
  readonly codeVersion: string
  readonly pool: string | null
  /**
   * Enqueued only when the upstream's new data version differs from the one the step last read (a
   * run that is not forced); for a `backlog` step, when one of its upstreams in `known` does.
   */
  readonly whenChanged: boolean
  /** A ready step held for the upstream's slot, which it does not read (see whenChanged). */
  readonly backlog?: boolean
  /** The step the worker that records this one's success may enqueue in turn. */
  readonly next?: HandOff
  /** Its other unpartitioned upstreams, published earlier in the run (see StepJob.known). */
  readonly known?: Readonly<Record<string, Published>>
}

/** The first attempt's job of a step handed off in run `runId` (see HandOff): the offers after it ride along. */
export function handedOffJob(runId: string, next: HandOff): StepJob {
  return {
    runId, assetKey: next.assetKey, partition: next.partition, format: STEP_JOB_FORMAT, attempt: 1, codeVersion: next.codeVersion, pool: next.pool,
    ...(next.next ? { next: next.next } : {}), ...(next.known ? { known: next.known } : {}),
  }
}

/**
 * A worker that runs the step it hands off itself, in the upstream's slot: the completion that
 * enqueues the step claims its first attempt for `workerId` instead (a new fence, the step recorded
 * running), and adds no job to the queue while that worker lives. The claim keeps the job's spec:
 * once the worker has been silent for longer than the lease (dead, or stalled), or has heartbeaten
 * for a lease since the claim without listing the step (it lost it to an error), the workers
 * enqueue it (StepQueue.expireWorkers) and the one that takes it claims the attempt with a higher
 * fence, as a lapsed lease hands any step on. Only a worker the store knows as running keeps (its
 * heartbeat registered it, and it was not marked lost). Set by the completion when it kept the step: `kept`,
 * the attempt's fence and the materialization the completion recorded (the step reads it without
 * asking the store again).
 */
export interface KeepHandOff {
  readonly workerId: string
  kept?: { readonly fence: number; readonly upstream: Published }
}

/** How an attempt ended on a worker, as the control plane reads it back. */
export interface AttemptEnd extends StepRef {
  readonly attempt: number
  readonly status: 'succeeded' | 'blocked' | 'failed' | 'canceled'
  readonly error: SerializedError | null
  /** Whether a failure may be retried (the error's own intent). */
  readonly retryable: boolean
  readonly reason: string | null
  readonly durationMs: number | null
  /** Which worker ran it (`host:pid`). */
  readonly worker: string | null
  /** The downstream step its completion enqueued (see HandOff), if any: its first attempt, in the same run. */
  readonly handedOff?: { readonly assetKey: string; readonly partition: string | null }
  /** What a succeeded attempt published (absent when it recorded no materialization of its own). */
  readonly published?: Published
}

/** A `tributary worker` process as it reports itself. */
export interface WorkerRecord {
  readonly id: string
  readonly host: string
  readonly pid: number
  /** Tributary's version and the project's code version (`0.1.0+3f2a…`). */
  readonly version: string
  readonly concurrency: number
  /** Per-pool limits of this worker (`{ warehouse: 2 }`). */
  readonly pools: Readonly<Record<string, number>>
  readonly startedAt: Date
  readonly heartbeatAt: Date
  readonly stoppedAt: Date | null
  /** 'running'; 'stopped' when it ended cleanly; 'lost' when its lease expired and its steps went to others. */
  readonly state: 'running' | 'stopped' | 'lost'
  readonly currentSteps: readonly WorkerStep[]
}

/** A step a worker holds: running, or waiting for a place in its pool on that worker. */
export interface WorkerStep extends StepRef {
  readonly attempt: number
  /** Since when it runs (or waits). */
  readonly since: Date
  /** The pool it waits for a place in (the worker's `--pools` limit is full), not claimed yet; absent once it runs. */
  readonly waitingForPool?: string
}

/** What a worker claimed: the fence its publish must carry, or why it must not run the attempt. */
export type Claim =
  | { readonly claimed: true; readonly fence: number }
  | { readonly claimed: false; readonly why: 'ended' | 'superseded' }

/** A step held for one attempt (see StepQueue.holdFence). */
export interface FenceHold {
  /** Records the attempt's completion, as completeFenced does (with its hand-off, kept or not), under the hold, and ends it (commits). */
  complete(completion: StepCompletion, next?: HandOff, keep?: KeepHandOff): Promise<MaterializationRecord | undefined>
  /** Ends the hold without recording anything (rolls back); nothing when it already ended. */
  release(): Promise<void>
}

/**
 * The store's side of the worker fleet (PostgreSQL only): steps enqueued in the same
 * transaction that records them, attempts claimed with a fence, ends recorded only while the
 * fence is current, and workers' heartbeats. The queue is graphile-worker's, in the same database.
 */
export interface StepQueue {
  /** Creates or upgrades the queue's own tables (graphile-worker's schema) when needed; once per process. */
  prepare(): Promise<void>
  /**
   * Records `update` (the step waiting for a worker) and enqueues `job`, in one transaction. With
   * `lease`, that transaction first takes the step's lease for `lease.holder` (its run), as
   * Store.startStep does, and enqueues only when it took it and `lease.lastMaterializationId`
   * (when given) is still the latest materialization; otherwise it records nothing else and says
   * why (not acquired, or stale). Without, it always enqueues (acquired, not stale). `ifQueued`:
   * only while the step is still queued; one a worker's completion handed off meanwhile (kept, or
   * enqueued) is left as it is, and the result says so (`handedOff`): its attempt ends as any.
   */
  enqueueStep(update: StepUpdate, job: StepJob, lease?: AttemptLease & { readonly holder: string }, options?: { readonly ifQueued?: boolean }): Promise<EnqueueResult>
  /**
   * Ends an attempt canceled (its run was canceled), unless it ended already, and removes its job:
   * true when it ended here. The end is recorded as any end (read by attemptEnds). A worker running
   * it can no longer record it (its completion is refused, TRB7003) and stops it when its heartbeat
   * reads the cancel. `endRunning` false: an attempt a worker claimed is left to that worker (its
   * publish is not fenced). Default: true.
   */
  dequeueStep(job: StepRef & { readonly attempt: number }, options?: { readonly endRunning?: boolean }): Promise<boolean>
  /**
   * Takes an attempt for `workerId`: a new fence, the step recorded as running. Refused when
   * the step already ended, or a later attempt was enqueued.
   */
  claimStep(job: StepJob, workerId: string, jobId: string | null, at: Date): Promise<Claim>
  /**
   * Records a succeeded or blocked attempt (its materialization, checks and final status) and
   * releases its run's lease on the asset-partition, in one transaction, only while `fence` is
   * still the step's: TRB7003 otherwise. `next`: the downstream step to enqueue in the same
   * transaction when the attempt succeeded (see HandOff); a completion sharing its transaction
   * with other writes, or recording another step's materialization, enqueues none (the control
   * plane starts it). `keep`: the worker runs the handed-off step itself (see KeepHandOff); only a
   * completion in one statement keeps it, others hand it off to any worker.
   */
  completeFenced(completion: StepCompletion, fence: number, next?: HandOff, keep?: KeepHandOff): Promise<MaterializationRecord | undefined>
  /**
   * Holds the step for the attempt with `fence` until the returned hold completes or is released:
   * locks the step and its claim (as every writer of them does, so a claim of the step by another
   * worker waits for the hold) and checks that `fence` is still the step's and its attempt has not
   * ended, TRB7003 otherwise. A publish asks it before it commits, so no claim can come in between
   * the publish and the completion that records it. `idleTimeoutMs`: the store ends a hold left
   * waiting longer than that for its next statement (a worker stalled while holding), and the
   * claim waiting for it goes ahead. Default: none.
   */
  holdFence(ref: StepRef, fence: number, options?: { readonly idleTimeoutMs?: number }): Promise<FenceHold>
  /** Records how an attempt that did not complete ended (failed, canceled), only while `fence` is current. */
  endAttempt(end: Omit<AttemptEnd, 'runId' | 'assetKey' | 'partition' | 'attempt' | 'worker'>, ref: StepRef, fence: number): Promise<boolean>
  /**
   * Calls `onEnd` soon after any process records an attempt's end, with that end when the
   * notification could carry it (else undefined: read attemptEnds); returns how to stop. When
   * absent, the store's watchEvents is watched instead.
   */
  watchEnds?(onEnd: (end: (AttemptEnd & { readonly seq: number }) | undefined) => void): Promise<() => void>
  /** Ends of attempts of `runId` recorded after `afterSeq`, in commit order, with the last seq read. */
  attemptEnds(runId: string, afterSeq: number): Promise<{ readonly ends: readonly (AttemptEnd & { readonly seq: number })[]; readonly lastSeq: number }>
  /** Registers or refreshes a worker (database time); returns the ids of runs among `runIds` asked to cancel. */
  workerHeartbeat(worker: Omit<WorkerRecord, 'heartbeatAt' | 'stoppedAt' | 'state' | 'startedAt'> & { readonly startedAt: Date; readonly queueSlots: readonly string[] }, runIds: readonly string[]): Promise<string[]>
  /**
   * Marks workers silent for longer than `leaseMs` lost, unlocks their jobs for others and enqueues
   * the steps they kept (see KeepHandOff); returns the ids of the workers marked lost.
   */
  expireWorkers(leaseMs: number): Promise<string[]>
  /** Wakes the idle workers, as `count` new jobs would: for jobs unlocked by other means than a new job. */
  wakeWorkers(count: number): Promise<void>
  /** Marks a worker stopped (it ended cleanly). */
  stopWorker(id: string): Promise<void>
  /** Every worker seen, running first, then by last heartbeat. */
  listWorkers(): Promise<WorkerRecord[]>
}
