import type {
  AssetStateRecord, AssetStateSummary, CheckResultRecord, EventRecord, LeaseResult, LogRecord, MaterializationRecord,
  NewCheckResult, NewMaterialization, ObservationRecord, RunRecord, RunRequest, RunStatus, StepRecord, StepStatus, StepUpdate,
} from './records.js'
import type { SerializedError } from '../model/errors.js'

/** How many steps of one asset in one run have one status. */
export interface StepCount {
  readonly assetKey: string
  readonly status: StepStatus
  readonly count: number
  /** The plan position of the first of them. */
  readonly first: number
}

/** A run about to start, with the steps of its plan. */
export interface NewRun {
  readonly id: string
  readonly selection: string
  readonly trigger: string
  readonly pid: number
  readonly host: string
  readonly startedAt: Date
  readonly steps: readonly { readonly assetKey: string; readonly partition: string | null }[]
  /** The run it continues (a resumed backfill). At most one run continues any run. */
  readonly continues?: string | null
}

/** The end of a step: its final update, plus what it published and what its checks found, written atomically. */
export interface StepCompletion {
  readonly step: StepUpdate
  readonly materialization?: NewMaterialization
  readonly checks?: readonly NewCheckResult[]
}

/** A step starting: its lease taken and its first state recorded in one write (see {@link Store.startStep}). */
export interface StepStart {
  /** The lease holder: the step's run. */
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
  readonly ttlMs: number
  readonly now: Date
  /**
   * The id of the latest materialization of (assetKey, partition) the caller decided on, null
   * for none. Default: not checked.
   */
  readonly lastMaterializationId?: number | null
  /** Applied when the lease is taken and that materialization is still the latest (a step running, or up to date). Default: none. */
  readonly update?: StepUpdate
}

/** How {@link Store.startStep} went. */
/** The lease a remote attempt's enqueue takes with it (see StepQueue.enqueueStep and startStep). */
export type AttemptLease = Pick<StepStart, 'ttlMs' | 'now' | 'lastMaterializationId'>

export interface StepStartResult extends LeaseResult {
  /** The lease was taken but another materialization has been recorded since the caller's read: `update` was not applied. */
  readonly stale: boolean
}

/**
 * The metadata store. Every write appends to the event log and updates the latest-state
 * tables in one transaction, so reads of state never scan the log. Implementations: SQLite
 * (embedded default) and PostgreSQL (scale-out); both pass `test/store-conformance.ts`.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres'
  /** Applies pending migrations. Safe when several processes call it at once. */
  migrate(): Promise<void>
  close(): Promise<void>

  /**
   * Records a new run and its queued steps. Throws TRB6003 when `continues` names a run that
   * another run already continues (checked in the same transaction).
   */
  createRun(run: NewRun): Promise<void>
  /** Ends a run. */
  finishRun(runId: string, status: RunStatus, at: Date, error?: SerializedError | null): Promise<void>
  /** Marks the run's process alive at `at` (not an event) and returns what was asked of the run meanwhile, if anything. */
  heartbeat(runId: string, at: Date): Promise<RunRequest | null>
  /**
   * Asks a running run to pause or cancel; its process acts on it at its next heartbeat. A
   * cancel is never turned back into a pause. Appends a `run_requested` event when the run
   * is running. Returns the run as it now is (undefined when there is no such run).
   */
  requestRun(runId: string, request: RunRequest, at: Date): Promise<RunRecord | undefined>
  /** Records a step's new status (waiting, running, retrying as running with a new attempt, …). */
  updateStep(update: StepUpdate): Promise<void>
  /** Records many steps' new statuses in one transaction (a run's up-to-date steps, at once). */
  updateSteps(updates: readonly StepUpdate[]): Promise<void>
  /** Records the end of a step with its materialization and check results in one transaction. */
  completeStep(completion: StepCompletion): Promise<MaterializationRecord | undefined>
  /** Records one look at a source: it becomes the latest; the history gains a row only when the look differs from the latest (existence, last update, data version or schema). */
  recordObservation(observation: ObservationRecord): Promise<void>
  appendLog(log: LogRecord): Promise<void>

  getRun(runId: string): Promise<RunRecord | undefined>
  /** Newest first, optionally only those with this status, trigger or exact selection text. Default limit: 50. */
  listRuns(options?: { limit?: number; status?: RunStatus; trigger?: string; selection?: string }): Promise<RunRecord[]>
  /** Runs still marked running, for crash recovery. */
  listActiveRuns(): Promise<RunRecord[]>
  /** The steps of a run in the order they were planned. */
  listSteps(runId: string): Promise<StepRecord[]>
  /** How many steps of a run are in each status, per asset; `first` is the plan position of the asset's first such step. */
  stepCounts(runId: string): Promise<StepCount[]>
  /** Oldest first. */
  listLogs(runId: string, assetKey?: string): Promise<LogRecord[]>
  /**
   * Latest state of every asset (partition), or of those keys. With `partition`, only states
   * of that partition (null: the unpartitioned ones). Default: every partition.
   */
  assetStates(keys?: readonly string[], options?: { partition?: string | null }): Promise<AssetStateRecord[]>
  /** The same states as {@link assetStates} with the same filters, summarized: what status() reads of 10,000 assets. */
  assetStateSummaries(keys?: readonly string[], options?: { partition?: string | null }): Promise<AssetStateSummary[]>
  /** Newest first. Default limit: 50. */
  listMaterializations(assetKey: string, options?: { limit?: number; partition?: string | null }): Promise<MaterializationRecord[]>
  /** Newest first. Default limit: 100. */
  listCheckResults(assetKey: string, options?: { limit?: number }): Promise<CheckResultRecord[]>
  /** The latest observation of every source, or of those keys. */
  latestObservations(keys?: readonly string[]): Promise<ObservationRecord[]>
  /** The changes seen of one source (one observation per new version or schema), newest first. Default limit: 50. */
  listObservations(sourceKey: string, options?: { limit?: number }): Promise<ObservationRecord[]>
  /** Events with id > afterId, oldest first. Default limit: 1000. */
  listEvents(options?: { afterId?: number; limit?: number; runId?: string }): Promise<EventRecord[]>
  /** The id of the newest event (0 when the log is empty): where a live tail of the log starts. */
  lastEventId(): Promise<number>
  /** Deletes events older than `before`; latest state and history tables stay. Returns how many. */
  pruneEvents(before: Date): Promise<number>
  /**
   * Calls `onEvents` soon after any process appends events, so a tail of the log reads when there
   * is something to read; returns how to stop. PostgreSQL: LISTEN/NOTIFY. Absent on SQLite, whose
   * tails read by id on a short poll.
   */
  watchEvents?(onEvents: () => void): Promise<() => void>

  /**
   * Calls `watcher` when the store goes out of reach while a statement is tried again, and when it is
   * back (see StoreOutage); returns how to stop. Absent on SQLite, a file on this machine.
   */
  watchOutages?(watcher: (outage: StoreOutage) => void): () => void

  /**
   * Takes the right to materialize (assetKey, partition) for `holder` until `now + ttlMs`.
   * Succeeds when free, expired, or already held by `holder`.
   */
  acquireLease(assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): Promise<LeaseResult>
  /**
   * Takes the lease as {@link acquireLease} does and, in the same transaction, applies `update`
   * if the lease was taken and the latest materialization of (assetKey, partition) is still the
   * one the caller decided on: a step starts in one write, its up-to-date decision made on reads
   * just before and still true under the lease. When stale, the lease stays taken.
   */
  startStep(start: StepStart): Promise<StepStartResult>
  /** Extends every lease of `holder`. */
  renewLeases(holder: string, ttlMs: number, now: Date): Promise<void>
  releaseLease(assetKey: string, partition: string | null, holder: string): Promise<void>
  /**
   * True when writes commit in the order they were issued (one write queue, as SQLite's): a lease
   * released right after a step's completion was issued is then never free before that completion
   * is stored, so the engine may issue both at once. Default: false (the engine releases a lease
   * only once the step's end is stored).
   */
  readonly ordersWrites?: boolean
  /** Releases every lease of `holder` (a finished or dead run). */
  releaseLeasesOf(holder: string): Promise<void>
}

/**
 * A store riding out an outage (a database restart, a failover): it went out of reach and is trying
 * its statement again for up to `retryForMs` (`store_unreachable`), or it is back after `afterMs`
 * (`store_reachable`). A statement that could not be tried again fails as before (TRB4020).
 */
export type StoreOutage =
  | { readonly type: 'store_unreachable'; readonly at: Date; readonly message: string; readonly retryForMs: number }
  | { readonly type: 'store_reachable'; readonly at: Date; readonly afterMs: number }
