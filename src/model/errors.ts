import { redact } from './redact.js'

/** Stable error codes. Documented in docs/errors.md; never reuse a retired code. */
export const ErrorCode = {
  DuplicateKey: 'TRB1001',
  InvalidKey: 'TRB1002',
  UnknownDependency: 'TRB1003',
  Cycle: 'TRB1004',
  SqlSyntax: 'TRB1005',
  SqlUnknownTable: 'TRB1006',
  InvalidDuration: 'TRB1007',
  InvalidTimezone: 'TRB1008',
  InvalidDeadline: 'TRB1009',
  InvalidCheck: 'TRB1010',
  ConfigLoad: 'TRB1011',
  ConfigNotFound: 'TRB1012',
  InvalidDefinition: 'TRB1013',
  UnknownPool: 'TRB1014',
  InvalidRetry: 'TRB1015',
  MalformedSelection: 'TRB2001',
  EmptySelection: 'TRB2002',
  UnknownAsset: 'TRB2003',
  AssetExecution: 'TRB3001',
  StepTimeout: 'TRB3002',
  NotReady: 'TRB3003',
  CheckFailed: 'TRB3004',
  Canceled: 'TRB3005',
  ProcessDied: 'TRB3006',
  UpstreamFailed: 'TRB3007',
  InvalidOutput: 'TRB3008',
  RunFailed: 'TRB3009',
  UpstreamSchemaChanged: 'TRB3020',
  WorkerExited: 'TRB3030',
  WorkerKilled: 'TRB3031',
  WorkerOutOfMemory: 'TRB3032',
  WorkerTimedOut: 'TRB3033',
  WorkerStartFailed: 'TRB3034',
  InvalidSettings: 'TRB1016',
  InvalidPartitions: 'TRB1017',
  InvalidPartitionMapping: 'TRB1018',
  UnknownDefinitionField: 'TRB1019',
  SqlParserUnavailable: 'TRB1030',
  InvalidContract: 'TRB1031',
  UpstreamContractBreached: 'TRB1040',
  RowsOfNonTable: 'TRB1041',
  InvalidStore: 'TRB1050',
  StoreSchema: 'TRB1060',
  InvalidPartitionKey: 'TRB2004',
  SelectionTooLong: 'TRB2010',
  InvalidGlob: 'TRB2011',
  StoreCorrupt: 'TRB4001',
  StoreTooNew: 'TRB4002',
  StoreEmptied: 'TRB4010',
  StoreUnreachable: 'TRB4020',
  WarehouseLocked: 'TRB5001',
  WarehouseQuery: 'TRB5002',
  CsvLoad: 'TRB5010',
  WarehouseMissing: 'TRB5011',
  WarehouseForeign: 'TRB5012',
  WarehouseUnreachable: 'TRB5020',
  InvalidWarehouseName: 'TRB5021',
  InvalidWarehouse: 'TRB5022',
  WarehouseInterrupted: 'TRB5030',
  Usage: 'TRB6001',
  RunNotFound: 'TRB6002',
  RunNotActive: 'TRB6003',
  PackageNotBuilt: 'TRB6010',
  FixtureInvalid: 'TRB6011',
  ForeignOrigin: 'TRB6020',
  ForeignHost: 'TRB6021',
  WebhookSignature: 'TRB6022',
  WebhookExpired: 'TRB6023',
  WebhookReplayed: 'TRB6024',
  UnknownField: 'TRB6025',
  ControlPlaneLost: 'TRB6050',
  ControlPlaneRunning: 'TRB6051',
  DuckDbWithRemoteWorkers: 'TRB7020',
  SqliteWithManyMachines: 'TRB7021',
  MigrateTargetNotEmpty: 'TRB7022',
  MigrateNoSource: 'TRB7023',
  MigrateWhileServed: 'TRB7024',
  QueueNeedsPostgres: 'TRB7001',
  WorkerCodeMismatch: 'TRB7002',
  StaleAttempt: 'TRB7003',
  InvalidQueueConfig: 'TRB7004',
  QueueFailed: 'TRB7005',
} as const

/** One of the stable error codes in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Typed context carried by an error: which asset, run or file it is about. */
export interface ErrorContext {
  readonly assetKey?: string
  readonly runId?: string
  /** The upstream a readiness failure is about. */
  readonly upstream?: string
  readonly file?: string
  readonly position?: { readonly line: number; readonly column: number }
}

/** Base of every error Tributary raises: a stable code, what happened, what to do. */
export class TributaryError extends Error {
  override readonly name: string = 'TributaryError'
  readonly code: ErrorCodeValue
  /** What the user can do about it. */
  readonly hint: string | undefined
  readonly context: ErrorContext
  /** Whether running the same step again may succeed. Default: false. */
  readonly retryable: boolean

  constructor(
    code: ErrorCodeValue,
    message: string,
    options: { hint?: string; cause?: unknown; context?: ErrorContext; retryable?: boolean } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.context = options.context ?? {}
    this.retryable = options.retryable ?? false
  }

  /** The message without its code, for places that show the code separately. */
  get detail(): string {
    return this.message.slice(this.code.length + 2)
  }

  /** A JSON-safe shape for events, the API and `--json` output. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.detail, hint: this.hint, ...this.context }
  }
}

/** The JSON shape of an error in events and `--json` output. */
export interface SerializedError extends ErrorContext {
  readonly code: string
  readonly message: string
  readonly hint?: string | undefined
  readonly cause?: string | undefined
}

/** A problem in the project's definitions, found before anything runs. */
export class DefinitionError extends TributaryError {
  override readonly name = 'DefinitionError'
}

/** A selection string that is malformed or matches nothing. */
export class SelectionError extends TributaryError {
  override readonly name = 'SelectionError'
}

/** The user's asset code threw. Keeps the original error as `cause`; retryable by default. */
export class AssetExecutionError extends TributaryError {
  override readonly name = 'AssetExecutionError'
  constructor(assetKey: string, cause: unknown, retryable = true) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(ErrorCode.AssetExecution, `asset ${assetKey} failed: ${reason}`, {
      cause,
      context: { assetKey },
      retryable,
      hint: 'Fix the asset code or its input data, then re-run it; re-running is safe.',
    })
  }
}

/** Turns anything thrown into the JSON shape stored in events, with secrets in URLs redacted (see redact). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof TributaryError) {
    const cause = error.cause instanceof Error ? redact(error.cause.message) : undefined
    const json = error.toJSON()
    const safe = { ...json, message: redact(json.message), ...(json.hint !== undefined ? { hint: redact(json.hint) } : {}) }
    return cause && !safe.message.includes(cause) ? { ...safe, cause } : safe
  }
  if (error instanceof Error) return { code: 'TRB0000', message: redact(error.message) }
  return { code: 'TRB0000', message: redact(String(error)) }
}
