import type { SerializedError } from '../model/errors.js'

/** Lifecycle of one asset (partition) inside a run. */
export type StepStatus = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'skipped' | 'canceled'

/** Lifecycle of a run. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'canceled' | 'paused'

/** What was asked of a running run from outside it: finish the running steps and start no more ('pause'), or stop now ('cancel'). */
export type RunRequest = 'pause' | 'cancel'

/** Step states after which nothing more happens to the step. */
export const FINAL_STEP_STATUSES: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'blocked', 'skipped', 'canceled'])

/** A column of a published relation. */
export interface ColumnInfo {
  readonly name: string
  readonly type: string
}

/** One run: the execution of a plan. */
export interface RunRecord {
  readonly id: string
  readonly status: RunStatus
  /** The selection text it was started with ('' for everything). */
  readonly selection: string
  /** What started it: 'cli', 'api', 'schedule:<name>', 'test'. */
  readonly trigger: string
  readonly pid: number
  readonly host: string
  readonly startedAt: Date
  readonly finishedAt: Date | null
  readonly heartbeatAt: Date
  readonly error: SerializedError | null
  readonly stepCount: number
  /** A pause or cancel asked for while it runs, not yet acted on by its process (null once finished as asked). */
  readonly requested: RunRequest | null
  /** The run this one continues (a resumed backfill), or null. */
  readonly continues: string | null
}

/** One asset (partition) inside a run. */
export interface StepRecord {
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
  readonly status: StepStatus
  /** 0 before the first attempt starts. */
  readonly attempt: number
  readonly startedAt: Date | null
  readonly finishedAt: Date | null
  readonly durationMs: number | null
  readonly error: SerializedError | null
  /** Why it is waiting, skipped, blocked or canceled, in words. */
  readonly reason: string | null
}

/** A change to one step, stored as an event and applied to the step's latest state. */
export interface StepUpdate {
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
  readonly status: StepStatus
  readonly at: Date
  readonly attempt?: number
  readonly error?: SerializedError | null
  readonly reason?: string | null
  readonly durationMs?: number | null
}

/** One successful publish of an asset (partition). */
export interface MaterializationRecord {
  readonly id: number
  readonly assetKey: string
  readonly partition: string | null
  readonly runId: string
  readonly codeVersion: string
  readonly dataVersion: string
  /** Data version of each upstream (asset or source) when it was read. */
  readonly inputVersions: Readonly<Record<string, string>>
  readonly rowCount: number | null
  readonly columns: readonly ColumnInfo[] | null
  readonly durationMs: number
  readonly createdAt: Date
}

/** What a step that read a materialization needs of it: its data version and row count. */
export type Published = Pick<MaterializationRecord, 'dataVersion' | 'rowCount'>

/** A materialization about to be recorded. */
export type NewMaterialization = Omit<MaterializationRecord, 'id'>

/** The result of one check on one attempt. */
export interface CheckResultRecord {
  readonly id: number
  readonly assetKey: string
  readonly partition: string | null
  readonly runId: string
  readonly checkName: string
  readonly checkType: string
  readonly severity: 'warn' | 'error'
  readonly blocking: boolean
  readonly passed: boolean
  readonly failingRows: number | null
  readonly sample: readonly Record<string, unknown>[]
  readonly message: string | null
  readonly createdAt: Date
}

/** A check result about to be recorded. */
export type NewCheckResult = Omit<CheckResultRecord, 'id'>

/** One look at a source. */
export interface ObservationRecord {
  readonly sourceKey: string
  readonly observedAt: Date
  /** False when nothing matched (no files, no table). */
  readonly exists: boolean
  readonly lastUpdated: Date | null
  /** Changes whenever the data changes. */
  readonly dataVersion: string | null
  readonly rowCount: number | null
  /** Hash of the column names and types (schema drift changes it). */
  readonly schemaFingerprint: string | null
  readonly columns: readonly ColumnInfo[] | null
}

/** The latest state of one asset (partition), kept up to date with every event. */
export interface AssetStateRecord {
  readonly assetKey: string
  readonly partition: string | null
  readonly lastMaterialization: MaterializationRecord | null
  /** The latest step of any run for this asset (partition). */
  readonly lastStep: StepRecord | null
  /** Results of the checks of the latest step that evaluated checks. */
  readonly lastChecks: readonly CheckResultRecord[]
}

/**
 * The part of an asset (partition)'s latest state that status derivation reads: an
 * {@link AssetStateRecord} without columns, row counts, timings and checks, whose size
 * grows with the schema and the checks rather than with the number of assets.
 */
export interface AssetStateSummary {
  readonly assetKey: string
  readonly partition: string | null
  readonly lastMaterialization: Pick<MaterializationRecord, 'id' | 'runId' | 'codeVersion' | 'dataVersion' | 'inputVersions' | 'createdAt'> | null
  readonly lastStep: Pick<StepRecord, 'runId' | 'status' | 'error' | 'reason'> | null
}

/** Where a step's log line came from: `ctx.log` ('log'), or the step's stdout or stderr (console.* too). */
export type LogStream = 'log' | 'stdout' | 'stderr'

/**
 * A log line written by a step. The store keeps at most a bounded amount per step attempt
 * (see LogLimits in log-limits.ts); past it, one marker line with `truncated` stands for the rest.
 * `attempt`, `stream` and `truncated` are optional when appending and always set when read.
 */
export interface LogRecord {
  readonly runId: string
  readonly assetKey: string
  readonly partition: string | null
  readonly level: 'info' | 'warn' | 'error'
  readonly message: string
  /** When it was written (captured by the worker, not when stored). */
  readonly at: Date
  /** The step's attempt that wrote it (1 for the first). Default: 0, not tied to an attempt. */
  readonly attempt?: number
  /** Default: 'log'. */
  readonly stream?: LogStream
  /** Only on the marker line of a step attempt whose log passed its limit: how many lines were dropped. */
  readonly truncated?: number | null
}

/** One entry of the append-only event log. */
export interface EventRecord {
  readonly id: number
  /** 'run_started', 'run_finished', 'step_<status>', 'materialization', 'check_evaluated', 'observation', 'log'. */
  readonly type: string
  readonly at: Date
  readonly runId: string | null
  readonly assetKey: string | null
  readonly partition: string | null
  readonly payload: Readonly<Record<string, unknown>>
}

/** Who holds the right to materialize an asset (partition). */
export interface LeaseResult {
  readonly acquired: boolean
  /** The current holder when not acquired. */
  readonly holder: string | null
}
