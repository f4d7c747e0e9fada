import type Database from 'better-sqlite3'
import type {
  CheckResultRow, EventRow, LogRow, MaterializationRow, ObservationRow, RunRow, StepRow,
} from './row-mappers.js'
import {
  ASSET_STATE_SELECT, ASSET_STATE_SUMMARY_SELECT, type AssetStateSummaryTuple, type AssetStateTuple,
} from './asset-state-rows.js'
import type { RunRequest, StepStatus } from '../records.js'

type Params = Record<string, string | number | null>
// A local name for better-sqlite3's statement type, so the emitted .d.ts can refer to it
// (the package's inner namespace cannot be named from outside).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a name, not a new shape
interface Statement<P, R = unknown> extends Database.Statement<[P], R> {}

const OBSERVATION_COLUMNS = `source_key, observed_at, source_exists, last_updated, data_version, row_count, schema_fingerprint, columns`
const OBSERVATION_VALUES = `@sourceKey, @observedAt, @exists, @lastUpdated, @dataVersion, @rowCount, @schemaFingerprint, @columns`

/** Prepares every statement of the store once, so each call only binds and steps. */
export function prepareStatements(db: Database.Database) {
  const write = (sql: string): Statement<Params> => db.prepare<Params>(sql)
  const read = <R>(sql: string): Statement<Params, R> => db.prepare<Params, R>(sql)
  return {
    insertEvent: write(`INSERT INTO events (type, at, run_id, asset_key, partition, payload)
      VALUES (@type, @at, @runId, @assetKey, @partition, @payload)`),
    insertRun: write(`INSERT INTO runs (id, status, selection, trigger, pid, host, started_at, heartbeat_at, step_count, continues)
      VALUES (@id, 'running', @selection, @trigger, @pid, @host, @startedAt, @startedAt, @stepCount, @continues)`),
    continuedBy: read<{ id: string }>(`SELECT id FROM runs WHERE continues = @continues`),
    finishRun: write(`UPDATE runs SET status = @status, finished_at = @at, error = @error, requested = NULL WHERE id = @id`),
    heartbeat: read<{ requested: RunRequest | null }>(`UPDATE runs SET heartbeat_at = @at WHERE id = @id RETURNING requested`),
    // A cancel is never weakened into a pause; a request already stored changes nothing (no second event).
    requestRun: write(`UPDATE runs SET requested = CASE WHEN requested = 'cancel' THEN 'cancel' ELSE @request END
      WHERE id = @id AND status = 'running' AND requested IS NOT @request`),
    insertStep: write(`INSERT INTO steps (run_id, asset_key, partition, seq, status)
      VALUES (@runId, @assetKey, @partition, @seq, 'queued')`),
    countStep: write(`UPDATE runs SET step_count = step_count + 1 WHERE id = @runId`),
    // started_at keeps the first start across retries; error and reason describe the new
    // status, so an update without them clears the old ones; attempt and duration carry over.
    updateStep: write(`UPDATE steps SET
        status = @status,
        attempt = COALESCE(@attempt, attempt),
        started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, @at) ELSE started_at END,
        finished_at = CASE WHEN @final = 1 THEN @at ELSE NULL END,
        duration_ms = CASE WHEN @hasDuration = 1 THEN @durationMs ELSE duration_ms END,
        error = @error,
        reason = @reason
      WHERE run_id = @runId AND asset_key = @assetKey AND partition = @partition`),
    // Copies the steps row, just written, into asset_state (see migration 0002).
    setLastStep: write(`INSERT INTO asset_state (asset_key, partition, step_run_id, step_status, step_attempt,
        step_started_at, step_finished_at, step_duration_ms, step_error, step_reason)
      SELECT asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason FROM steps
      WHERE run_id = @runId AND asset_key = @assetKey AND partition = @partition
      ON CONFLICT DO UPDATE SET step_run_id = excluded.step_run_id, step_status = excluded.step_status,
        step_attempt = excluded.step_attempt, step_started_at = excluded.step_started_at,
        step_finished_at = excluded.step_finished_at, step_duration_ms = excluded.step_duration_ms,
        step_error = excluded.step_error, step_reason = excluded.step_reason`),
    insertMaterialization: write(`INSERT INTO materializations (asset_key, partition, run_id, code_version, data_version,
        input_versions, row_count, columns, duration_ms, created_at)
      VALUES (@assetKey, @partition, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @columns, @durationMs, @createdAt)`),
    // Copies the materialization, just inserted, into asset_state (see migration 0002).
    setLastMaterialization: write(`INSERT INTO asset_state (asset_key, partition, materialization_id, materialization_run_id,
        code_version, data_version, input_versions, row_count, materialization_duration_ms, materialized_at)
      VALUES (@assetKey, @partition, @id, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @durationMs, @createdAt)
      ON CONFLICT DO UPDATE SET materialization_id = excluded.materialization_id,
        materialization_run_id = excluded.materialization_run_id, code_version = excluded.code_version,
        data_version = excluded.data_version, input_versions = excluded.input_versions, row_count = excluded.row_count,
        materialization_duration_ms = excluded.materialization_duration_ms, materialized_at = excluded.materialized_at`),
    insertCheckResult: write(`INSERT INTO check_results (asset_key, partition, run_id, check_name, check_type, severity,
        blocking, passed, failing_rows, sample, message, created_at)
      VALUES (@assetKey, @partition, @runId, @checkName, @checkType, @severity, @blocking, @passed, @failingRows, @sample, @message, @createdAt)`),
    setLastChecks: write(`INSERT INTO asset_state (asset_key, partition, checks) VALUES (@assetKey, @partition, @checks)
      ON CONFLICT DO UPDATE SET checks = excluded.checks`),
    // History keeps changes, not looks: a poll that sees what the newest look saw adds no row,
    // so a daily source keeps its daily history however often status is asked (prediction reads it).
    insertObservation: write(`INSERT INTO observations (${OBSERVATION_COLUMNS}) SELECT ${OBSERVATION_VALUES}
      WHERE NOT EXISTS (SELECT 1 FROM source_state s WHERE s.source_key = @sourceKey AND s.source_exists = @exists
        AND s.last_updated IS @lastUpdated AND s.data_version IS @dataVersion AND s.schema_fingerprint IS @schemaFingerprint)`),
    // Observations may arrive out of order from several processes; the newest look wins.
    setSourceState: write(`INSERT INTO source_state (${OBSERVATION_COLUMNS}) VALUES (${OBSERVATION_VALUES})
      ON CONFLICT DO UPDATE SET observed_at = excluded.observed_at, source_exists = excluded.source_exists,
        last_updated = excluded.last_updated, data_version = excluded.data_version, row_count = excluded.row_count,
        schema_fingerprint = excluded.schema_fingerprint, columns = excluded.columns
      WHERE excluded.observed_at >= source_state.observed_at`),
    insertLog: write(`INSERT INTO logs (run_id, asset_key, partition, level, message, at, attempt, stream, truncated)
      VALUES (@runId, @assetKey, @partition, @level, @message, @at, @attempt, @stream, @truncated)`),
    logBudget: read<{ lines: number; bytes: number; markerId: number | null }>(`SELECT lines, bytes, marker_id AS markerId FROM log_budgets
      WHERE run_id = @runId AND asset_key = @assetKey AND partition = @partition AND attempt = @attempt`),
    setLogBudget: write(`INSERT INTO log_budgets (run_id, asset_key, partition, attempt, lines, bytes, marker_id)
      VALUES (@runId, @assetKey, @partition, @attempt, @lines, @bytes, @markerId)
      ON CONFLICT DO UPDATE SET lines = excluded.lines, bytes = excluded.bytes, marker_id = excluded.marker_id`),
    countTruncated: read<{ truncated: number }>(`UPDATE logs SET truncated = truncated + 1 WHERE id = @id RETURNING truncated`),
    setLogMessage: write(`UPDATE logs SET message = @message WHERE id = @id`),

    getRun: read<RunRow>(`SELECT * FROM runs WHERE id = @id`),
    // rowid breaks ties between runs started in the same millisecond: later insert, newer run.
    listRuns: read<RunRow>(`SELECT * FROM runs WHERE (@status IS NULL OR status = @status)
      AND (@trigger IS NULL OR trigger = @trigger) AND (@selection IS NULL OR selection = @selection)
      ORDER BY started_at DESC, rowid DESC LIMIT @limit`),
    listActiveRuns: read<RunRow>(`SELECT * FROM runs WHERE status = 'running' ORDER BY started_at, rowid`),
    listSteps: read<StepRow>(`SELECT * FROM steps WHERE run_id = @runId ORDER BY seq`),
    stepCounts: read<{ assetKey: string; status: StepStatus; count: number; first: number }>(`SELECT asset_key AS assetKey, status, count(*) AS count, min(seq) AS first
      FROM steps WHERE run_id = @runId GROUP BY asset_key, status ORDER BY first`),
    listLogs: read<LogRow>(`SELECT * FROM logs WHERE run_id = @runId AND (@assetKey IS NULL OR asset_key = @assetKey)
      ORDER BY at, id`),
    // @partition NULL: every partition; '' the unpartitioned states only.
    assetStates: read<AssetStateTuple>(`${ASSET_STATE_SELECT}
      WHERE @partition IS NULL OR s.partition = @partition ORDER BY s.asset_key, s.partition`).raw(true),
    assetStatesOf: read<AssetStateTuple>(`${ASSET_STATE_SELECT}
      WHERE s.asset_key IN (SELECT value FROM json_each(@keys)) AND (@partition IS NULL OR s.partition = @partition)
      ORDER BY s.asset_key, s.partition`).raw(true),
    assetStateSummaries: read<AssetStateSummaryTuple>(`${ASSET_STATE_SUMMARY_SELECT} WHERE @partition IS NULL OR partition = @partition
      ORDER BY asset_key, partition`).raw(true),
    assetStateSummariesOf: read<AssetStateSummaryTuple>(`${ASSET_STATE_SUMMARY_SELECT}
      WHERE asset_key IN (SELECT value FROM json_each(@keys)) AND (@partition IS NULL OR partition = @partition)
      ORDER BY asset_key, partition`).raw(true),
    listMaterializations: read<MaterializationRow>(`SELECT * FROM materializations WHERE asset_key = @assetKey
      ORDER BY id DESC LIMIT @limit`),
    listMaterializationsOfPartition: read<MaterializationRow>(`SELECT * FROM materializations
      WHERE asset_key = @assetKey AND partition = @partition ORDER BY id DESC LIMIT @limit`),
    listCheckResults: read<CheckResultRow>(`SELECT * FROM check_results WHERE asset_key = @assetKey
      ORDER BY id DESC LIMIT @limit`),
    latestObservations: read<ObservationRow>(`SELECT * FROM source_state ORDER BY source_key`),
    latestObservationsOf: read<ObservationRow>(`SELECT * FROM source_state
      WHERE source_key IN (SELECT value FROM json_each(@keys)) ORDER BY source_key`),
    listObservations: read<ObservationRow>(`SELECT * FROM observations WHERE source_key = @sourceKey
      ORDER BY observed_at DESC, id DESC LIMIT @limit`),
    listEvents: read<EventRow>(`SELECT * FROM events WHERE id > @afterId ORDER BY id LIMIT @limit`),
    listEventsOfRun: read<EventRow>(`SELECT * FROM events WHERE run_id = @runId AND id > @afterId ORDER BY id LIMIT @limit`),
    lastEventId: read<{ id: number }>(`SELECT coalesce(max(id), 0) AS id FROM events`),
    pruneEvents: write(`DELETE FROM events WHERE at < @before`),

    // One statement, so taking a free or expired lease cannot race with another taker.
    acquireLease: write(`INSERT INTO leases (asset_key, partition, holder, expires_at)
      VALUES (@assetKey, @partition, @holder, @expiresAt)
      ON CONFLICT DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.expires_at <= @now OR leases.holder = excluded.holder`),
    lastMaterializationId: read<{ id: number | null }>(`SELECT materialization_id AS id FROM asset_state WHERE asset_key = @assetKey AND partition = @partition`),
    leaseHolder: read<{ holder: string }>(`SELECT holder FROM leases WHERE asset_key = @assetKey AND partition = @partition`),
    renewLeases: write(`UPDATE leases SET expires_at = @expiresAt WHERE holder = @holder`),
    releaseLease: write(`DELETE FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @holder`),
    releaseLeasesOf: write(`DELETE FROM leases WHERE holder = @holder`),
  }
}

/** The prepared statements of one store. */
export type Statements = ReturnType<typeof prepareStatements>
