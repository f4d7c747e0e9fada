import { ErrorCode, TributaryError, type SerializedError } from '../../model/errors.js'
import type { LeaseResult, MaterializationRecord, StepUpdate } from '../records.js'
import { handedOffJob, type AttemptEnd, type EnqueueResult, type Claim, type FenceHold, type HandOff, type KeepHandOff, type StepJob, type StepQueue, type StepRef, type WorkerRecord } from '../step-queue.js'
import type { AttemptLease, StepCompletion } from '../store.js'
import type { PostgresStoreConfig } from '../store-config.js'
import { materializationRow, partitionKey, stepUpdateParams } from '../sqlite/row-mappers.js'
import { ADD_JOBS, ATTEMPT_ENDS, CLAIM_STEP, COMPLETE_STEP, DEQUEUE_STEP, ENDS_CHANNEL, ENQUEUE_STEP, NOW_MS, RELEASE_HAND_OFF, REQUEUE_KEPT, type CompletionRow } from './step-queue-statements.js'
import { stepEventOf } from './step-params.js'
import { asStoreError, GENERIC_PLANS, type Client, type Pool } from './open-pool.js'
import { migrateQueue } from './queue-schema.js'
import { beginWriteTransaction, gatherAtEnd, queueEvent, setLocalOnce, sharesTransaction } from './write-transaction.js'
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

// A step's job key: a later attempt replaces a job no worker took yet, and a cancel removes it.
const jobKey = (ref: StepRef) => JSON.stringify([ref.runId, ref.assetKey, partitionKey(ref.partition)])

const keyOf = (ref: StepRef) => [ref.runId, ref.assetKey, partitionKey(ref.partition)]
const keyParams = (ref: StepRef) => ({ runId: ref.runId, assetKey: ref.assetKey, partition: partitionKey(ref.partition) })

/** The store's side of the worker fleet on PostgreSQL; see {@link StepQueue}. Jobs are graphile-worker's. */
export class PostgresStepQueue implements StepQueue {
  private prepared: Promise<void> | undefined
  private listener: EventListener | undefined

  constructor(
    private readonly pool: Pool,
    private readonly config: PostgresStoreConfig,
    // `oneRoundTrip`, `single`: see PostgresStore.write.
    private readonly write: <T>(fn: (db: Client, steps: StepWrites) => Promise<T>, options?: { oneRoundTrip?: boolean; single?: boolean }) => Promise<T>,
    // The store's write lock: every statement appending events takes it (see inWriteTransaction).
    private readonly lockKey: number,
    // The store's step writes on a connection of the queue's own (a hold's open transaction).
    private readonly stepWrites?: (db: Client) => StepWrites,
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

  async enqueueStep(update: StepUpdate, job: StepJob, lease?: AttemptLease & { readonly holder: string }, options: { readonly ifQueued?: boolean } = {}): Promise<EnqueueResult> {
    const event = stepEventOf(update)
    return this.write(async (db, steps) => {
      // One round trip, one transaction: the lease (when asked), then the enqueue, which reads the
      // lease and the latest materialization with a snapshot of its own, taken after the lease.
      // In the same transaction as the step's record, so a worker can never take a step the store
      // does not know is waiting, and a step recorded as waiting always has its job.
      const params = {
        ...stepUpdateParams(update), lockKey: this.lockKey, eventType: event.type, payload: event.payload,
        holder: lease?.holder ?? null, checkStale: lease?.lastMaterializationId === undefined ? 0 : 1, lastMaterializationId: lease?.lastMaterializationId ?? null,
        task: STEP_TASK, job: JSON.stringify(job), jobKey: jobKey(job), flags: job.pool ? [`pool:${job.pool}`] : null, ifQueued: options.ifQueued === true ? 1 : 0,
      }
      // Planned once per connection (GENERIC_PLANS), for this transaction only (set once in a batch).
      const generic = setLocalOnce(db, 'plan_cache_mode', GENERIC_PLANS.plan_cache_mode!)
      const taking = lease && steps.lease(job.assetKey, job.partition, lease.holder, lease.ttlMs, lease.now)
      const enqueuing = sharesTransaction(db) ? ENQUEUE_STEP.batched.get(db, params) : ENQUEUE_STEP.logged.get(db, params)
      if (sharesTransaction(db)) {
        queueEvent(db, enqueuing.then((row) => (row?.enqueued ? event : null)))
        gatherAtEnd(db, 'add_jobs', enqueuing.then((row) => (row?.enqueued ? { payload: params.job, key: params.jobKey, flag: params.flags?.[0] ?? null } : null)), addJobs)
      }
      const [, taken, enqueued] = await Promise.all([generic, taking, enqueuing])
      if (taken && !taken.acquired) return { ...taken, stale: false }
      if (!enqueued!.fresh) return { acquired: true, holder: lease?.holder ?? null, stale: true }
      if (enqueued!.enqueued === 0 && enqueued!.taken > 0) return { acquired: true, holder: lease?.holder ?? null, stale: false, handedOff: true }
      if (enqueued!.enqueued === 0) throw new Error(`step ${job.assetKey} of run ${job.runId} is not in the store: it cannot be enqueued`)
      return { acquired: true, holder: lease?.holder ?? null, stale: false }
    }, { oneRoundTrip: true })
  }

  async dequeueStep(job: StepRef & { readonly attempt: number }, options: { readonly endRunning?: boolean } = {}): Promise<boolean> {
    // Whoever holds the attempt (a worker that fetched, claimed or kept it, or died with it) can no
    // longer claim nor record it once it ended here (see DEQUEUE_STEP).
    const outcome = JSON.stringify({ status: 'canceled', error: { code: ErrorCode.Canceled, message: 'canceled with its run' }, retryable: false, reason: 'the run was canceled', durationMs: null })
    const row = await this.guard(() => DEQUEUE_STEP.get(this.pool, { ...keyParams(job), attempt: job.attempt, endRunning: options.endRunning === false ? 0 : 1, jobKey: jobKey(job), lockKey: this.lockKey, outcome }))
    return Number(row?.ended ?? 0) > 0
  }

  async claimStep(job: StepJob, workerId: string, jobId: string | null, at: Date): Promise<Claim> {
    const update: StepUpdate = { runId: job.runId, assetKey: job.assetKey, partition: job.partition, status: 'running', attempt: job.attempt, at, reason: null }
    const event = stepEventOf(update)
    // One statement (see CLAIM_STEP), one round trip: the fence, the step's running record and its
    // event, or nothing when the step ended or a later attempt was enqueued.
    const params = { ...stepUpdateParams(update), workerId, jobId, lockKey: this.lockKey, eventType: event.type, payload: event.payload }
    const claimed = await this.write((db) => {
      if (!sharesTransaction(db)) return CLAIM_STEP.logged.get(db, params)
      const row = CLAIM_STEP.batched.get(db, params)
      queueEvent(db, row.then((claim) => (claim ? event : null)))
      return row
    }, { oneRoundTrip: true, single: true })
    if (claimed) return { claimed: true, fence: Number(claimed.fence) }
    const { rows: [row] } = await this.guard(() => this.pool.query(`SELECT attempt, outcome FROM step_claims WHERE run_id = $1 AND asset_key = $2 AND partition = $3`, keyOf(job)))
    return { claimed: false, why: row && row.outcome === null && row.attempt !== job.attempt ? 'superseded' : 'ended' }
  }

  async completeFenced(completion: StepCompletion, fence: number, next?: HandOff, keep?: KeepHandOff): Promise<MaterializationRecord | undefined> {
    if (completesInOneStatement(completion)) return this.completeInOneStatement(completion, fence, next, keep)
    const oneRoundTrip = completesInOneRoundTrip(completion)
    return this.write((db, steps) => this.completeChecked(db, steps, completion, fence, oneRoundTrip, next), { oneRoundTrip })
  }

  async holdFence(ref: StepRef, fence: number, options: { readonly idleTimeoutMs?: number } = {}): Promise<FenceHold> {
    // Its own transaction, left open: the step's and its claim's rows stay locked (a claim of the
    // step waits) until the completion commits or the hold is released. The write lock is taken
    // only at the commit, after those row locks, as by every writer. A holder idle past
    // `idleTimeoutMs` has its session ended by the server (idle_in_transaction_session_timeout).
    const idle = options.idleTimeoutMs === undefined ? undefined : Math.max(1, Math.trunc(options.idleTimeoutMs))
    const open = await this.guard(() => beginWriteTransaction(this.pool, this.lockKey, async (db) => {
      const limited = idle === undefined ? undefined : db.query(`SET LOCAL idle_in_transaction_session_timeout = ${idle}`)
      await Promise.all([limited, this.checkFence(db, ref, fence)])
    }))
    return {
      complete: (completion, next, keep) => {
        if (completion.step.runId !== ref.runId || completion.step.assetKey !== ref.assetKey || partitionKey(completion.step.partition) !== partitionKey(ref.partition)) {
          return Promise.reject(new Error(`a hold of ${ref.assetKey} in run ${ref.runId} cannot complete another step (${completion.step.assetKey} in run ${completion.step.runId})`))
        }
        if (!completesInOneStatement(completion)) {
          const { stepWrites } = this
          if (!stepWrites) return Promise.reject(new Error('this step queue cannot record checks under a hold'))
          return this.guard(() => open.commit((db) => this.completeChecked(db, stepWrites(db), completion, fence, false, next)))
        }
        // Alone in its transaction, the statement may take the write lock itself: the hold's row
        // locks came first. The statement and the COMMIT go out together.
        return this.guard(() => open.commit(async (db) => {
          const done = await this.completeAlone(db, completion, fence, next, keep)
          if (!done || done.ok === 0) throw staleAttempt(completion.step, fence, done?.fence ?? null, done?.ended === true)
          return completion.materialization && { ...completion.materialization, id: Number(done.id) }
        }, { oneRoundTrip: true }))
      },
      release: () => open.rollback(),
    }
  }

  // A completion with checks (or a materialization of another step's): the fence check and the
  // records go out at once (with the end and the COMMIT when in one round trip): a stale fence
  // fails in SQL and rolls the records back. `next` (not in one round trip: the end says whether
  // it was enqueued): the lease release hands it off, its event and the end queued after.
  private async completeChecked(db: Client, steps: StepWrites, completion: StepCompletion, fence: number, oneRoundTrip: boolean, next?: HandOff): Promise<MaterializationRecord | undefined> {
    const checked = this.checkFence(db, completion.step, fence)
    const completed = steps.complete(completion, { oneRoundTrip })
    // Sharing a transaction too, as the one-statement form does (completeBatched): the release takes
    // row locks only, and its events and the end naming the step are queued for the transaction's end.
    const handOff = next && !oneRoundTrip ? handOffParams(completion, next) : undefined
    const released = handOff
      ? RELEASE_HAND_OFF.get(db, { ...handOff.params, ...keyParams(completion.step), status: completion.step.status, at: completion.step.at.getTime(), materialized: completion.materialization ? 1 : 0 })
      : db.query({ name: 'trb_release_step_lease', text: `DELETE FROM leases WHERE asset_key = $1 AND partition = $2 AND holder = $3`, values: [completion.step.assetKey, partitionKey(completion.step.partition), completion.step.runId] }).then(() => undefined)
    if (!handOff) this.recordEnd(db, completion.step, fence, endOf(completion))
    const [, materialization, handed] = await Promise.all([checked, completed, released])
    if (handOff) {
      if (handed?.handed) for (const event of handOff.events) queueEvent(db, event)
      this.recordEnd(db, completion.step, fence, { ...endOf(completion), ...(handed?.handed ? { handedOff: { assetKey: next!.assetKey, partition: next!.partition } } : {}) })
    }
    return materialization
  }

  // A completion without checks, its materialization (if any) the step's own: one statement (see COMPLETE_STEP).
  private async completeInOneStatement(completion: StepCompletion, fence: number, next: HandOff | undefined, keep: KeepHandOff | undefined): Promise<MaterializationRecord | undefined> {
    const { step, materialization } = completion
    const done = await this.write((db) => (sharesTransaction(db) ? this.completeBatched(db, completion, fence, next, keep) : this.completeAlone(db, completion, fence, next, keep)), { oneRoundTrip: true, single: true })
    if (!done || done.ok === 0) throw staleAttempt(step, fence, done?.fence ?? null, done?.ended === true)
    return materialization && { ...materialization, id: Number(done.id) }
  }

  // COMPLETE_STEP alone in its transaction: with `next`, the hand-off of it too (one statement
  // still), with `keep` claimed for its worker (keep.kept set when it was).
  private async completeAlone(db: Client, completion: StepCompletion, fence: number, next: HandOff | undefined, keep?: KeepHandOff): Promise<CompletionRow | undefined> {
    const params = this.completionParams(completion, fence)
    if (!next) return COMPLETE_STEP.logged.get(db, params)
    if (!keep) return COMPLETE_STEP.handOff.get(db, { ...params, ...handOffParams(completion, next).params })
    return COMPLETE_STEP.keep.get(db, { ...params, ...handOffParams(completion, next, true).params, workerId: keep.workerId }).then((row) => kept(row, completion, keep))
  }

  // COMPLETE_STEP in a transaction shared with other writes (or left open, a hold): it writes rows
  // only; its events and the attempt's end are queued for the transaction's end, under the write
  // lock. With `next`, its hand-off too (`keep`: claimed for its worker), its events after the step's.
  private completeBatched(db: Client, completion: StepCompletion, fence: number, next?: HandOff, keep?: KeepHandOff): Promise<CompletionRow | undefined> {
    const { step, materialization } = completion
    const params = this.completionParams(completion, fence)
    const handOff = next && handOffParams(completion, next, keep !== undefined)
    const written = !handOff ? COMPLETE_STEP.batched.get(db, params)
      : keep ? COMPLETE_STEP.keepBatched.get(db, { ...params, ...handOff.params, workerId: keep.workerId }).then((row) => kept(row, completion, keep))
        : COMPLETE_STEP.handOffBatched.get(db, { ...params, ...handOff.params })
    queueEvent(db, written.then((done) => (done?.ok && materialization && done.id !== null
      ? { type: 'materialization', at: materialization.createdAt.getTime(), runId: step.runId, assetKey: step.assetKey, partition: partitionKey(step.partition), payload: JSON.stringify({ ...materialization, id: Number(done.id) }) }
      : null)))
    const event = stepEventOf(step)
    queueEvent(db, written.then((done) => (done?.ok ? event : null)))
    const end = { ...keyParams(step), fence }
    if (!handOff) {
      gatherAtEnd(db, 'attempt_ends', { ...end, outcome: params.outcome }, attemptEnds, { underLock: true })
      return written
    }
    // Each derived promise is someone's: a failed statement rejects them all (the batch then runs again alone).
    const handed = written.then((done) => Number(done?.handed ?? 0) > 0)
    for (const handedEvent of handOff.events) queueEvent(db, handed.then((yes) => (yes ? handedEvent : null)))
    gatherAtEnd(db, 'attempt_ends', handed.then((yes) => ({ ...end, outcome: yes ? withHandedOff(params.outcome, handOff.params.nextRef) : params.outcome })), attemptEnds, { underLock: true })
    return written
  }

  private completionParams(completion: StepCompletion, fence: number) {
    const { step, materialization } = completion
    const event = stepEventOf(step)
    const row = materialization && materializationRow(materialization)
    return {
      ...stepUpdateParams(step), fence, lockKey: this.lockKey, eventType: event.type, payload: event.payload, outcome: JSON.stringify(endOf(completion)), jobKey: jobKey(step),
      materialized: row ? 1 : 0, codeVersion: row?.codeVersion ?? null, dataVersion: row?.dataVersion ?? null, inputVersions: row?.inputVersions ?? null,
      rowCount: row?.rowCount ?? null, columns: row?.columns ?? null, materializationMs: row?.durationMs ?? null, createdAt: row?.createdAt ?? null,
      materializationPayload: materialization ? JSON.stringify(materialization) : null,
    }
  }

  async endAttempt(end: Omit<AttemptEnd, 'runId' | 'assetKey' | 'partition' | 'attempt' | 'worker'>, ref: StepRef, fence: number): Promise<boolean> {
    return this.write(async (db) => {
      try {
        await this.checkFence(db, ref, fence)
      } catch (error) {
        if (error instanceof TributaryError && error.code === ErrorCode.StaleAttempt) return false
        throw error
      }
      this.recordEnd(db, ref, fence, end)
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
      // Kept steps no worker runs have no job yet: they get one now (its add wakes the workers).
      // Apart from the rest: a failure there does not hold them back.
      const requeued = REQUEUE_KEPT.run(this.pool, { leaseMs: Math.trunc(leaseMs), task: STEP_TASK })
      requeued.catch(() => undefined)
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
      await requeued
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
  private async checkFence(db: Client, ref: StepRef, fence: number): Promise<void> {
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

  // Under the write lock, after the holder locked the claim's row (checkFence): ends are numbered
  // in commit order, so the control plane reading "ended_seq > last seen" never skips one. Watchers
  // of ENDS_CHANNEL are told at the commit.
  private recordEnd(db: Client, ref: StepRef, fence: number, end: { status: string; error: SerializedError | null; retryable: boolean; reason: string | null; durationMs: number | null; handedOff?: AttemptEnd['handedOff']; published?: AttemptEnd['published'] }): void {
    const { status, error, retryable, reason, durationMs, handedOff, published } = end
    const outcome = JSON.stringify({ status, error, retryable, reason, durationMs, ...(handedOff ? { handedOff } : {}), ...(published ? { published } : {}) })
    gatherAtEnd(db, 'attempt_ends', { ...keyParams(ref), fence, outcome }, attemptEnds, { underLock: true })
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw asStoreError(error, this.config.url)
    }
  }
}


/** Whether a completion is written in one statement (COMPLETE_STEP): no checks, and a materialization, if any, of the step's own asset-partition. */
function completesInOneStatement(completion: StepCompletion): boolean {
  return completesInOneRoundTrip(completion) && (!completion.materialization || ownMaterialization(completion) !== undefined)
}

// The completion's materialization when it is the step's own (its asset-partition, its run).
function ownMaterialization({ step, materialization }: StepCompletion) {
  return materialization && materialization.assetKey === step.assetKey && partitionKey(materialization.partition) === partitionKey(step.partition) && materialization.runId === step.runId
    ? materialization : undefined
}

// The hand-off's parameters (see handOffCtes in step-queue-statements.ts): the offered step's job, as the control plane would enqueue it, and its waiting record; and that record's events, in order.
// `kept`: claimed by the worker at once (see KeepHandOff): recorded waiting, then running.
function handOffParams(completion: StepCompletion, next: HandOff, kept = false) {
  const { step } = completion
  const ref = { runId: step.runId, assetKey: next.assetKey, partition: next.partition }
  const job = handedOffJob(step.runId, next)
  const reason = `queued for a worker (handed over by the worker of ${step.assetKey})`
  const event = stepEventOf({ ...ref, status: 'waiting', attempt: 1, at: step.at, reason })
  const running = kept ? stepEventOf({ ...ref, status: 'running', attempt: 1, at: step.at, reason: null }) : undefined
  const key = jobKey(ref)
  const flags = next.pool ? [`pool:${next.pool}`] : null
  const params = {
    nextAssetKey: next.assetKey, nextPartition: partitionKey(next.partition), nextUnlessRead: unlessRead(completion, next),
    nextJob: JSON.stringify(job), nextJobKey: key, nextFlags: flags, task: STEP_TASK,
    nextReason: kept ? null : reason, nextPayload: event.payload,
    nextRef: JSON.stringify({ assetKey: next.assetKey, partition: next.partition }),
    // Kept: recorded waiting (its event, as any step's), then running at once; its job's spec kept
    // in its claim, for the workers to enqueue if this one goes silent (REQUEUE_KEPT). Without the
    // offers after it (the control plane starts those): a few hundred bytes a claim, not a chain's.
    ...(kept ? {
      nextRunningPayload: running!.payload,
      keptJob: JSON.stringify({ payload: { ...job, next: undefined }, key, flags }),
    } : {}),
  }
  return { params, events: running ? [event, running] : [event] }
}

// What the offered step must have last read for a completion not to hand it off (see handOffCtes;
// null: it hands off whatever the step read): the upstream's new data version, or, for a step of
// the backlog, its upstreams' versions published in the run (HandOff.whenChanged).
function unlessRead({ step, materialization }: StepCompletion, next: HandOff): string | null {
  if (!next.whenChanged) return null
  const versions = next.backlog
    ? Object.fromEntries(Object.entries(next.known ?? {}).map(([key, published]) => [key, published.dataVersion]))
    : { [step.assetKey]: materialization?.dataVersion ?? null }
  return JSON.stringify(versions)
}

// The end of a completion that handed off the offered step (`ref`, its JSON): it names it, as COMPLETE_STEP's does.
function withHandedOff(outcome: string, ref: string): string {
  return `${outcome.slice(0, -1)},"handedOff":${ref}}`
}

// Whether a completion kept the offered step: `keep.kept`, with the fence of its claim and what the
// completed step published (which the kept one reads). Only with a materialization recorded (the
// hand-off's gate). Set anew by each try: a batch rolled back and run again alone says it again.
function kept<Row extends CompletionRow & { readonly kept_fence?: number | string | null }>(row: Row | undefined, { materialization }: StepCompletion, keep: KeepHandOff): Row | undefined {
  keep.kept = row?.ok && materialization && row.kept_fence !== null && row.kept_fence !== undefined
    ? { fence: Number(row.kept_fence), upstream: { dataVersion: materialization.dataVersion, rowCount: materialization.rowCount } }
    : undefined
  return row
}

// The jobs of a transaction's enqueues, added at its end in one statement (see ADD_JOBS): one per
// key, the last enqueued (a later attempt of the step replaces an earlier one, as its rows did).
function addJobs(jobs: { readonly payload: string; readonly key: string; readonly flag: string | null }[]) {
  const last = [...new Map(jobs.map((job) => [job.key, job])).values()]
  return ADD_JOBS.bind({ task: STEP_TASK, payloads: last.map((j) => j.payload), keys: last.map((j) => j.key), flags: last.map((j) => j.flag) })
}

// The ends of a transaction's attempts, recorded under the write lock in one statement (see ATTEMPT_ENDS).
function attemptEnds(ends: { readonly runId: string; readonly assetKey: string; readonly partition: string; readonly fence: number; readonly outcome: string }[]) {
  return ATTEMPT_ENDS.bind({ runIds: ends.map((e) => e.runId), assetKeys: ends.map((e) => e.assetKey), partitions: ends.map((e) => e.partition), fences: ends.map((e) => e.fence), outcomes: ends.map((e) => e.outcome) })
}

// How a completed attempt ended, as step_claims records it; with what it published of its own (see AttemptEnd.published).
function endOf(completion: StepCompletion) {
  const { step } = completion
  const own = ownMaterialization(completion)
  return {
    status: step.status, error: step.error ?? null, retryable: false, reason: step.reason ?? null, durationMs: step.durationMs ?? null,
    ...(own ? { published: { dataVersion: own.dataVersion, rowCount: own.rowCount } } : {}),
  }
}

// TRB7003: the attempt's fence is no longer the step's (`now`: the step's fence, null when unclaimed).
function staleAttempt(ref: StepRef, fence: number, now: number | string | null, ended: boolean): TributaryError {
  const step = `${ref.assetKey}${ref.partition === null ? '' : ` [${ref.partition}]`} in run ${ref.runId}`
  // Its own fence, ended: the attempt was ended without it (a cancel of its run).
  if (ended && now !== null && Number(now) === fence) {
    return new TributaryError(ErrorCode.StaleAttempt, `the attempt of ${step} with fence ${fence} ended meanwhile (its run was canceled), so its result is not recorded`, {
      context: { runId: ref.runId, assetKey: ref.assetKey },
      hint: 'Nothing to do: the run was canceled.',
    })
  }
  return new TributaryError(ErrorCode.StaleAttempt, `the attempt of ${step} with fence ${fence} is no longer the step's (${now === null ? 'no claim' : `its fence is now ${now}${ended ? ', and it ended' : ''}`}): this worker's lease expired and another worker took the step, so its result is not recorded`, {
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
