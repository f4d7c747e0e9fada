import type { QueryResultRow } from 'pg'
import type { CheckResultRow, EventRow, LogRow, MaterializationRow, ObservationRow, RunRow, StepRow } from '../sqlite/row-mappers.js'
import type { RunRequest, StepStatus } from '../records.js'
import { ASSET_STATE_SELECT, ASSET_STATE_SUMMARY_SELECT, type AssetStateSummaryTuple, type AssetStateTuple } from '../sqlite/asset-state-rows.js'
import type { Client, Pool } from './open-pool.js'

type Params = Record<string, string | number | null | readonly (string | number | null)[]>

/** One statement with named parameters (`@name`, as the SQLite store writes them), prepared once per connection. */
export class Statement<R extends QueryResultRow = QueryResultRow> {
  private readonly text: string
  private readonly names: string[] = []

  constructor(private readonly name: string, sql: string, private readonly rowMode?: 'array') {
    const index = new Map<string, number>()
    this.text = sql.replace(/@(\w+)/g, (_, param: string) => {
      if (!index.has(param)) index.set(param, this.names.push(param))
      return `$${index.get(param)}`
    })
  }

  private values(params: Params): unknown[] {
    return this.names.map((name) => {
      if (!(name in params)) throw new Error(`statement ${this.name}: no value for @${name}`)
      return params[name]
    })
  }

  /** Runs it on `on` (a pool, or the client of a transaction); every named parameter must be given. */
  async run(on: Pool | Client, params: Params = {}): Promise<{ rows: R[]; rowCount: number }> {
    const values = this.values(params)
    const result = await on.query<R>({ name: `trb_${this.name}`, text: this.text, values, ...(this.rowMode ? { rowMode: this.rowMode } : {}) })
    return { rows: result.rows, rowCount: result.rowCount ?? 0 }
  }

  /** The statement as a query of `params`, to send later (see gatherAtEnd). */
  bind(params: Params = {}): { name: string; text: string; values: unknown[] } {
    return { name: `trb_${this.name}`, text: this.text, values: this.values(params) }
  }

  /** The first row, if any. */
  async get(on: Pool | Client, params: Params = {}): Promise<R | undefined> {
    return (await this.run(on, params)).rows[0]
  }

  /** Every row. */
  async all(on: Pool | Client, params: Params = {}): Promise<R[]> {
    return (await this.run(on, params)).rows
  }
}

const OBSERVATION_COLUMNS = `source_key, observed_at, source_exists, last_updated, data_version, row_count, schema_fingerprint, columns`
const OBSERVATION_VALUES = `@sourceKey, @observedAt::bigint, @exists::integer, @lastUpdated::bigint, @dataVersion::text, @rowCount::bigint, @schemaFingerprint::text, @columns::text`

/**
 * A step's update (rowCount 0: no such step), as the body of a CTE named `step`; `gate` is SQL
 * appended to its WHERE (` AND EXISTS (…)`) when it must hold for the step to change. started_at
 * keeps the first start across retries; error and reason describe the new status, so an update
 * without them clears the old ones; attempt and duration carry over.
 */
export function stepUpdate(gate = ''): string {
  return `UPDATE steps SET
        status = @status::text,
        attempt = COALESCE(@attempt::integer, attempt),
        started_at = CASE WHEN @status::text = 'running' THEN COALESCE(started_at, @at::bigint) ELSE started_at END,
        finished_at = CASE WHEN @final::integer = 1 THEN @at::bigint ELSE NULL END,
        duration_ms = CASE WHEN @hasDuration::integer = 1 THEN @durationMs::bigint ELSE duration_ms END,
        error = @error::text,
        reason = @reason::text
      WHERE run_id = @runId AND asset_key = @assetKey AND partition = @partition${gate}
      RETURNING asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason`
}

/** asset_state's copy of its asset's last step: the columns, and their update on conflict. */
export const STEP_STATE_COLUMNS = `step_run_id, step_status, step_attempt, step_started_at, step_finished_at, step_duration_ms, step_error, step_reason`
export const STEP_STATE_SET = `step_run_id = excluded.step_run_id, step_status = excluded.step_status,
        step_attempt = excluded.step_attempt, step_started_at = excluded.step_started_at,
        step_finished_at = excluded.step_finished_at, step_duration_ms = excluded.step_duration_ms,
        step_error = excluded.step_error, step_reason = excluded.step_reason`

/** The step's copy in its asset's state, from the CTE `step` (see stepUpdate). */
export const STEP_STATE = `INSERT INTO asset_state (asset_key, partition, ${STEP_STATE_COLUMNS})
      SELECT asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason FROM step
      ON CONFLICT (asset_key, partition) DO UPDATE SET ${STEP_STATE_SET}`

/** Every statement of the store, the SQLite store's in PostgreSQL's dialect (casts where a parameter's type cannot be inferred). */
export function prepareStatements() {
  const s = <R extends QueryResultRow = QueryResultRow>(name: string, sql: string) => new Statement<R>(name, sql)
  // Asset states are read as arrays, as the SQLite store reads them, so both share one row mapper.
  const tuples = <T>(name: string, sql: string) => new Statement(name, sql, 'array') as unknown as Statement<T & QueryResultRow>
  return {
    // @partition NULL: every partition; '' the unpartitioned states only.
    assetStates: tuples<AssetStateTuple>('asset_states', `${ASSET_STATE_SELECT}
      WHERE @partition::text IS NULL OR s.partition = @partition::text ORDER BY s.asset_key, s.partition`),
    assetStatesOf: tuples<AssetStateTuple>('asset_states_of', `${ASSET_STATE_SELECT}
      WHERE s.asset_key = ANY(@keys::text[]) AND (@partition::text IS NULL OR s.partition = @partition::text)
      ORDER BY s.asset_key, s.partition`),
    assetStateSummaries: tuples<AssetStateSummaryTuple>('asset_state_summaries', `${ASSET_STATE_SUMMARY_SELECT}
      WHERE @partition::text IS NULL OR partition = @partition::text ORDER BY asset_key, partition`),
    assetStateSummariesOf: tuples<AssetStateSummaryTuple>('asset_state_summaries_of', `${ASSET_STATE_SUMMARY_SELECT}
      WHERE asset_key = ANY(@keys::text[]) AND (@partition::text IS NULL OR partition = @partition::text)
      ORDER BY asset_key, partition`),
    insertRun: s('insert_run', `INSERT INTO runs (id, status, selection, trigger, pid, host, started_at, heartbeat_at, step_count, continues)
      VALUES (@id, 'running', @selection, @trigger, @pid, @host, @startedAt, @startedAt, @stepCount, @continues)`),
    continuedBy: s<{ id: string }>('continued_by', `SELECT id FROM runs WHERE continues = @continues`),
    finishRun: s('finish_run', `UPDATE runs SET status = @status, finished_at = @at, error = @error, requested = NULL WHERE id = @id`),
    heartbeat: s<{ requested: RunRequest | null }>('heartbeat', `UPDATE runs SET heartbeat_at = @at WHERE id = @id RETURNING requested`),
    // A cancel is never weakened into a pause; a request already stored changes nothing (no second event).
    requestRun: s('request_run', `UPDATE runs SET requested = CASE WHEN requested = 'cancel' THEN 'cancel' ELSE @request::text END
      WHERE id = @id AND status = 'running' AND requested IS DISTINCT FROM @request::text`),
    insertSteps: s('insert_steps', `INSERT INTO steps (run_id, asset_key, partition, seq, status)
      SELECT @runId::text, k, p, ord - 1 + @firstSeq::integer, 'queued' FROM unnest(@assetKeys::text[], @partitions::text[]) WITH ORDINALITY AS t (k, p, ord)`),
    setLastSteps: s('set_last_steps', `INSERT INTO asset_state (asset_key, partition, step_run_id, step_status, step_attempt,
        step_started_at, step_finished_at, step_duration_ms, step_error, step_reason)
      SELECT asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason FROM steps
      WHERE run_id = @runId ORDER BY asset_key, partition
      ON CONFLICT (asset_key, partition) DO UPDATE SET step_run_id = excluded.step_run_id, step_status = excluded.step_status,
        step_attempt = excluded.step_attempt, step_started_at = excluded.step_started_at,
        step_finished_at = excluded.step_finished_at, step_duration_ms = excluded.step_duration_ms,
        step_error = excluded.step_error, step_reason = excluded.step_reason`),
    insertStep: s('insert_step', `INSERT INTO steps (run_id, asset_key, partition, seq, status)
      VALUES (@runId, @assetKey, @partition, @seq, 'queued')`),
    countStep: s('count_step', `UPDATE runs SET step_count = step_count + 1 WHERE id = @runId`),
    // One statement for the step and its asset's last step (rowCount 0: no such step). started_at
    // keeps the first start across retries; error and reason describe the new status, so an update
    // without them clears the old ones; attempt and duration carry over.
    updateStep: s('update_step', `WITH step AS (${stepUpdate()})
      ${STEP_STATE}`),
    // The run's row, locked: a step the plan did not list takes the next seq.
    lockRun: s<{ step_count: number }>('lock_run', `SELECT step_count FROM runs WHERE id = @id FOR UPDATE`),
    // One statement for the materialization and its asset's last materialization.
    insertMaterialization: s<{ id: number }>('insert_materialization', `WITH m AS (INSERT INTO materializations (asset_key, partition, run_id, code_version, data_version,
        input_versions, row_count, columns, duration_ms, created_at)
      VALUES (@assetKey, @partition, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @columns, @durationMs, @createdAt) RETURNING id)
      INSERT INTO asset_state (asset_key, partition, materialization_id, materialization_run_id, code_version,
        data_version, input_versions, row_count, materialization_duration_ms, materialized_at)
      SELECT @assetKey, @partition, m.id, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @durationMs, @createdAt FROM m
      ON CONFLICT (asset_key, partition) DO UPDATE SET materialization_id = excluded.materialization_id,
        materialization_run_id = excluded.materialization_run_id, code_version = excluded.code_version,
        data_version = excluded.data_version, input_versions = excluded.input_versions, row_count = excluded.row_count,
        materialization_duration_ms = excluded.materialization_duration_ms, materialized_at = excluded.materialized_at
      RETURNING materialization_id AS id`),
    // The same, and its event, appended under the write lock (@lockKey) once the row has its id
    // (the payload is @payload, a JSON object, with the id added): a completion in one round trip.
    insertMaterializationLogged: s<{ id: number }>('insert_materialization_logged', `WITH m AS (INSERT INTO materializations (asset_key, partition, run_id, code_version, data_version,
        input_versions, row_count, columns, duration_ms, created_at)
      VALUES (@assetKey, @partition, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @columns, @durationMs, @createdAt) RETURNING id)
      , s AS (INSERT INTO asset_state (asset_key, partition, materialization_id, materialization_run_id, code_version,
        data_version, input_versions, row_count, materialization_duration_ms, materialized_at)
      SELECT @assetKey, @partition, m.id, @runId, @codeVersion, @dataVersion, @inputVersions, @rowCount, @durationMs, @createdAt FROM m
      ON CONFLICT (asset_key, partition) DO UPDATE SET materialization_id = excluded.materialization_id,
        materialization_run_id = excluded.materialization_run_id, code_version = excluded.code_version,
        data_version = excluded.data_version, input_versions = excluded.input_versions, row_count = excluded.row_count,
        materialization_duration_ms = excluded.materialization_duration_ms, materialized_at = excluded.materialized_at),
      l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM m),
      e AS (INSERT INTO events (type, at, run_id, asset_key, partition, payload)
        SELECT 'materialization', @createdAt, @runId, @assetKey, @partition, left(@payload::text, -1) || ',"id":' || m.id || '}' FROM m, l)
      SELECT id FROM m`),
    insertCheckResult: s<{ id: number }>('insert_check_result', `INSERT INTO check_results (asset_key, partition, run_id, check_name, check_type, severity,
        blocking, passed, failing_rows, sample, message, created_at)
      VALUES (@assetKey, @partition, @runId, @checkName, @checkType, @severity, @blocking, @passed, @failingRows, @sample, @message, @createdAt)
      RETURNING id`),
    setLastChecks: s('set_last_checks', `INSERT INTO asset_state (asset_key, partition, checks) VALUES (@assetKey, @partition, @checks)
      ON CONFLICT (asset_key, partition) DO UPDATE SET checks = excluded.checks`),
    // History keeps changes, not looks: a poll that sees what the newest look saw adds no row.
    insertObservation: s('insert_observation', `INSERT INTO observations (${OBSERVATION_COLUMNS}) SELECT ${OBSERVATION_VALUES}
      WHERE NOT EXISTS (SELECT 1 FROM source_state s WHERE s.source_key = @sourceKey AND s.source_exists = @exists::integer
        AND s.last_updated IS NOT DISTINCT FROM @lastUpdated::bigint AND s.data_version IS NOT DISTINCT FROM @dataVersion::text
        AND s.schema_fingerprint IS NOT DISTINCT FROM @schemaFingerprint::text)`),
    // Observations may arrive out of order from several processes; the newest look wins.
    setSourceState: s('set_source_state', `INSERT INTO source_state (${OBSERVATION_COLUMNS}) VALUES (${OBSERVATION_VALUES})
      ON CONFLICT (source_key) DO UPDATE SET observed_at = excluded.observed_at, source_exists = excluded.source_exists,
        last_updated = excluded.last_updated, data_version = excluded.data_version, row_count = excluded.row_count,
        schema_fingerprint = excluded.schema_fingerprint, columns = excluded.columns
      WHERE excluded.observed_at >= source_state.observed_at`),
    insertLog: s<{ id: number }>('insert_log', `INSERT INTO logs (run_id, asset_key, partition, level, message, at, attempt, stream, truncated)
      VALUES (@runId, @assetKey, @partition, @level, @message, @at, @attempt, @stream, @truncated) RETURNING id`),
    logBudget: s<{ lines: number; bytes: number; markerId: number | null }>('log_budget', `SELECT lines, bytes, marker_id AS "markerId" FROM log_budgets
      WHERE run_id = @runId AND asset_key = @assetKey AND partition = @partition AND attempt = @attempt`),
    setLogBudget: s('set_log_budget', `INSERT INTO log_budgets (run_id, asset_key, partition, attempt, lines, bytes, marker_id)
      VALUES (@runId, @assetKey, @partition, @attempt, @lines, @bytes, @markerId)
      ON CONFLICT (run_id, asset_key, partition, attempt) DO UPDATE SET lines = excluded.lines, bytes = excluded.bytes, marker_id = excluded.marker_id`),
    countTruncated: s<{ truncated: number }>('count_truncated', `UPDATE logs SET truncated = truncated + 1 WHERE id = @id RETURNING truncated`),
    setLogMessage: s('set_log_message', `UPDATE logs SET message = @message WHERE id = @id`),

    getRun: s<RunRow>('get_run', `SELECT * FROM runs WHERE id = @id`),
    // seq breaks ties between runs started in the same millisecond: later insert, newer run.
    listRuns: s<RunRow>('list_runs', `SELECT * FROM runs WHERE (@status::text IS NULL OR status = @status::text)
      AND (@trigger::text IS NULL OR trigger = @trigger::text) AND (@selection::text IS NULL OR selection = @selection::text)
      ORDER BY started_at DESC, seq DESC LIMIT @limit`),
    listActiveRuns: s<RunRow>('list_active_runs', `SELECT * FROM runs WHERE status = 'running' ORDER BY started_at, seq`),
    listSteps: s<StepRow>('list_steps', `SELECT * FROM steps WHERE run_id = @runId ORDER BY seq`),
    stepCounts: s<{ assetKey: string; status: StepStatus; count: number; first: number }>('step_counts', `SELECT asset_key AS "assetKey", status,
        count(*)::integer AS count, min(seq) AS first
      FROM steps WHERE run_id = @runId GROUP BY asset_key, status ORDER BY first`),
    listLogs: s<LogRow>('list_logs', `SELECT * FROM logs WHERE run_id = @runId AND (@assetKey::text IS NULL OR asset_key = @assetKey::text)
      ORDER BY at, id`),
    listMaterializations: s<MaterializationRow>('list_materializations', `SELECT * FROM materializations WHERE asset_key = @assetKey
      ORDER BY id DESC LIMIT @limit`),
    listMaterializationsOfPartition: s<MaterializationRow>('list_materializations_of_partition', `SELECT * FROM materializations
      WHERE asset_key = @assetKey AND partition = @partition ORDER BY id DESC LIMIT @limit`),
    listCheckResults: s<CheckResultRow>('list_check_results', `SELECT * FROM check_results WHERE asset_key = @assetKey
      ORDER BY id DESC LIMIT @limit`),
    latestObservations: s<ObservationRow>('latest_observations', `SELECT * FROM source_state ORDER BY source_key`),
    latestObservationsOf: s<ObservationRow>('latest_observations_of', `SELECT * FROM source_state
      WHERE source_key = ANY(@keys::text[]) ORDER BY source_key`),
    listObservations: s<ObservationRow>('list_observations', `SELECT * FROM observations WHERE source_key = @sourceKey
      ORDER BY observed_at DESC, id DESC LIMIT @limit`),
    listEvents: s<EventRow>('list_events', `SELECT * FROM events WHERE id > @afterId ORDER BY id LIMIT @limit`),
    listEventsOfRun: s<EventRow>('list_events_of_run', `SELECT * FROM events WHERE run_id = @runId AND id > @afterId ORDER BY id LIMIT @limit`),
    lastEventId: s<{ id: number }>('last_event_id', `SELECT coalesce(max(id), 0) AS id FROM events`),
    pruneEvents: s('prune_events', `DELETE FROM events WHERE at < @before`),

    // One statement, so taking a free or expired lease cannot race with another taker. It says
    // whether it took it, and otherwise who held it as the statement began (null: a taker that
    // committed meanwhile; read leaseHolder).
    acquireLease: s<{ acquired: number; holder: string | null }>('acquire_lease', `WITH taken AS (INSERT INTO leases (asset_key, partition, holder, expires_at)
      VALUES (@assetKey, @partition, @holder, @expiresAt)
      ON CONFLICT (asset_key, partition) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.expires_at <= @now OR leases.holder = excluded.holder
      RETURNING holder)
      SELECT (SELECT count(*) FROM taken)::integer AS acquired,
        coalesce((SELECT holder FROM taken), (SELECT holder FROM leases WHERE asset_key = @assetKey AND partition = @partition)) AS holder`),
    lastMaterializationId: s<{ id: number | null }>('last_materialization_id', `SELECT materialization_id AS id FROM asset_state WHERE asset_key = @assetKey AND partition = @partition`),
    leaseHolder: s<{ holder: string }>('lease_holder', `SELECT holder FROM leases WHERE asset_key = @assetKey AND partition = @partition`),
    // A lease another write holds (a worker's completion releasing it) is skipped, not waited for:
    // renewing locks many rows in no set order, and waiting could deadlock with a batch of releases.
    renewLeases: s('renew_leases', `UPDATE leases SET expires_at = @expiresAt WHERE (asset_key, partition) IN (
      SELECT asset_key, partition FROM leases WHERE holder = @holder FOR UPDATE SKIP LOCKED)`),
    releaseLease: s('release_lease', `DELETE FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @holder`),
    releaseLeasesOf: s('release_leases_of', `DELETE FROM leases WHERE holder = @holder`),
  }
}

/** The statements of one store. */
export type Statements = ReturnType<typeof prepareStatements>
