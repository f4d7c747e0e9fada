import { Statement, STEP_STATE, STEP_STATE_COLUMNS, STEP_STATE_SET, stepUpdate } from './statements.js'

// The fleet's statements: a claim, an enqueue and a completion, each one statement. Each comes in
// two forms. Alone in its transaction it appends its events itself, under the write lock taken
// after its own row locks (`logged`). Sharing a transaction with other writes (a batch) it must not:
// the lock, taken by the first, would then come before the next writes' row locks, against the lock
// order every writer keeps (row locks first, the write lock last). There it only writes rows, and
// the caller queues the events (and the attempt's end) for the transaction's end (see
// write-transaction.ts).

// In the error of ADD_JOBS when a job was not added (a failing cast: plain SQL has no RAISE; of a
// value, so that it is not folded into a constant when the statement is planned).
const JOB_NOT_ADDED = 'tributary: a job was not added'

/** Notified with each attempt's end, so the control plane reads ends when there are some (not on every event). */
export const ENDS_CHANNEL = 'tributary_step_ends'

// Database time in ms: liveness is judged by one clock, never by the workers' machines'.
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`

const STEP_KEY = `run_id = @runId AND asset_key = @assetKey AND partition = @partition`

// The step's event, appended under the write lock (@lockKey) once the step and its asset's state
// changed: event ids become visible in id order (see inWriteTransaction). The lock is taken after
// every row lock of the statement (`state` is read to run it first) and held to the commit.
const STEP_EVENT = `l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM step, (SELECT count(*) FROM state) AS written),
  e AS (INSERT INTO events (type, at, run_id, asset_key, partition, payload)
    SELECT @eventType::text, @at::bigint, @runId, @assetKey, @partition, @payload::text FROM step, l)`

/**
 * A claim: the step's row is locked (a writer ending it meanwhile, recovery settling a dead run, is
 * waited for and its end seen), then the fence is taken when the attempt is still the job's and
 * the step has not ended; only then the step is recorded running (with its event, `logged`). No
 * row: not claimed.
 */
function claimStep(logged: boolean) {
  return new Statement<{ fence: number | string }>(logged ? 'claim_step' : 'claim_step_batched', `WITH live AS (
    SELECT 1 FROM steps WHERE ${STEP_KEY} AND status NOT IN ('succeeded', 'failed', 'blocked', 'skipped', 'canceled') FOR UPDATE),
  claimed AS (UPDATE step_claims c SET fence = nextval('step_fences'), worker_id = @workerId::text, job_id = @jobId::bigint, claimed_at = ${NOW_MS}, kept_job = NULL
    WHERE ${STEP_KEY} AND c.attempt = @attempt::integer AND c.outcome IS NULL AND EXISTS (SELECT 1 FROM live)
    RETURNING c.fence),
  step AS (${stepUpdate(' AND EXISTS (SELECT 1 FROM claimed)')}),
  state AS (${STEP_STATE} RETURNING 1)${logged ? `,
  ${STEP_EVENT}` : ''}
  SELECT fence FROM claimed${logged ? '' : ', (SELECT count(*) FROM state) AS written'}`)
}

/**
 * An enqueue, gated: when @holder is given, only if it holds the step's lease (taken by the
 * statement before, in the same transaction) and, when @checkStale, only if @lastMaterializationId
 * is still the asset-partition's latest (`fresh` false otherwise: nothing written). The step's row
 * is locked first, as every writer of a step and its claim locks them; then the claim is reset for
 * the new attempt (ends of the one before no longer count, and only a claim of this one gets a
 * fence), the job added (once per row of `claim`: a function in the select list runs per row, whatever the
 * plan; its job key: a later attempt replaces a job no worker took yet), and the
 * step recorded waiting (with its event, `logged`). Sharing a transaction, the job is the caller's to
 * add, with those of the other enqueues, by ADD_JOBS at the transaction's end (`enqueued` says whether).
 * @ifQueued: only while the step is queued, as its row reads once locked (a worker's hand-off that
 * committed meanwhile shows); `taken` says it was not.
 */
function enqueueStep(logged: boolean) {
  return new Statement<{ enqueued: number; fresh: boolean; taken: number }>(logged ? 'enqueue_step' : 'enqueue_step_batched', `WITH go AS (
    SELECT (@holder::text IS NULL OR EXISTS (SELECT 1 FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @holder::text)) AS leased,
      (@checkStale::integer = 0 OR (SELECT materialization_id FROM asset_state WHERE asset_key = @assetKey AND partition = @partition) IS NOT DISTINCT FROM @lastMaterializationId::bigint) AS fresh),
  s AS (SELECT status FROM steps WHERE ${STEP_KEY} AND (SELECT leased AND fresh FROM go) FOR UPDATE),
  claim AS (INSERT INTO step_claims (run_id, asset_key, partition, attempt, fence) SELECT @runId, @assetKey, @partition, @attempt::integer, 0 FROM s
    WHERE @ifQueued::integer = 0 OR s.status = 'queued'
    ON CONFLICT (run_id, asset_key, partition) DO UPDATE SET attempt = excluded.attempt, fence = 0, worker_id = NULL, job_id = NULL, outcome = NULL, ended_seq = NULL, kept_job = NULL
    RETURNING 1),
  job AS (${logged ? `SELECT (graphile_worker.add_jobs(ARRAY[ROW(@task::text, @job::json, NULL, NULL, 25, @jobKey::text, NULL, @flags::text[])::graphile_worker.job_spec], false)).id FROM claim` : 'SELECT 1 FROM claim'}),
  step AS (${stepUpdate(' AND EXISTS (SELECT 1 FROM job)')}),
  state AS (${STEP_STATE} RETURNING 1)${logged ? `,
  ${STEP_EVENT}` : ''}
  SELECT (SELECT count(*) FROM job)::integer AS enqueued, (SELECT fresh FROM go) AS fresh, (SELECT count(*) FROM state) AS written,
    (SELECT count(*) FROM s WHERE @ifQueued::integer = 1 AND s.status <> 'queued')::integer AS taken`)
}

// asset_state's copy of its asset's last materialization.
const MATERIALIZATION_STATE = ['materialization_id', 'materialization_run_id', 'code_version', 'data_version', 'input_versions', 'row_count', 'materialization_duration_ms', 'materialized_at']

/** A completion's result: `ok` 0 when nothing was written (the fence is no longer the step's: `fence` is, `ended` whether its attempt ended). */
export interface CompletionRow {
  readonly id: number | string | null
  readonly ok: number
  readonly fence: number | string | null
  readonly ended: boolean | null
}

/**
 * A completion. The step's row is locked, then its claim's (the order of a claim), and only while
 * `@fence` is the claim's and it has not ended: the materialization (if any), the step's final
 * record, the asset's state (its last step and materialization in one write), the run's lease on
 * the asset-partition released; `logged`, also their events in the order of the work and the
 * attempt's end (as ATTEMPT_ENDS records it), numbered under the write lock and told on ENDS_CHANNEL.
 * `handOff`: the offered step's hand-off too (see handOffCtes), its enqueue said in the end
 * (`handedOff`) and its event appended after the step's; 'keep', claimed for the worker too (its
 * fence returned as `kept_fence`). Not logged (sharing a transaction), `handed` says whether: the
 * caller queues its events and the end that names it.
 */
function completeStep(logged: boolean, handOff: 'none' | 'enqueue' | 'keep' = 'none') {
  const name = `${handOff === 'keep' ? 'complete_step_keep' : handOff === 'enqueue' ? 'complete_step_hand_off' : 'complete_step'}${logged ? '' : '_batched'}`
  return new Statement<CompletionRow & { kept_fence?: number | string | null; handed?: number }>(name, `WITH s AS (
    SELECT 1 FROM steps WHERE ${STEP_KEY} FOR UPDATE),
  c AS (SELECT fence, outcome FROM step_claims WHERE ${STEP_KEY} AND (SELECT count(*) FROM s) >= 0 FOR UPDATE),
  ok AS (SELECT 1 FROM c WHERE c.fence = @fence::bigint AND c.outcome IS NULL),
  m AS (INSERT INTO materializations (asset_key, partition, run_id, code_version, data_version, input_versions, row_count, columns, duration_ms, created_at)
    SELECT @assetKey, @partition, @runId, @codeVersion::text, @dataVersion::text, @inputVersions::text, @rowCount::bigint, @columns::text, @materializationMs::bigint, @createdAt::bigint
    WHERE @materialized::integer = 1 AND EXISTS (SELECT 1 FROM ok)
    RETURNING id, run_id, code_version, data_version, input_versions, row_count, duration_ms, created_at),
  step AS (${stepUpdate(' AND EXISTS (SELECT 1 FROM ok)')}),
  state AS (INSERT INTO asset_state (asset_key, partition, ${STEP_STATE_COLUMNS}, ${MATERIALIZATION_STATE.join(', ')})
    SELECT step.asset_key, step.partition, step.run_id, step.status, step.attempt, step.started_at, step.finished_at, step.duration_ms, step.error, step.reason,
      m.id, m.run_id, m.code_version, m.data_version, m.input_versions, m.row_count, m.duration_ms, m.created_at
    FROM step LEFT JOIN m ON true
    ON CONFLICT (asset_key, partition) DO UPDATE SET ${STEP_STATE_SET},
      ${MATERIALIZATION_STATE.map((column) => `${column} = CASE WHEN excluded.materialization_id IS NULL THEN asset_state.${column} ELSE excluded.${column} END`).join(', ')}
    RETURNING 1),
  released AS (DELETE FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @runId AND EXISTS (SELECT 1 FROM ok) RETURNING expires_at)${handOff !== 'none' ? `,
  ${handOffCtes('released', 'EXISTS (SELECT 1 FROM m)', handOff === 'keep')}` : ''}${logged ? `,
  l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM step, (SELECT count(*) FROM state) AS written, (SELECT count(*) FROM released) AS freed${handOff !== 'none' ? ', (SELECT count(*) FROM ho_state) AS handed' : ''}),
  e AS (INSERT INTO events (type, at, run_id, asset_key, partition, payload)
    SELECT ev.type, ev.at, @runId, ev.asset_key, ev.partition, ev.payload FROM (
      SELECT 1 AS ord, 'materialization' AS type, m.created_at AS at, @assetKey::text AS asset_key, @partition::text AS partition, left(@materializationPayload::text, -1) || ',"id":' || m.id || '}' AS payload FROM m
      UNION ALL SELECT 2, @eventType::text, @at::bigint, @assetKey::text, @partition::text, @payload::text${handOff !== 'none' ? `
      UNION ALL SELECT 3, 'step_waiting', @at::bigint, @nextAssetKey::text, @nextPartition::text, @nextPayload::text FROM ho_step` : ''}${handOff === 'keep' ? `
      UNION ALL SELECT 4, 'step_running', @at::bigint, @nextAssetKey::text, @nextPartition::text, @nextRunningPayload::text FROM ho_step` : ''}) ev, l
    ORDER BY ev.ord),
  ${endedCte('EXISTS (SELECT 1 FROM l)', handOff !== 'none' ? `CASE WHEN EXISTS (SELECT 1 FROM ho_step) THEN left(@outcome::text, -1) || ',"handedOff":' || @nextRef::text || '}' ELSE @outcome::text END` : '@outcome::text')},
  told AS (${TELL_END})` : ''}
  SELECT (SELECT id FROM m) AS id, (SELECT count(*) FROM ok)::integer AS ok, (SELECT max(fence) FROM c) AS fence,
    (SELECT bool_or(outcome IS NOT NULL) FROM c) AS ended,
    ${logged ? '(SELECT count(*) FROM told)::integer AS told' : '(SELECT count(*) FROM state) + (SELECT count(*) FROM released) AS written'}${handOff !== 'none' ? `,
    (SELECT count(*) FROM ho_step)::integer AS handed` : ''}${handOff === 'keep' ? `,
    (SELECT fence FROM ho_claim) AS kept_fence` : ''}`)
}

/**
 * A downstream step's hand-off (see HandOff), as CTEs of the statement completing its upstream:
 * `lease` is that statement's CTE of the upstream's released lease (its expires_at; none when the
 * completion is refused), `gate` what else must hold (a materialization was recorded). The
 * downstream's first attempt is enqueued, as ENQUEUE_STEP does, only while the run runs with
 * nothing asked of it, the upstream's lease had not expired at the completion (@at, the worker's
 * time, against the control plane's: their clocks are taken to agree, as for any two processes
 * sharing leases; a run whose control plane died stops handing off once its leases lapse), its step is still queued (checked
 * before the lease is taken, and again under the step's row lock), the run takes its lease (free,
 * or its own already: never one another run holds, expired or not; the control plane decides
 * those), which expires when the upstream's would have (the run's heartbeat renews both alike), and, with
 * @nextUnlessRead (JSON, upstream → data version), the step last read another version of one of
 * those upstreams, or never ran: the upstream's new data version, or for a step of the backlog its
 * upstreams' versions published in the run (see HandOff.whenChanged). Its rows: `ho_step` when enqueued, `ho_state` its asset's state. `keep` (see KeepHandOff):
 * its attempt claimed for @workerId in the same statement (`ho_claim` returns the fence), recorded
 * running, and no job added: the claim keeps the job's spec (@keptJob) for REQUEUE_KEPT. Only for a
 * worker the store knows as running (registered by its heartbeat, not marked lost): REQUEUE_KEPT
 * judges a kept step by its worker's heartbeats; otherwise nothing is handed off.
 */
function handOffCtes(lease: string, gate: string, keep = false): string {
  const next = `run_id = @runId AND asset_key = @nextAssetKey AND partition = @nextPartition`
  // Kept (see KeepHandOff): claimed for @workerId at once (a new fence, recorded running), with no
  // job in the queue: its spec (@keptJob) waits in the claim, for REQUEUE_KEPT.
  const claim = keep
    ? `SELECT @runId, @nextAssetKey, @nextPartition, 1, nextval('step_fences'), @workerId::text, ${NOW_MS}, @keptJob::text FROM ho_s
    ON CONFLICT (run_id, asset_key, partition) DO UPDATE SET attempt = excluded.attempt, fence = excluded.fence, worker_id = excluded.worker_id, job_id = NULL, claimed_at = excluded.claimed_at, outcome = NULL, ended_seq = NULL, kept_job = excluded.kept_job
    RETURNING fence`
    : `SELECT @runId, @nextAssetKey, @nextPartition, 1, 0, NULL, NULL, NULL FROM ho_s
    ON CONFLICT (run_id, asset_key, partition) DO UPDATE SET attempt = excluded.attempt, fence = 0, worker_id = NULL, job_id = NULL, outcome = NULL, ended_seq = NULL, kept_job = NULL
    RETURNING 1`
  return `ho AS (SELECT expires_at FROM ${lease} WHERE @status::text = 'succeeded' AND ${gate} AND expires_at > @at::bigint
    AND EXISTS (SELECT 1 FROM runs WHERE id = @runId AND status = 'running' AND requested IS NULL)
    AND EXISTS (SELECT 1 FROM steps WHERE ${next} AND status = 'queued')${keep ? `
    AND EXISTS (SELECT 1 FROM workers WHERE id = @workerId::text AND state = 'running')` : ''}
    AND (@nextUnlessRead::text IS NULL OR NOT EXISTS (SELECT 1 FROM asset_state a WHERE a.asset_key = @nextAssetKey AND a.partition = @nextPartition
      AND NOT EXISTS (SELECT 1 FROM json_each_text(@nextUnlessRead::json) AS r (upstream, version) WHERE (a.input_versions::jsonb ->> r.upstream) IS DISTINCT FROM r.version)))),
  ho_lease AS (INSERT INTO leases (asset_key, partition, holder, expires_at) SELECT @nextAssetKey, @nextPartition, @runId, expires_at FROM ho
    ON CONFLICT (asset_key, partition) DO UPDATE SET expires_at = excluded.expires_at WHERE leases.holder = excluded.holder
    RETURNING 1),
  ho_s AS (SELECT 1 FROM steps WHERE ${next} AND status = 'queued' AND EXISTS (SELECT 1 FROM ho_lease) FOR UPDATE),
  ho_claim AS (INSERT INTO step_claims (run_id, asset_key, partition, attempt, fence, worker_id, claimed_at, kept_job) ${claim}),${keep ? '' : `
  ho_job AS (SELECT (graphile_worker.add_jobs(ARRAY[ROW(@task::text, @nextJob::json, NULL, NULL, 25, @nextJobKey::text, NULL, @nextFlags::text[])::graphile_worker.job_spec], false)).id FROM ho_claim),`}
  ho_step AS (UPDATE steps SET status = '${keep ? 'running' : 'waiting'}', attempt = 1,${keep ? ' started_at = @at::bigint,' : ''} finished_at = NULL, error = NULL, reason = @nextReason::text
    WHERE ${next} AND EXISTS (SELECT 1 FROM ${keep ? 'ho_claim' : 'ho_job'})
    RETURNING asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason),
  ho_state AS (INSERT INTO asset_state (asset_key, partition, ${STEP_STATE_COLUMNS})
    SELECT asset_key, partition, run_id, status, attempt, started_at, finished_at, duration_ms, error, reason FROM ho_step
    ON CONFLICT (asset_key, partition) DO UPDATE SET ${STEP_STATE_SET}
    RETURNING 1)`
}

// An end as the control plane reads it (see toEnd), from step_claims' columns (of the table named `of`, if given).
const endPayload = (of = '') => `json_build_object(${['run_id', 'asset_key', 'partition', 'attempt', 'outcome', 'ended_seq', 'worker_id'].map((column) => `'${column}', ${of && `${of}.`}${column}`).join(', ')})::text AS payload`

// The attempt's end recorded (`ended`, when `gate` holds): numbered in commit order, under the write lock.
function endedCte(gate: string, outcome = '@outcome::text'): string {
  return `ended AS (UPDATE step_claims SET outcome = ${outcome}, ended_seq = nextval('step_claim_ends'), kept_job = NULL WHERE ${STEP_KEY} AND ${gate}
    RETURNING ${endPayload()})`
}

// Watchers of ENDS_CHANNEL are told at the commit; the notification carries the end (the control
// plane needs no read), unless it is too long for one.
const TELL_END = `SELECT pg_notify('${ENDS_CHANNEL}', CASE WHEN octet_length(payload) < 7900 THEN payload ELSE '' END) FROM ended`

/**
 * The ends of a transaction's attempts, for writes already holding their steps and claims (under
 * the write lock, at the transaction's end), in one statement: each recorded only while its fence is
 * its claim's and the attempt has not ended, numbered and told as any end.
 */
export const ATTEMPT_ENDS = new Statement('record_attempt_ends', `WITH u AS (
    SELECT * FROM unnest(@runIds::text[], @assetKeys::text[], @partitions::text[], @fences::bigint[], @outcomes::text[]) AS u (run_id, asset_key, partition, fence, outcome)),
  ended AS (UPDATE step_claims c SET outcome = u.outcome, ended_seq = nextval('step_claim_ends'), kept_job = NULL FROM u
    WHERE c.run_id = u.run_id AND c.asset_key = u.asset_key AND c.partition = u.partition AND c.fence = u.fence AND c.outcome IS NULL
    RETURNING ${endPayload('c')})
  ${TELL_END}`)

/**
 * A cancel of an attempt (see StepQueue.dequeueStep): unless it ended already, and (@endRunning 0)
 * unless a worker claimed it, its job is removed and its end recorded canceled, numbered and told
 * as any end. Row locks first (the step's, its claim's, its job's), then the write lock.
 */
export const DEQUEUE_STEP = new Statement<{ ended: number }>('dequeue_step', `WITH s AS (SELECT 1 FROM steps WHERE ${STEP_KEY} FOR UPDATE),
  c AS (SELECT 1 FROM step_claims WHERE ${STEP_KEY} AND attempt = @attempt::integer AND outcome IS NULL
    AND (@endRunning::integer = 1 OR fence = 0) AND (SELECT count(*) FROM s) >= 0 FOR UPDATE),
  removed AS (SELECT graphile_worker.remove_job(@jobKey::text) FROM c),
  l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM c, (SELECT count(*) FROM removed) AS gone),
  ${endedCte('EXISTS (SELECT 1 FROM l) AND attempt = @attempt::integer AND outcome IS NULL')},
  told AS (${TELL_END})
  SELECT (SELECT count(*) FROM ended)::integer AS ended, (SELECT count(*) FROM told) AS told`)

/**
 * A completion's lease release with its hand-off (see handOffCtes), for a completion written in
 * several statements (with checks): its events and end are queued for the transaction's end.
 */
export const RELEASE_HAND_OFF = new Statement<{ handed: number }>('release_hand_off', `WITH released AS (
    DELETE FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @runId RETURNING expires_at),
  ${handOffCtes('released', '@materialized::integer = 1')}
  SELECT (SELECT count(*) FROM ho_step)::integer AS handed, (SELECT count(*) FROM ho_state) AS written`)

/**
 * Kept steps no worker runs, enqueued for any worker (see KeepHandOff): those of workers silent for
 * longer than @leaseMs (database time) or not running, and those a live worker has not listed
 * among its steps in a heartbeat @leaseMs or more after their claim (it lost them: an error after
 * the keep, the keep's reply lost). Each from the job's spec its claim keeps, once (the spec is
 * cleared; a claim locked by a writer right now is left for the next look). The attempt stays the
 * same: the worker that takes the job claims it with a new fence, so the first can no longer record it.
 */
export const REQUEUE_KEPT = new Statement<{ requeued: number }>('requeue_kept', `WITH orphan AS (
    SELECT c.run_id, c.asset_key, c.partition, c.kept_job::json AS spec FROM step_claims c
    WHERE c.kept_job IS NOT NULL AND c.outcome IS NULL
      AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = c.worker_id AND w.state = 'running' AND w.heartbeat_at >= ${NOW_MS} - @leaseMs::bigint
        AND (w.heartbeat_at < c.claimed_at + @leaseMs::bigint OR EXISTS (SELECT 1 FROM jsonb_array_elements(w.current_steps::jsonb) AS listed (step)
          WHERE listed.step ->> 'runId' = c.run_id AND listed.step ->> 'assetKey' = c.asset_key AND coalesce(listed.step ->> 'partition', '') = c.partition)))
    FOR UPDATE OF c SKIP LOCKED),
  job AS (SELECT run_id, asset_key, partition, (graphile_worker.add_jobs(ARRAY[ROW(@task::text, spec -> 'payload', NULL, NULL, 25, spec ->> 'key', NULL,
      CASE WHEN json_typeof(spec -> 'flags') = 'array' THEN ARRAY(SELECT json_array_elements_text(spec -> 'flags')) END)::graphile_worker.job_spec], false)).id FROM orphan),
  cleared AS (UPDATE step_claims c SET kept_job = NULL FROM job WHERE c.run_id = job.run_id AND c.asset_key = job.asset_key AND c.partition = job.partition RETURNING 1)
  SELECT count(*)::integer AS requeued FROM cleared`)

/**
 * The jobs of a transaction's enqueues (see ENQUEUE_STEP), in one call of graphile-worker's add_jobs:
 * its work (its tables' upserts, its notification) is paid once, not once per job. @flags: each job's
 * one flag (its pool's), or null; one job per key (the caller's last). A job add_jobs did not add
 * (its key's job was locked by a fetch between add_jobs' own statements) fails the statement, so the
 * transaction rolls back and each enqueue runs again alone, in the form that checks its own add.
 */
export const ADD_JOBS = new Statement('add_jobs', `SELECT CASE WHEN count(*) = cardinality(@keys::text[]) THEN count(*) ELSE ('${JOB_NOT_ADDED}: ' || count(*))::bigint END
  FROM graphile_worker.add_jobs(ARRAY(
    SELECT ROW(@task::text, payload, NULL, NULL, 25, key, NULL, CASE WHEN flag IS NULL THEN NULL ELSE ARRAY[flag] END)::graphile_worker.job_spec
    FROM unnest(@payloads::json[], @keys::text[], @flags::text[]) WITH ORDINALITY AS j (payload, key, flag, ord) ORDER BY ord), false)`)

/** Each statement, alone in its transaction (`logged`) and sharing one. */
export const CLAIM_STEP = { logged: claimStep(true), batched: claimStep(false) }
export const ENQUEUE_STEP = { logged: enqueueStep(true), batched: enqueueStep(false) }
export const COMPLETE_STEP = {
  logged: completeStep(true), batched: completeStep(false), handOff: completeStep(true, 'enqueue'), keep: completeStep(true, 'keep'),
  handOffBatched: completeStep(false, 'enqueue'), keepBatched: completeStep(false, 'keep'),
}
