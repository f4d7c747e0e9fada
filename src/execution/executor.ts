import type { Relation } from '../graph/asset-graph.js'
import type { AssetDefinition, AssetIo } from '../model/asset.js'
import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import type { SensorDefinition, SensorResult } from '../model/automation.js'
import type { AssetInput, Row, SourceInput } from '../model/context.js'
import type { PartitionWindow } from '../model/partitions.js'
import type { LogStream, Published } from '../store/records.js'
import type { AttemptLease, StepStartResult } from '../store/store.js'
import type { HandOff } from '../store/step-queue.js'

/**
 * One call a step's code makes on the warehouse through its context. The control plane
 * serves it on the step's session: with DuckDB (one writing process) that is the only way in,
 * so the call travels over IPC from a worker.
 */
export type WarehouseCall =
  | { readonly op: 'query'; readonly sql: string; readonly params?: readonly unknown[] }
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'writeRows'; readonly rows: readonly Row[] }
  | { readonly op: 'writeSql'; readonly select: string }
  | { readonly op: 'loadCsv'; readonly files: readonly string[] }

/** Level of a log line a step wrote (ctx.log, console, stdout/stderr). */
export type StepLogLevel = 'info' | 'warn' | 'error'

/** Where a log line came from and when it was written. Default: ctx.log, now. */
export interface StepLogOrigin {
  readonly stream?: LogStream
  /** When the step's code wrote it (a worker's own clock). */
  readonly at?: Date
}

/** What the control plane offers a running step's code: its warehouse session and its log. */
export interface StepHost {
  /** Runs one warehouse call on the step's session; rejects with a TributaryError on failure. */
  warehouse(call: WarehouseCall): Promise<unknown>
  /** Records one log line of the step. */
  log(level: StepLogLevel, message: string, origin?: StepLogOrigin): void
}

/**
 * How a worker reaches the warehouse. 'host': every call goes through the StepHost (DuckDB, one
 * writing process). 'connect' (PostgreSQL, many connections): a worker opens its own session
 * from the project's warehouse config and serves the calls itself, writes going to `staging`,
 * so the control plane stays out of the data path. Code run in the control plane's own process
 * (the in-process executor) uses the host either way.
 */
export type WarehouseAccess =
  | { readonly type: 'host' }
  | { readonly type: 'connect'; readonly staging: Relation | null }

/** Everything a step's code needs, as plain data: what crosses the process boundary. */
export interface MaterializeTask {
  readonly kind: 'materialize'
  readonly assetKey: string
  /** The code version the control plane planned with; a worker with other code refuses (TRB3034). */
  readonly codeVersion: string
  readonly runId: string
  readonly partition: string | null
  readonly window: PartitionWindow | null
  readonly attempt: number
  readonly projectDir: string
  /** The quoted staging relation ('' when the asset writes no table). */
  readonly staging: string
  /** Only io 'table' assets may write the staging relation; writes from others fail with TRB3008. */
  readonly io: AssetIo
  readonly outputDir: string
  readonly inputs: Readonly<Record<string, SourceInput | AssetInput>>
  readonly warehouse: WarehouseAccess
}

/** A custom (TypeScript) check of an asset to evaluate against the step's staging relation. */
export interface CheckTask {
  readonly kind: 'check'
  readonly assetKey: string
  /** The check's name, unique within the asset. */
  readonly checkName: string
  /** The quoted relation being checked. */
  readonly relation: string
  readonly previousRowCount: number | undefined
  readonly now: Date
  /** How its queries reach the warehouse (a worker connects itself to PostgreSQL). Default: through the host. */
  readonly warehouse?: WarehouseAccess
}

/** A polling sensor's function to call with its cursor (the daemon's tick). */
export interface SensorTask {
  readonly kind: 'sensor'
  /** The sensor's name, unique in the project. */
  readonly sensorName: string
  readonly cursor: string | null
}

/** A sensor whose user function decides when to run. */
export type PollSensor = Extract<SensorDefinition, { kind: 'poll' }>

/** Any task a worker takes. */
export type ExecutorTask = MaterializeTask | CheckTask | SensorTask

/** One attempt of a step handed whole to another process (queue workers stage, check and publish themselves). */
export interface RemoteAttempt {
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
  readonly attempt: number
  readonly codeVersion: string
  readonly pool: string | null
  /** Upstream data as the control plane read it to decide the step; absent: the worker that claims the attempt reads it. */
  readonly inputs?: { readonly values: Readonly<Record<string, unknown>>; readonly versions: Readonly<Record<string, string>> }
  /** Unpartitioned upstreams published in the same run, as their workers recorded them: the worker does not read them back (see KnownUpstreams). */
  readonly known?: Readonly<Record<string, Published>>
  /** The downstream step the worker may enqueue itself when the attempt succeeds (see HandOff). */
  readonly next?: HandOff
  /**
   * The step was held for another step's worker, which may have kept it meanwhile (see
   * backlogOffer in run-executor.ts): enqueued only while still queued; otherwise the attempt the
   * worker started is the one whose end is awaited. First attempts only. Not in the job.
   */
  readonly ifQueued?: boolean
  /**
   * false when the attempt publishes what no fence guards (`io: 'files'`): a cancel does not end it
   * while a worker runs it, it asks the worker to stop (see StepQueue.dequeueStep). Not in the job.
   */
  readonly fencedPublish?: boolean
}

/** How a remote attempt ended. Succeeded and blocked attempts were recorded in the store by the worker. */
export type RemoteOutcome =
  | { readonly status: 'succeeded'; readonly durationMs: number | null; readonly handedOff?: { readonly assetKey: string; readonly partition: string | null }; readonly published?: Published }
  | { readonly status: 'blocked'; readonly reason: string }
  | { readonly status: 'failed' | 'canceled'; readonly error: Error }

/**
 * Where a step's user code runs. The engine keeps planning, readiness, staging, checks and
 * publishing; an executor only runs the code and reports what it returned. Implementations:
 * in-process (unit tests, benchmarks) and a pool of worker processes (the CLI and `serve`).
 */
export interface Executor {
  /** 'in-process', 'pool' or 'queue'. */
  readonly kind: string
  /**
   * Runs an asset's materialize function and resolves with what it returned. Rejects with an
   * AssetExecutionError when the code threw, a TributaryError of its own, or, once `signal`
   * aborted, with the signal's reason (or TRB3033 when a worker had to be killed for it).
   * The in-process executor receives the definition; a pool's workers load their own by key.
   */
  materialize(task: MaterializeTask, def: AssetDefinition, host: StepHost, signal: AbortSignal): Promise<unknown>
  /**
   * Runs a custom check's `evaluate` function, its warehouse queries going through `host`, and
   * resolves with its outcome; rejects with what it threw (the engine judges that as for any check).
   */
  check(task: CheckTask, check: CheckDefinition, host: StepHost, signal: AbortSignal): Promise<CheckOutcome>
  /** Calls a polling sensor's `poll(cursor)` and resolves with its result. */
  sensor(task: SensorTask, sensor: PollSensor, host: StepHost, signal: AbortSignal): Promise<SensorResult>
  /**
   * Runs a whole attempt (code, staging, checks, publish) in another process and resolves with
   * how it ended; the engine then records failures and retries as for a local attempt.
   * Optional: only the queue executor has it, and the engine uses it when it is there.
   */
  runAttempt?(attempt: RemoteAttempt, signal: AbortSignal): Promise<RemoteOutcome>
  /**
   * A step's first remote attempt: takes the step's lease for its run, as Store.startStep does,
   * and enqueues the attempt in the same store write when the lease was taken and the caller's
   * read is still current (not stale); `outcome` then settles as runAttempt's would. Optional.
   */
  startAttempt?(attempt: RemoteAttempt, lease: AttemptLease, signal: AbortSignal): Promise<StepStartResult & { readonly outcome?: Promise<RemoteOutcome> }>
  /**
   * A step's first attempt that the worker of its upstream enqueued (the upstream's outcome named
   * it `handedOff`): how it ends, as runAttempt's outcome would settle; `signal` cancels it.
   * Present where runAttempt takes `next`.
   */
  adoptAttempt?(attempt: RemoteAttempt, signal: AbortSignal): Promise<RemoteOutcome>
  /** The run ended here: what the executor kept for it (ends read, hand-offs heard) can go. Optional. */
  forgetRun?(runId: string): void
  /** Gets up to `count` workers ready ahead of the steps that will need them. Optional; never throws. */
  warm?(count: number): void
  /** Stops every worker; steps still running fail. */
  close(): Promise<void>
  /** Lets running steps finish, then stops (code was reloaded and a new executor takes new steps). Optional. */
  retire?(): void
}
