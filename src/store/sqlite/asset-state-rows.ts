import type { SerializedError } from '../../model/errors.js'
import type { AssetStateRecord, CheckResultRecord, ColumnInfo, StepStatus } from '../records.js'
import { partitionOf } from './row-mappers.js'

// assetStates() must read 10,000 assets well under 100 ms. better-sqlite3 spends most of that
// building one object per row, so this query is read as arrays (`.raw()`), one column list
// and one tuple type kept side by side, and the join carries no column twice.
const COLUMNS = `
  asset_state.asset_key, asset_state.partition, asset_state.checks,
  m.id, m.run_id, m.code_version, m.data_version, m.input_versions, m.row_count, m.columns, m.duration_ms, m.created_at,
  s.run_id, s.status, s.attempt, s.started_at, s.finished_at, s.duration_ms, s.error, s.reason`

/** The asset-state join, without WHERE or ORDER BY. */
export const ASSET_STATE_SELECT = `SELECT ${COLUMNS}
  FROM asset_state
  LEFT JOIN materializations m ON m.id = asset_state.materialization_id
  LEFT JOIN steps s ON s.run_id = asset_state.step_run_id
    AND s.asset_key = asset_state.asset_key AND s.partition = asset_state.partition`

/** One row of {@link ASSET_STATE_SELECT}, in column order. */
export type AssetStateTuple = [
  assetKey: string, partition: string, checks: string,
  mId: number | null, mRunId: string, codeVersion: string, dataVersion: string, inputVersions: string,
  rowCount: number | null, columns: string | null, mDurationMs: number, createdAt: number,
  sRunId: string | null, status: StepStatus, attempt: number, startedAt: number | null, finishedAt: number | null,
  sDurationMs: number | null, error: string | null, reason: string | null,
]

/** A check as kept in `asset_state.checks`: the record with `createdAt` as epoch ms. */
export type StoredCheck = Omit<CheckResultRecord, 'createdAt'> & { createdAt: number }

/** A row of {@link ASSET_STATE_SELECT} as a record. */
export function toAssetState(row: AssetStateTuple): AssetStateRecord {
  const [
    assetKey, partitionKey, checks,
    mId, mRunId, codeVersion, dataVersion, inputVersions, rowCount, columns, mDurationMs, createdAt,
    sRunId, status, attempt, startedAt, finishedAt, sDurationMs, error, reason,
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

function toLastChecks(json: string): CheckResultRecord[] {
  const checks = JSON.parse(json) as { createdAt: number | Date }[]
  // In place rather than spread: this runs for every check of every asset.
  for (const check of checks) check.createdAt = new Date(check.createdAt)
  return checks as unknown as CheckResultRecord[]
}
