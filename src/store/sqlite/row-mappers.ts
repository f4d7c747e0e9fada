import type { SerializedError } from '../../model/errors.js'
import {
  FINAL_STEP_STATUSES,
  type CheckResultRecord, type ColumnInfo, type EventRecord, type LogRecord, type LogStream, type MaterializationRecord, type NewMaterialization, type ObservationRecord, type RunRecord,
  type RunRequest, type RunStatus, type StepRecord, type StepStatus, type StepUpdate,
} from '../records.js'

/** A partition as stored in key columns: '' stands for "no partition" because NULLs never match in keys. */
export function partitionKey(partition: string | null): string {
  return partition ?? ''
}

/** The partition a key column holds, '' read back as null. */
export function partitionOf(key: string): string | null {
  return key === '' ? null : key
}

/** Epoch milliseconds, or null. */
export function millis(date: Date | null | undefined): number | null {
  return date == null ? null : date.getTime()
}

/** JSON text for a nullable value (undefined stored as NULL too). */
export function jsonOrNull(value: unknown): string | null {
  return value == null ? null : JSON.stringify(value)
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms)
}

function parseOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T)
}

/** A row of `runs`. */
export interface RunRow {
  id: string
  status: RunStatus
  selection: string
  trigger: string
  pid: number
  host: string
  started_at: number
  finished_at: number | null
  heartbeat_at: number
  error: string | null
  step_count: number
  requested: RunRequest | null
  continues: string | null
}

/** A row of `runs` as a record. */
export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    status: row.status,
    selection: row.selection,
    trigger: row.trigger,
    pid: row.pid,
    host: row.host,
    startedAt: new Date(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
    heartbeatAt: new Date(row.heartbeat_at),
    error: parseOrNull<SerializedError>(row.error),
    stepCount: row.step_count,
    requested: row.requested ?? null,
    continues: row.continues ?? null,
  }
}

/** A row of `steps`. */
export interface StepRow {
  run_id: string
  asset_key: string
  partition: string
  status: StepStatus
  attempt: number
  started_at: number | null
  finished_at: number | null
  duration_ms: number | null
  error: string | null
  reason: string | null
}

/** A row of `steps` as a record. */
export function toStep(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    assetKey: row.asset_key,
    partition: partitionOf(row.partition),
    status: row.status,
    attempt: row.attempt,
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
    durationMs: row.duration_ms,
    error: parseOrNull<SerializedError>(row.error),
    reason: row.reason,
  }
}

/** A row of `materializations`. */
export interface MaterializationRow {
  id: number
  asset_key: string
  partition: string
  run_id: string
  code_version: string
  data_version: string
  input_versions: string
  row_count: number | null
  columns: string | null
  duration_ms: number
  created_at: number
}

/** The parameters of a step's update statement (`updateStep`, both stores) for `update`. */
export function stepUpdateParams(update: StepUpdate) {
  return {
    runId: update.runId,
    assetKey: update.assetKey,
    partition: partitionKey(update.partition),
    status: update.status,
    at: update.at.getTime(),
    attempt: update.attempt ?? null,
    final: FINAL_STEP_STATUSES.has(update.status) ? 1 : 0,
    hasDuration: update.durationMs === undefined ? 0 : 1,
    durationMs: update.durationMs ?? null,
    error: jsonOrNull(update.error),
    reason: update.reason ?? null,
  }
}

/** A new materialization as both dialects bind it: partition as its key, JSON as text, times as epoch ms. */
export function materializationRow(materialization: NewMaterialization) {
  return {
    assetKey: materialization.assetKey,
    partition: partitionKey(materialization.partition),
    runId: materialization.runId,
    codeVersion: materialization.codeVersion,
    dataVersion: materialization.dataVersion,
    inputVersions: JSON.stringify(materialization.inputVersions),
    rowCount: materialization.rowCount,
    columns: jsonOrNull(materialization.columns),
    durationMs: materialization.durationMs,
    createdAt: materialization.createdAt.getTime(),
  }
}

/** A row of `materializations` as a record. */
export function toMaterialization(row: MaterializationRow): MaterializationRecord {
  return {
    id: row.id,
    assetKey: row.asset_key,
    partition: partitionOf(row.partition),
    runId: row.run_id,
    codeVersion: row.code_version,
    dataVersion: row.data_version,
    inputVersions: JSON.parse(row.input_versions) as Record<string, string>,
    rowCount: row.row_count,
    columns: parseOrNull<ColumnInfo[]>(row.columns),
    durationMs: row.duration_ms,
    createdAt: new Date(row.created_at),
  }
}

/** A row of `check_results`. */
export interface CheckResultRow {
  id: number
  asset_key: string
  partition: string
  run_id: string
  check_name: string
  check_type: string
  severity: 'warn' | 'error'
  blocking: number
  passed: number
  failing_rows: number | null
  sample: string
  message: string | null
  created_at: number
}

/** A row of `check_results` as a record. */
export function toCheckResult(row: CheckResultRow): CheckResultRecord {
  return {
    id: row.id,
    assetKey: row.asset_key,
    partition: partitionOf(row.partition),
    runId: row.run_id,
    checkName: row.check_name,
    checkType: row.check_type,
    severity: row.severity,
    blocking: row.blocking === 1,
    passed: row.passed === 1,
    failingRows: row.failing_rows,
    sample: JSON.parse(row.sample) as Record<string, unknown>[],
    message: row.message,
    createdAt: new Date(row.created_at),
  }
}

/** A row of `observations` or `source_state`. */
export interface ObservationRow {
  source_key: string
  observed_at: number
  source_exists: number
  last_updated: number | null
  data_version: string | null
  row_count: number | null
  schema_fingerprint: string | null
  columns: string | null
}

/** A row of `observations` or `source_state` as a record. */
export function toObservation(row: ObservationRow): ObservationRecord {
  return {
    sourceKey: row.source_key,
    observedAt: new Date(row.observed_at),
    exists: row.source_exists === 1,
    lastUpdated: dateOrNull(row.last_updated),
    dataVersion: row.data_version,
    rowCount: row.row_count,
    schemaFingerprint: row.schema_fingerprint,
    columns: parseOrNull<ColumnInfo[]>(row.columns),
  }
}

/** A row of `logs`. */
export interface LogRow {
  run_id: string
  asset_key: string
  partition: string
  level: 'info' | 'warn' | 'error'
  message: string
  at: number
  attempt: number
  stream: LogStream
  truncated: number | null
}

/** A row of `logs` as a record. */
export function toLog(row: LogRow): LogRecord {
  return {
    runId: row.run_id,
    assetKey: row.asset_key,
    partition: partitionOf(row.partition),
    level: row.level,
    message: row.message,
    at: new Date(row.at),
    attempt: row.attempt,
    stream: row.stream,
    truncated: row.truncated,
  }
}

/** A row of `events`. */
export interface EventRow {
  id: number
  type: string
  at: number
  run_id: string | null
  asset_key: string | null
  partition: string | null
  payload: string
}

/** A row of `events` as a record. */
export function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    type: row.type,
    at: new Date(row.at),
    runId: row.run_id,
    assetKey: row.asset_key,
    partition: row.partition === null ? null : partitionOf(row.partition),
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  }
}
