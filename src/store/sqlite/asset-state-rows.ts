import type { SerializedError } from '../../model/errors.js'
import type { AssetStateRecord, AssetStateSummary, CheckResultRecord, ColumnInfo, StepStatus } from '../records.js'
import { partitionOf } from './row-mappers.js'

// Reading the state of 10,000 assets must stay well under 100 ms. asset_state holds copies
// of the last materialization and step (migration 0002), so summaries read one table and
// full states join only materializations, by id, for the column list. better-sqlite3
// spends most of the rest building one object per row, so rows are read as arrays
// (`.raw()`), one column list and one tuple type kept side by side.
const COLUMNS = `s.asset_key, s.partition,
  s.materialization_id, s.materialization_run_id, s.code_version, s.data_version, s.input_versions, s.row_count,
  (SELECT m.columns FROM materializations m WHERE m.id = s.materialization_id) AS columns,
  s.materialization_duration_ms, s.materialized_at,
  s.step_run_id, s.step_status, s.step_attempt, s.step_started_at, s.step_finished_at, s.step_duration_ms, s.step_error, s.step_reason,
  s.checks`

/**
 * The asset-state query (asset_state as `s`), without WHERE or ORDER BY. The column list is read by
 * id, row by row: a join let PostgreSQL, on statistics it never gathered (a young table, autovacuum
 * off), hash-join a scan of every materialization ever made to read a few assets' states.
 */
export const ASSET_STATE_SELECT = `SELECT ${COLUMNS}
  FROM asset_state s`

/** One row of {@link ASSET_STATE_SELECT}, in column order. */
export type AssetStateTuple = [
  assetKey: string, partition: string,
  mId: number | null, mRunId: string, codeVersion: string, dataVersion: string, inputVersions: string,
  rowCount: number | null, columns: string | null, mDurationMs: number, createdAt: number,
  sRunId: string | null, status: StepStatus, attempt: number, startedAt: number | null, finishedAt: number | null,
  sDurationMs: number | null, error: string | null, reason: string | null,
  checks: string,
]

const SUMMARY_COLUMNS = `asset_key, partition,
  materialization_id, materialization_run_id, code_version, data_version, input_versions, materialized_at,
  step_run_id, step_status, step_error, step_reason`

/** The asset-state summary query, without WHERE or ORDER BY: 12 columns of one table. */
export const ASSET_STATE_SUMMARY_SELECT = `SELECT ${SUMMARY_COLUMNS} FROM asset_state`

/** One row of {@link ASSET_STATE_SUMMARY_SELECT}, in column order. */
export type AssetStateSummaryTuple = [
  assetKey: string, partition: string,
  mId: number | null, mRunId: string, codeVersion: string, dataVersion: string, inputVersions: string, createdAt: number,
  sRunId: string | null, status: StepStatus, error: string | null, reason: string | null,
]

/** A check as kept in `asset_state.checks`: the record with `createdAt` as epoch ms. */
export type StoredCheck = Omit<CheckResultRecord, 'createdAt'> & { createdAt: number }

/** A row of {@link ASSET_STATE_SELECT} as a record. */
export function toAssetState(row: AssetStateTuple): AssetStateRecord {
  const [
    assetKey, partitionKey,
    mId, mRunId, codeVersion, dataVersion, inputVersions, rowCount, columns, mDurationMs, createdAt,
    sRunId, status, attempt, startedAt, finishedAt, sDurationMs, error, reason,
    checks,
  ] = row
  const partition = partitionOf(partitionKey)
  return {
    assetKey,
    partition,
    lastMaterialization: mId === null ? null : {
      id: mId,
      assetKey,
      partition,
      runId: mRunId,
      codeVersion,
      dataVersion,
      inputVersions: JSON.parse(inputVersions) as Record<string, string>,
      rowCount,
      columns: columns === null ? null : (JSON.parse(columns) as ColumnInfo[]),
      durationMs: mDurationMs,
      createdAt: new Date(createdAt),
    },
    lastStep: sRunId === null ? null : {
      runId: sRunId,
      assetKey,
      partition,
      status,
      attempt,
      startedAt: startedAt === null ? null : new Date(startedAt),
      finishedAt: finishedAt === null ? null : new Date(finishedAt),
      durationMs: sDurationMs,
      error: error === null ? null : (JSON.parse(error) as SerializedError),
      reason,
    },
    lastChecks: toLastChecks(checks),
  }
}

/** A row of {@link ASSET_STATE_SUMMARY_SELECT} as a summary. */
export function toAssetStateSummary(row: AssetStateSummaryTuple): AssetStateSummary {
  const [assetKey, partitionKey, mId, mRunId, codeVersion, dataVersion, inputVersions, createdAt, sRunId, status, error, reason] = row
  return {
    assetKey,
    partition: partitionOf(partitionKey),
    lastMaterialization: mId === null ? null : {
      id: mId,
      runId: mRunId,
      codeVersion,
      dataVersion,
      inputVersions: JSON.parse(inputVersions) as Record<string, string>,
      createdAt: new Date(createdAt),
    },
    lastStep: sRunId === null ? null : {
      runId: sRunId,
      status,
      error: error === null ? null : (JSON.parse(error) as SerializedError),
      reason,
    },
  }
}

function toLastChecks(json: string): CheckResultRecord[] {
  // Most assets have no checks: skip the parser for them.
  if (json === '[]') return []
  const checks = JSON.parse(json) as { createdAt: number | Date }[]
  // In place rather than spread: this runs for every check of every asset.
  for (const check of checks) check.createdAt = new Date(check.createdAt)
  return checks as unknown as CheckResultRecord[]
}
