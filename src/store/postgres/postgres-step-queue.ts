import { ErrorCode, TributaryError, type SerializedError } from '../../model/errors.js'
import type { LeaseResult, MaterializationRecord, StepUpdate } from '../records.js'
import type { AttemptEnd, Claim, StepJob, StepQueue, StepRef, WorkerRecord } from '../step-queue.js'
import type { AttemptLease, StepCompletion, StepStartResult } from '../store.js'
import type { PostgresStoreConfig } from '../store-config.js'
import { materializationRow, partitionKey } from '../sqlite/row-mappers.js'
import { Statement, STEP_STATE, STEP_STATE_COLUMNS, STEP_STATE_SET, stepUpdate } from './statements.js'
import { stepEventOf, stepUpdateParams } from './step-params.js'
import { asStoreError, type Client, type Pool } from './open-pool.js'
import { migrateQueue } from './queue-schema.js'
import { queueUnderLock } from './write-transaction.js'
import { EventListener } from './event-listener.js'

/** The step writes of the store, inside a transaction the queue opened (see PostgresStore.stepQueue). */
export interface StepWrites {
  /** Takes a step's lease, as Store.startStep does; its statement goes out before its first await. */
  lease(assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): Promise<LeaseResult>
  update(update: StepUpdate): Promise<void>
  /** `oneRoundTrip`: see completesInOneRoundTrip. */
  complete(completion: StepCompletion, options?: { oneRoundTrip?: boolean }): Promise<MaterializationRecord | undefined>
}

/**
 * Whether a completion's write goes out in one round trip: its materialization's event is appended
 * in the statement that inserts it. Not with checks: the asset's last checks carry the results' ids.
 */
export function completesInOneRoundTrip(completion: StepCompletion): boolean {
  return !completion.checks || completion.checks.length === 0
}

/** The graphile-worker task every step job runs as. */
export const STEP_TASK = 'tributary_step'

// In the error of a fence check that failed (a failing cast: plain SQL has no RAISE).
const STALE_FENCE = 'tributary: stale fence'

// Notified with each attempt's end, so the control plane reads ends when there are some (not on every event).
const ENDS_CHANNEL = 'tributary_step_ends'

// Database time in ms: liveness is judged by one clock, never by the workers' machines'.
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`

// A step's job key: a later attempt replaces a job no worker took yet, and a cancel removes it.
const jobKey = (ref: StepRef) => JSON.stringify([ref.runId, ref.assetKey, partitionKey(ref.partition)])

const keyOf = (ref: StepRef) => [ref.runId, ref.assetKey, partitionKey(ref.partition)]

/** The store's side of the worker fleet on PostgreSQL; see {@link StepQueue}. Jobs are graphile-worker's. */
export class PostgresStepQueue implements StepQueue {
  private prepared: Promise<void> | undefined
  private listener: EventListener | undefined

  constructor(
    private readonly pool: Pool,
    private readonly config: PostgresStoreConfig,
    // `oneRoundTrip`: see PostgresStore.write.
    private readonly write: <T>(fn: (db: Client, steps: StepWrites) => Promise<T>, options?: { oneRoundTrip?: boolean }) => Promise<T>,
    // The store's write lock: every statement appending events takes it (see inWriteTransaction).
    private readonly lockKey: number,
  ) {}

  async prepare(): Promise<void> {
    this.prepared ??= this.guard(() => migrateQueue(this.config.url)).catch((error: unknown) => {
      this.prepared = undefined
      throw error
    })
    return this.prepared
  }

  async watchEnds(onEnd: (end: (AttemptEnd & { readonly seq: number }) | undefined) => void): Promise<() => void> {
    this.listener ??= new EventListener(this.config, ENDS_CHANNEL)
    return this.listener.add((payload) => onEnd(payload === '' ? undefined : toEnd(JSON.parse(payload) as EndRow)))
  }

  /** Ends the LISTEN connection of watchEnds, if any. */
  async close(): Promise<void> {
    await this.listener?.close()
    this.listener = undefined
  }

  async enqueueStep(update: StepUpdate, job: StepJob, lease?: AttemptLease & { readonly holder: string }): Promise<StepStartResult> {
    const event = stepEventOf(update)
    return this.write(async (db, steps) => {
      // One round trip, one transaction: the lease (when asked), then the enqueue, which reads the
      // lease and the latest materialization with a snapshot of its own, taken after the lease.
      // In the same transaction as the step's record, so a worker can never take a step the store
      // does not know is waiting, and a step recorded as waiting always has its job.
      const [taken, enqueued] = await Promise.all([
        lease && steps.lease(job.assetKey, job.partition, lease.holder, lease.ttlMs, lease.now),
        ENQUEUE_STEP.get(db, {
          ...stepUpdateParams(update), lockKey: this.lockKey, eventType: event.type, payload: event.payload,
          holder: lease?.holder ?? null, checkStale: lease?.lastMaterializationId === undefined ? 0 : 1, lastMaterializationId: lease?.lastMaterializationId ?? null,
          task: STEP_TASK, job: JSON.stringify(job), jobKey: jobKey(job), flags: job.pool ? [`pool:${job.pool}`] : null,
        }),
      ])
      if (taken && !taken.acquired) return { ...taken, stale: false }
      if (!enqueued!.fresh) return { acquired: true, holder: lease?.holder ?? null, stale: true }
      if (enqueued!.enqueued === 0) throw new Error(`step ${job.assetKey} of run ${job.runId} is not in the store: it cannot be enqueued`)
      return { acquired: true, holder: lease?.holder ?? null, stale: false }
    }, { oneRoundTrip: true })
  }

  async dequeueStep(job: StepRef & { readonly attempt: number }): Promise<boolean> {
    // remove_job deletes only a job no worker holds.
    const { rows } = await this.guard(() => this.pool.query(`SELECT (graphile_worker.remove_job($1)).id AS id`, [jobKey(job)]))
    return rows[0]?.id !== null && rows[0]?.id !== undefined
  }

  async claimStep(job: StepJob, workerId: string, jobId: string | null, at: Date): Promise<Claim> {
    const update: StepUpdate = { runId: job.runId, assetKey: job.assetKey, partition: job.partition, status: 'running', attempt: job.attempt, at, reason: null }
    const event = stepEventOf(update)
    // One statement, so one round trip and its own transaction: the fence, the step's running
    // record and its event, or nothing when the step ended or a later attempt was enqueued.
    const claimed = await this.write((db) => CLAIM_STEP.get(db, {
      ...stepUpdateParams(update), workerId, jobId, lockKey: this.lockKey, eventType: event.type, payload: event.payload,
    }), { oneRoundTrip: true })
    if (claimed) return { claimed: true, fence: Number(claimed.fence) }
    const { rows: [row] } = await this.guard(() => this.pool.query(`SELECT attempt, outcome FROM step_claims WHERE run_id = $1 AND asset_key = $2 AND partition = $3`, keyOf(job)))
    return { claimed: false, why: row && row.outcome === null && row.attempt !== job.attempt ? 'superseded' : 'ended' }
  }

  async completeFenced(completion: StepCompletion, fence: number): Promise<MaterializationRecord | undefined> {
    if (completesInOneStatement(completion)) return this.completeInOneStatement(completion, fence)
    const oneRoundTrip = completesInOneRoundTrip(completion)
    return this.write(async (db, steps) => {
      // The fence check and the records go out at once (with the end and the COMMIT when in one
      // round trip): a stale fence fails in SQL and rolls the records back.
      const checked = this.holdFence(db, completion.step, fence)
      const completed = steps.complete(completion, { oneRoundTrip })
      const released = db.query({ name: 'trb_release_step_lease', text: `DELETE FROM leases WHERE asset_key = $1 AND partition = $2 AND holder = $3`, values: [completion.step.assetKey, partitionKey(completion.step.partition), completion.step.runId] })
      this.recordEnd(db, completion.step, endOf(completion))
      const [, materialization] = await Promise.all([checked, completed, released])
      return materialization
    }, { oneRoundTrip })
  }

  // A completion without checks, its materialization (if any) the step's own: one statement (see COMPLETE_STEP).
  private async completeInOneStatement(completion: StepCompletion, fence: number): Promise<MaterializationRecord | undefined> {
    const { step, materialization } = completion
    const event = stepEventOf(step)
    const row = materialization && materializationRow(materialization)
    const done = await this.write((db) => COMPLETE_STEP.get(db, {
      ...stepUpdateParams(step), fence, lockKey: this.lockKey, eventType: event.type, payload: event.payload, outcome: JSON.stringify(endOf(completion)),
      materialized: row ? 1 : 0, codeVersion: row?.codeVersion ?? null, dataVersion: row?.dataVersion ?? null, inputVersions: row?.inputVersions ?? null,
      rowCount: row?.rowCount ?? null, columns: row?.columns ?? null, materializationMs: row?.durationMs ?? null, createdAt: row?.createdAt ?? null,
      materializationPayload: materialization ? JSON.stringify(materialization) : null,
    }), { oneRoundTrip: true })
    if (!done || done.ok === 0) throw staleAttempt(step, fence, done?.fence ?? null, done?.ended === true)
    return materialization && { ...materialization, id: Number(done.id) }
  }

  async endAttempt(end: Omit<AttemptEnd, 'runId' | 'assetKey' | 'partition' | 'attempt' | 'worker'>, ref: StepRef, fence: number): Promise<boolean> {
    return this.write(async (db) => {
      try {
        await this.holdFence(db, ref, fence)
      } catch (error) {
        if (error instanceof TributaryError && error.code === ErrorCode.StaleAttempt) return false
        throw error
      }
      this.recordEnd(db, ref, end)
      return true
    })
  }

  async attemptEnds(runId: string, afterSeq: number) {
    const { rows } = await this.guard(() => this.pool.query({
      name: 'trb_attempt_ends',
      text: `SELECT run_id, asset_key, partition, attempt, outcome, ended_seq, worker_id FROM step_claims
       WHERE run_id = $1 AND ended_seq > $2 ORDER BY ended_seq`,
      values: [runId, afterSeq],
    }))
    const ends = (rows as EndRow[]).map(toEnd)
    return { ends, lastSeq: ends.at(-1)?.seq ?? afterSeq }
  }

  async workerHeartbeat(worker: Parameters<StepQueue['workerHeartbeat']>[0], runIds: readonly string[]): Promise<string[]> {
    return this.guard(async () => {
      await this.pool.query(
        `INSERT INTO workers (id, host, pid, version, concurrency, pools, started_at, heartbeat_at, queue_slots, current_steps)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW_MS}, $8, $9)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = ${NOW_MS}, state = 'running', stopped_at = NULL, queue_slots = excluded.queue_slots, current_steps = excluded.current_steps`,
        [worker.id, worker.host, worker.pid, worker.version, worker.concurrency, JSON.stringify(worker.pools), worker.startedAt.getTime(),
          JSON.stringify(worker.queueSlots), JSON.stringify(worker.currentSteps.map((s) => ({ ...s, since: s.since.getTime() })))],
      )
      if (runIds.length === 0) return []
      // A run asked to cancel, or one that ended meanwhile (its control plane settled it): stop its steps.
      const { rows } = await this.pool.query(`SELECT id FROM runs WHERE id = ANY($1) AND (requested = 'cancel' OR status <> 'running')`, [runIds])
      return rows.map((row) => row.id as string)
    })
  }

  async expireWorkers(leaseMs: number): Promise<string[]> {
    return this.guard(async () => {
      const { rows } = await this.pool.query(
        `UPDATE workers SET state = 'lost', stopped_at = heartbeat_at WHERE state = 'running' AND heartbeat_at < ${NOW_MS} - $1 RETURNING id`,
        [Math.trunc(leaseMs)],
      )
      // Jobs held longer than a lease by a queue slot of no live worker (a lost one, or one killed
      // before it first reported its slots) go back to every worker now, not after graphile-worker's
      // own 4-hour lock. Their next claim gets a new fence, so the old holder cannot publish.
      const { rows: [unlocked] } = await this.pool.query(
        `WITH stale AS (SELECT array(
           SELECT DISTINCT j.locked_by FROM graphile_worker._private_jobs j
           WHERE j.locked_by IS NOT NULL AND j.locked_at < clock_timestamp() - make_interval(secs => $1 / 1000.0)
           AND NOT EXISTS (SELECT 1 FROM workers w, jsonb_array_elements_text(w.queue_slots::jsonb) AS slot(id)
                           WHERE w.state = 'running' AND slot.id = j.locked_by)) AS ids)
         SELECT cardinality(ids) AS n, graphile_worker.force_unlock_workers(ids) FROM stale`,
        [Math.trunc(leaseMs)],
      )
      // Unlocking sends no notification of its own: wake the idle workers as new jobs would.
      if (Number(unlocked?.n) > 0) await this.wakeWorkers(1000)
      return rows.map((row) => row.id as string)
    })
  }

  async wakeWorkers(count: number): Promise<void> {
    // graphile-worker 0.17 ignores a count below 1.
    await this.guard(() => this.pool.query(`SELECT pg_notify('jobs:insert', $1)`, [JSON.stringify({ count: Math.max(1, Math.trunc(count)) })]))
  }

  async stopWorker(id: string): Promise<void> {
    await this.guard(() => this.pool.query(`UPDATE workers SET state = 'stopped', stopped_at = ${NOW_MS}, current_steps = '[]' WHERE id = $1`, [id]))
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const { rows } = await this.guard(() => this.pool.query(
      `SELECT * FROM workers ORDER BY state = 'running' DESC, heartbeat_at DESC, id`,
    ))
    return rows.map((row) => ({
      id: row.id, host: row.host, pid: row.pid, version: row.version, concurrency: row.concurrency,
      pools: JSON.parse(row.pools as string) as Record<string, number>,
      startedAt: new Date(Number(row.started_at)), heartbeatAt: new Date(Number(row.heartbeat_at)),
      stoppedAt: row.stopped_at === null ? null : new Date(Number(row.stopped_at)), state: row.state,
      currentSteps: (JSON.parse(row.current_steps as string) as (StepRef & { attempt: number; since: number })[]).map((s) => ({ ...s, since: new Date(s.since) })),
    }))
  }

  // Locks the step and its claim and checks that `fence` is still its latest, unended: a worker whose lease
  // expired (another took the step) or whose attempt already ended is refused with TRB7003. The
  // check fails in SQL (STALE_FENCE, with the claim's fence and whether it ended), so that it rolls
  // back the statements sent with it.
  private async holdFence(db: Client, ref: StepRef, fence: number): Promise<void> {
    try {
      await db.query({
        name: 'trb_hold_fence',
        // The step's row is locked before its claim's (the subquery on s runs first), in the order a
        // claim locks them: a completion and a re-claim of the same step wait for each other, never deadlock.
        text: `WITH s AS (SELECT 1 FROM steps WHERE run_id = $1 AND asset_key = $2 AND partition = $3 FOR UPDATE),
          c AS (SELECT fence, outcome FROM step_claims WHERE run_id = $1 AND asset_key = $2 AND partition = $3 AND (SELECT count(*) FROM s) >= 0 FOR UPDATE)
          SELECT ('${STALE_FENCE} ' || coalesce(max(fence)::text, '-') || ' ' || coalesce(bool_or(outcome IS NOT NULL)::text, 'false'))::bigint FROM c
          HAVING count(*) = 0 OR NOT bool_or(fence = $4::bigint AND outcome IS NULL)`,
        values: [...keyOf(ref), fence],
      })
    } catch (error) {
      const stale = new RegExp(`${STALE_FENCE} (\\S+) (\\S+)`).exec(String((error as Error | null)?.message))
      if (!stale) throw error
      const [, now, ended] = stale
      throw staleAttempt(ref, fence, now === '-' ? null : Number(now), ended === 'true')
    }
  }

  // Under the write lock, after the holder locked the claim's row (holdFence): ends are numbered
  // in commit order, so the control plane reading "ended_seq > last seen" never skips one. Watchers
  // of ENDS_CHANNEL are told at the commit.
  private recordEnd(db: Client, ref: StepRef, end: { status: string; error: SerializedError | null; retryable: boolean; reason: string | null; durationMs: number | null }): void {
    queueUnderLock(db, {
      name: 'trb_record_end',
      // The notification carries the end (the control plane needs no read), unless it is too long for one.
      text: `WITH ended AS (UPDATE step_claims SET outcome = $4, ended_seq = nextval('step_claim_ends') WHERE run_id = $1 AND asset_key = $2 AND partition = $3
          RETURNING json_build_object('run_id', run_id, 'asset_key', asset_key, 'partition', partition, 'attempt', attempt, 'outcome', outcome, 'ended_seq', ended_seq, 'worker_id', worker_id)::text AS payload)
        SELECT pg_notify('${ENDS_CHANNEL}', CASE WHEN octet_length(payload) < 7900 THEN payload ELSE '' END) FROM ended`,
      values: [...keyOf(ref), JSON.stringify({ status: end.status, error: end.error, retryable: end.retryable, reason: end.reason, durationMs: end.durationMs })],
    })
  }

  // A statement that is its own transaction: run again when PostgreSQL picked it as a deadlock's loser.
  private async statement<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.guard(fn)
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code !== DEADLOCK || attempt >= 3) throw error
      }
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw asStoreError(error, this.config.url)
    }
  }
}


// A deadlock's loser (PostgreSQL aborts one of two waiting writers): it runs again.
const DEADLOCK = '40P01'

const STEP_KEY = `run_id = @runId AND asset_key = @assetKey AND partition = @partition`

// The step's event, appended under the write lock (@lockKey) once the step and its asset's state
// changed: event ids become visible in id order (see inWriteTransaction). The lock is taken after
// every row lock of the statement (`state` is read to run it first) and held to the commit.
const STEP_EVENT = `l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM step, (SELECT count(*) FROM state) AS written),
  e AS (INSERT INTO events (type, at, run_id, asset_key, partition, payload)
    SELECT @eventType::text, @at::bigint, @runId, @assetKey, @partition, @payload::text FROM step, l)`

/**
 * A claim in one statement: the step's row is locked (a writer ending it meanwhile, recovery
 * settling a dead run, is waited for and its end seen), then the fence is taken when the attempt is
 * still the job's and the step has not ended; only then the step is recorded running, with its
 * event. No row: not claimed.
 */
const CLAIM_STEP = new Statement<{ fence: number | string }>('claim_step', `WITH live AS (
    SELECT 1 FROM steps WHERE ${STEP_KEY} AND status NOT IN ('succeeded', 'failed', 'blocked', 'skipped', 'canceled') FOR UPDATE),
  claimed AS (UPDATE step_claims c SET fence = nextval('step_fences'), worker_id = @workerId::text, job_id = @jobId::bigint, claimed_at = ${NOW_MS}
    WHERE ${STEP_KEY} AND c.attempt = @attempt::integer AND c.outcome IS NULL AND EXISTS (SELECT 1 FROM live)
    RETURNING c.fence),
  step AS (${stepUpdate(' AND EXISTS (SELECT 1 FROM claimed)')}),
  state AS (${STEP_STATE} RETURNING 1),
  ${STEP_EVENT}
  SELECT fence FROM claimed`)

/**
 * An enqueue in one statement, gated: when @holder is given, only if it holds the step's lease
 * (taken by the statement before, in the same transaction) and, when @checkStale, only if
 * @lastMaterializationId is still the asset-partition's latest (`fresh` false otherwise: nothing
 * written). The step's row is locked first, as every writer of a step and its claim locks them;
 * then the claim is reset for the new attempt (ends of the one before no longer count, and only
 * a claim of this one gets a fence), the job added (its job key: a later attempt replaces a job
 * no worker took yet), and the step recorded waiting, with its event.
 */
const ENQUEUE_STEP = new Statement<{ enqueued: number; fresh: boolean }>('enqueue_step', `WITH go AS (
    SELECT (@holder::text IS NULL OR EXISTS (SELECT 1 FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @holder::text)) AS leased,
      (@checkStale::integer = 0 OR (SELECT materialization_id FROM asset_state WHERE asset_key = @assetKey AND partition = @partition) IS NOT DISTINCT FROM @lastMaterializationId::bigint) AS fresh),
  s AS (SELECT 1 FROM steps WHERE ${STEP_KEY} AND (SELECT leased AND fresh FROM go) FOR UPDATE),
  claim AS (INSERT INTO step_claims (run_id, asset_key, partition, attempt, fence) SELECT @runId, @assetKey, @partition, @attempt::integer, 0 FROM s
    ON CONFLICT (run_id, asset_key, partition) DO UPDATE SET attempt = excluded.attempt, fence = 0, worker_id = NULL, job_id = NULL, outcome = NULL, ended_seq = NULL
    RETURNING 1),
  job AS (SELECT j.id FROM claim, graphile_worker.add_jobs(ARRAY[ROW(@task::text, @job::json, NULL, NULL, 25, @jobKey::text, NULL, @flags::text[])::graphile_worker.job_spec], false) AS j),
  step AS (${stepUpdate(' AND EXISTS (SELECT 1 FROM job)')}),
  state AS (${STEP_STATE} RETURNING 1),
  ${STEP_EVENT}
  SELECT (SELECT count(*) FROM job)::integer AS enqueued, (SELECT fresh FROM go) AS fresh`)

// asset_state's copy of its asset's last materialization.
const MATERIALIZATION_STATE = ['materialization_id', 'materialization_run_id', 'code_version', 'data_version', 'input_versions', 'row_count', 'materialization_duration_ms', 'materialized_at']

/**
 * A completion in one statement. The step's row is locked, then its claim's (the order of a claim),
 * and only while `@fence` is the claim's and it has not ended: the materialization (if any), the
 * step's final record, the asset's state (its last step and materialization in one write), the
 * run's lease on the asset-partition released, their events in the order of the work, and the
 * attempt's end, numbered under the write lock and told on ENDS_CHANNEL. `ok` 0: nothing written,
 * the fence is no longer the step's.
 */
const COMPLETE_STEP = new Statement<{ id: number | string | null; ok: number; fence: number | string | null; ended: boolean | null }>('complete_step', `WITH s AS (
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
  released AS (DELETE FROM leases WHERE asset_key = @assetKey AND partition = @partition AND holder = @runId AND EXISTS (SELECT 1 FROM ok) RETURNING 1),
  l AS (SELECT pg_advisory_xact_lock(@lockKey::bigint) FROM step, (SELECT count(*) FROM state) AS written, (SELECT count(*) FROM released) AS freed),
  e AS (INSERT INTO events (type, at, run_id, asset_key, partition, payload)
    SELECT ev.type, ev.at, @runId, @assetKey, @partition, ev.payload FROM (
      SELECT 1 AS ord, 'materialization' AS type, m.created_at AS at, left(@materializationPayload::text, -1) || ',"id":' || m.id || '}' AS payload FROM m
      UNION ALL SELECT 2, @eventType::text, @at::bigint, @payload::text) ev, l
    ORDER BY ev.ord),
  ended AS (UPDATE step_claims SET outcome = @outcome::text, ended_seq = nextval('step_claim_ends') WHERE ${STEP_KEY} AND EXISTS (SELECT 1 FROM l)
    RETURNING json_build_object('run_id', run_id, 'asset_key', asset_key, 'partition', partition, 'attempt', attempt, 'outcome', outcome, 'ended_seq', ended_seq, 'worker_id', worker_id)::text AS payload),
  told AS (SELECT pg_notify('${ENDS_CHANNEL}', CASE WHEN octet_length(payload) < 7900 THEN payload ELSE '' END) FROM ended)
  SELECT (SELECT id FROM m) AS id, (SELECT count(*) FROM ok)::integer AS ok, (SELECT max(fence) FROM c) AS fence,
    (SELECT bool_or(outcome IS NOT NULL) FROM c) AS ended, (SELECT count(*) FROM told)::integer AS told`)

/** Whether a completion is written in one statement (COMPLETE_STEP): no checks, and a materialization, if any, of the step's own asset-partition. */
function completesInOneStatement(completion: StepCompletion): boolean {
  const { step, materialization } = completion
  return completesInOneRoundTrip(completion)
    && (!materialization || (materialization.assetKey === step.assetKey && partitionKey(materialization.partition) === partitionKey(step.partition) && materialization.runId === step.runId))
}

// How a completed attempt ended, as step_claims records it.
function endOf(completion: StepCompletion) {
  const { step } = completion
  return { status: step.status, error: step.error ?? null, retryable: false, reason: step.reason ?? null, durationMs: step.durationMs ?? null }
}

// TRB7003: the attempt's fence is no longer the step's (`now`: the step's fence, null when unclaimed).
function staleAttempt(ref: StepRef, fence: number, now: number | string | null, ended: boolean): TributaryError {
  return new TributaryError(ErrorCode.StaleAttempt, `the attempt of ${ref.assetKey}${ref.partition === null ? '' : ` [${ref.partition}]`} in run ${ref.runId} with fence ${fence} is no longer the step's (${now === null ? 'no claim' : `its fence is now ${now}${ended ? ', and it ended' : ''}`}): this worker's lease expired and another worker took the step, so its result is not recorded`, {
    context: { runId: ref.runId, assetKey: ref.assetKey },
    hint: 'Nothing to do: the step runs (or ran) on the worker that took it. If workers lose their lease while alive, raise queue({ lease }) or fix what stalls them (CPU starvation, network).',
  })
}

/** A row of step_claims with its end, as attemptEnds reads it and an end's notification carries it. */
interface EndRow {
  readonly run_id: string
  readonly asset_key: string
  readonly partition: string
  readonly attempt: number
  readonly outcome: string
  readonly ended_seq: number | string
  readonly worker_id: string | null
}

function toEnd(row: EndRow): AttemptEnd & { readonly seq: number } {
  const outcome = JSON.parse(row.outcome) as Omit<AttemptEnd, 'runId' | 'assetKey' | 'partition' | 'attempt' | 'worker'>
  return {
    ...outcome, runId: row.run_id, assetKey: row.asset_key, partition: row.partition === '' ? null : row.partition,
    attempt: row.attempt, seq: Number(row.ended_seq), worker: row.worker_id ?? null,
  }
}
