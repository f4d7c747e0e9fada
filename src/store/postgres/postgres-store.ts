import { ErrorCode, TributaryError, type SerializedError } from '../../model/errors.js'
import {
  type AssetStateRecord, type AssetStateSummary, type CheckResultRecord, type EventRecord, type LeaseResult, type LogRecord,
  type MaterializationRecord, type NewCheckResult, type NewMaterialization, type ObservationRecord,
  type RunRecord, type RunRequest, type RunStatus, type StepRecord, type StepUpdate,
} from '../records.js'
import type { NewRun, StepCompletion, StepCount, StepStart, StepStartResult, Store, StoreOutage } from '../store.js'
import { DEFAULT_RETRY_FOR_MS, type PostgresStoreConfig } from '../store-config.js'
import { toAssetState, toAssetStateSummary, type StoredCheck } from '../sqlite/asset-state-rows.js'
import {
  jsonOrNull, materializationRow, millis, partitionKey, stepUpdateParams, toCheckResult, toEvent, toLog, toMaterialization, toObservation, toRun, toStep,
} from '../sqlite/row-mappers.js'
import { cutLine, DEFAULT_LOG_LIMITS, truncatedMessage, type LogLimits } from '../log-limits.js'
import { applyMigrations, loadMigrations } from './migrations.js'
import { GENERIC_PLANS, openPool, withSessionSettings, type Client, type Pool } from './open-pool.js'
import { RideOut } from './ride-out.js'
import { prepareStatements } from './statements.js'
import { stepEventOf } from './step-params.js'
import { EventListener } from './event-listener.js'
import { completesInOneRoundTrip, PostgresStepQueue, type StepWrites } from './postgres-step-queue.js'
import { inWriteTransaction, queueEvent, requireAlone, sharesTransaction, WriteBatcher } from './write-transaction.js'
import type { StepQueue } from '../step-queue.js'

// Every write transaction that appends events takes this lock just before appending them and
// holds it to its commit, so event ids become visible in id order and a tail reading
// "id > lastSeen" never skips an event that commits after a higher one (see inWriteTransaction).
// Reads take no lock.
const WRITE_LOCK = 0x747262777269

// Read-modify-write of one key (a run's continuation, a step attempt's log budget, a source's
// newest look) takes a transaction lock on the key, so two writers of the same key take turns.
const keyLock = (db: Client, key: string) => db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`tributary:${key}`])

const sql = prepareStatements()

/** The scale-out metadata store: one PostgreSQL database shared by every process and machine. */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const
  private listener: EventListener | undefined
  private queue: PostgresStepQueue | undefined
  private readonly batcher: WriteBatcher
  private readonly oneRoundTrip: WriteBatcher
  // Lease releases share transactions among themselves, never making a start wait behind one.
  private readonly releases: WriteBatcher

  private constructor(
    private readonly pool: Pool, private readonly config: PostgresStoreConfig, private readonly logLimits: LogLimits, private readonly rideOut: RideOut,
  ) {
    this.batcher = new WriteBatcher(pool, WRITE_LOCK)
    this.oneRoundTrip = new WriteBatcher(pool, WRITE_LOCK, { oneRoundTrip: true })
    this.releases = new WriteBatcher(pool, WRITE_LOCK, { oneRoundTrip: true })
  }

  /**
   * Opens a pool on `config.url` and checks that the database answers (TRB4020 when not). Does not
   * migrate: call `migrate()`. `logLimits` bound each step attempt's stored log. Default: DEFAULT_LOG_LIMITS.
   * `genericPlans`: every statement planned once per connection (GENERIC_PLANS), for a process that
   * reads only by key (a fleet worker); a control plane's reads with optional filters need plans
   * for their values. Default: false. `rideOut`: whether statements are tried again through a short
   * outage, for `config.retryForMs` (see RideOut; a fleet worker rides out outages its own way). Default: true.
   */
  static async open(config: PostgresStoreConfig, options: { logLimits?: Partial<LogLimits>; genericPlans?: boolean; rideOut?: boolean } = {}): Promise<PostgresStore> {
    const connect = options.genericPlans ? { ...config, url: withSessionSettings(config.url, GENERIC_PLANS) } : config
    const rideOut = new RideOut(config.url, options.rideOut === false ? 0 : config.retryForMs ?? DEFAULT_RETRY_FOR_MS)
    const store = new PostgresStore(openPool(connect, { pipeline: true }), config, { ...DEFAULT_LOG_LIMITS, ...options.logLimits }, rideOut)
    try {
      // Not ridden out: a store out of reach at the start is said at once.
      await store.guard(() => store.pool.query('SELECT 1'), { once: true })
    } catch (error) {
      await store.pool.end()
      throw error
    }
    return store
  }

  async migrate(): Promise<void> {
    await this.guard(() => applyMigrations(this.pool, this.config.url, loadMigrations()))
  }

  async close(): Promise<void> {
    await this.listener?.close()
    await this.queue?.close()
    await this.pool.end()
  }

  /**
   * Calls `onEvents` soon after any process appends events (PostgreSQL LISTEN/NOTIFY), so a live
   * tail reads `listEvents({ afterId })` when there is something to read instead of polling.
   * Returns how to stop listening.
   */
  async watchEvents(onEvents: () => void): Promise<() => void> {
    this.listener ??= new EventListener(this.config)
    return this.listener.add(onEvents)
  }

  async createRun(run: NewRun): Promise<void> {
    await this.write(async (db) => {
      const continues = run.continues ?? null
      if (continues !== null) await keyLock(db, `continues:${continues}`)
      const other = continues === null ? undefined : await sql.continuedBy.get(db, { continues })
      if (other) {
        throw new TributaryError(ErrorCode.RunNotActive, `run ${continues} is already continued by run ${other.id}`, {
          context: { runId: continues! }, hint: `Follow run ${other.id} (tributary run ${other.id}); resume that one if it stops short.`,
        })
      }
      const startedAt = run.startedAt.getTime()
      await sql.insertRun.run(db, {
        id: run.id, selection: run.selection, trigger: run.trigger, pid: run.pid, host: run.host, startedAt, stepCount: run.steps.length, continues,
      })
      // One statement for all steps: a 10,000-step run is one round trip, not 20,000.
      await sql.insertSteps.run(db, {
        runId: run.id, firstSeq: 0, assetKeys: run.steps.map((step) => step.assetKey), partitions: run.steps.map((step) => partitionKey(step.partition)),
      })
      await sql.setLastSteps.run(db, { runId: run.id })
      this.event(db, 'run_started', startedAt, run.id, null, null, {
        selection: run.selection, trigger: run.trigger, pid: run.pid, host: run.host, steps: run.steps,
      })
    })
  }

  async finishRun(runId: string, status: RunStatus, at: Date, error: SerializedError | null = null): Promise<void> {
    await this.write(async (db) => {
      const { rowCount } = await sql.finishRun.run(db, { id: runId, status, at: at.getTime(), error: jsonOrNull(error) })
      if (rowCount === 0) throw runNotFound(runId)
      this.event(db, 'run_finished', at.getTime(), runId, null, null, { status, error })
    })
  }

  async heartbeat(runId: string, at: Date): Promise<RunRequest | null> {
    // Not tried again through an outage: the next beat writes a later time (tried again, beats would pile up and land in any order).
    const row = await this.guard(() => sql.heartbeat.get(this.pool, { id: runId, at: at.getTime() }), { once: true })
    if (!row) throw runNotFound(runId)
    return row.requested ?? null
  }

  async requestRun(runId: string, request: RunRequest, at: Date): Promise<RunRecord | undefined> {
    return this.write(async (db) => {
      const { rowCount } = await sql.requestRun.run(db, { id: runId, request })
      if (rowCount > 0) this.event(db, 'run_requested', at.getTime(), runId, null, null, { request })
      const row = await sql.getRun.get(db, { id: runId })
      return row ? toRun(row) : undefined
    })
  }

  async updateStep(update: StepUpdate): Promise<void> {
    await this.write((db) => this.applyStepUpdate(db, update), { batch: true })
  }

  async updateSteps(updates: readonly StepUpdate[]): Promise<void> {
    await this.write(async (db) => {
      for (const update of updates) await this.applyStepUpdate(db, update)
    })
  }

  async completeStep(completion: StepCompletion): Promise<MaterializationRecord | undefined> {
    const oneRoundTrip = completesInOneRoundTrip(completion)
    return this.write((db) => this.applyCompletion(db, completion, { oneRoundTrip }), { batch: true, oneRoundTrip })
  }

  /** The worker fleet's queue on this database (`executor: queue()`): graphile-worker jobs written with the step records. */
  stepQueue(): StepQueue {
    this.queue ??= new PostgresStepQueue(this.pool, this.config, (fn, options) => this.write((db) => fn(db, this.stepWrites(db)), { batch: true, ...options }), WRITE_LOCK, (db) => this.stepWrites(db))
    return this.queue
  }

  async recordObservation(observation: ObservationRecord): Promise<void> {
    await this.write(async (db) => {
      await keyLock(db, `source:${observation.sourceKey}`)
      const row = {
        sourceKey: observation.sourceKey,
        observedAt: observation.observedAt.getTime(),
        exists: observation.exists ? 1 : 0,
        lastUpdated: millis(observation.lastUpdated),
        dataVersion: observation.dataVersion,
        rowCount: observation.rowCount,
        schemaFingerprint: observation.schemaFingerprint,
        columns: jsonOrNull(observation.columns),
      }
      await sql.insertObservation.run(db, row)
      await sql.setSourceState.run(db, row)
      this.event(db, 'observation', row.observedAt, null, observation.sourceKey, null, observation)
    })
  }

  /** Stores the line while its step attempt is within the log limits; past them, counts it on one marker line (event only for the first). */
  async appendLog(log: LogRecord): Promise<void> {
    await this.write(async (db) => {
      const at = log.at.getTime()
      const key = { runId: log.runId, assetKey: log.assetKey, partition: partitionKey(log.partition), attempt: log.attempt ?? 0 }
      const stream = log.stream ?? 'log'
      const message = cutLine(String(log.message), this.logLimits.lineBytes)
      const bytes = Buffer.byteLength(message)
      // Lines of one attempt arrive at once (a step logs without awaiting): they take turns on its budget.
      const [, budgetRow] = await Promise.all([keyLock(db, `log:${JSON.stringify(key)}`), sql.logBudget.get(db, key)])
      const budget = budgetRow ?? { lines: 0, bytes: 0, markerId: null }
      if (budget.markerId !== null) {
        const { truncated } = (await sql.countTruncated.get(db, { id: budget.markerId }))!
        await sql.setLogMessage.run(db, { id: budget.markerId, message: truncatedMessage(truncated, this.logLimits) })
        return
      }
      if (budget.lines < this.logLimits.lines && budget.bytes + bytes <= this.logLimits.bytes) {
        await sql.insertLog.run(db, { ...key, level: log.level, message, at, stream, truncated: null })
        await sql.setLogBudget.run(db, { ...key, lines: budget.lines + 1, bytes: budget.bytes + bytes, markerId: null })
        this.event(db, 'log', at, log.runId, log.assetKey, key.partition, { level: log.level, message, attempt: key.attempt, stream })
        return
      }
      const text = truncatedMessage(1, this.logLimits)
      const marker = await sql.insertLog.get(db, { ...key, level: 'warn', message: text, at, stream: 'log', truncated: 1 })
      await sql.setLogBudget.run(db, { ...key, lines: budget.lines, bytes: budget.bytes, markerId: marker!.id })
      this.event(db, 'log', at, log.runId, log.assetKey, key.partition, { level: 'warn', message: text, attempt: key.attempt, stream: 'log', truncated: 1 })
    })
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = await this.guard(() => sql.getRun.get(this.pool, { id: runId }), { read: true })
    return row && toRun(row)
  }

  async listRuns(options: { limit?: number; status?: RunStatus; trigger?: string; selection?: string } = {}): Promise<RunRecord[]> {
    return (await this.guard(() => sql.listRuns.all(this.pool, {
      status: options.status ?? null, trigger: options.trigger ?? null, selection: options.selection ?? null, limit: options.limit ?? 50,
    }), { read: true })).map(toRun)
  }

  async stepCounts(runId: string): Promise<StepCount[]> {
    return this.guard(() => sql.stepCounts.all(this.pool, { runId }), { read: true })
  }

  async listActiveRuns(): Promise<RunRecord[]> {
    return (await this.guard(() => sql.listActiveRuns.all(this.pool), { read: true })).map(toRun)
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    return (await this.guard(() => sql.listSteps.all(this.pool, { runId }), { read: true })).map(toStep)
  }

  async listLogs(runId: string, assetKey?: string): Promise<LogRecord[]> {
    return (await this.guard(() => sql.listLogs.all(this.pool, { runId, assetKey: assetKey ?? null }), { read: true })).map(toLog)
  }

  async assetStates(keys?: readonly string[], options: { partition?: string | null } = {}): Promise<AssetStateRecord[]> {
    const partition = options.partition === undefined ? null : partitionKey(options.partition)
    const rows = await this.guard(() => (keys ? sql.assetStatesOf.all(this.pool, { keys, partition }) : sql.assetStates.all(this.pool, { partition })), { read: true })
    return rows.map(toAssetState)
  }

  async assetStateSummaries(keys?: readonly string[], options: { partition?: string | null } = {}): Promise<AssetStateSummary[]> {
    const partition = options.partition === undefined ? null : partitionKey(options.partition)
    const rows = await this.guard(() => (keys
      ? sql.assetStateSummariesOf.all(this.pool, { keys, partition })
      : sql.assetStateSummaries.all(this.pool, { partition })), { read: true })
    return rows.map(toAssetStateSummary)
  }

  async listMaterializations(assetKey: string, options: { limit?: number; partition?: string | null } = {}): Promise<MaterializationRecord[]> {
    const limit = options.limit ?? 50
    const rows = await this.guard(() => options.partition === undefined
      ? sql.listMaterializations.all(this.pool, { assetKey, limit })
      : sql.listMaterializationsOfPartition.all(this.pool, { assetKey, partition: partitionKey(options.partition), limit }), { read: true })
    return rows.map(toMaterialization)
  }

  async listCheckResults(assetKey: string, options: { limit?: number } = {}): Promise<CheckResultRecord[]> {
    return (await this.guard(() => sql.listCheckResults.all(this.pool, { assetKey, limit: options.limit ?? 100 }), { read: true })).map(toCheckResult)
  }

  async latestObservations(keys?: readonly string[]): Promise<ObservationRecord[]> {
    const rows = await this.guard(() => (keys ? sql.latestObservationsOf.all(this.pool, { keys }) : sql.latestObservations.all(this.pool)), { read: true })
    return rows.map(toObservation)
  }

  async listObservations(sourceKey: string, options: { limit?: number } = {}): Promise<ObservationRecord[]> {
    return (await this.guard(() => sql.listObservations.all(this.pool, { sourceKey, limit: options.limit ?? 50 }), { read: true })).map(toObservation)
  }

  async listEvents(options: { afterId?: number; limit?: number; runId?: string } = {}): Promise<EventRecord[]> {
    const params = { afterId: options.afterId ?? 0, limit: options.limit ?? 1000 }
    const rows = await this.guard(() => options.runId === undefined
      ? sql.listEvents.all(this.pool, params)
      : sql.listEventsOfRun.all(this.pool, { ...params, runId: options.runId }), { read: true })
    return rows.map(toEvent)
  }

  async lastEventId(): Promise<number> {
    return (await this.guard(() => sql.lastEventId.get(this.pool), { read: true }))!.id
  }

  async pruneEvents(before: Date): Promise<number> {
    return this.write(async (db) => (await sql.pruneEvents.run(db, { before: before.getTime() })).rowCount)
  }

  async acquireLease(assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    return this.write((db) => this.takeLease(db, assetKey, partition, holder, ttlMs, now))
  }

  async startStep(start: StepStart): Promise<StepStartResult> {
    const begin = async (db: Client): Promise<StepStartResult> => {
      // The read goes out with the lease and runs after it: it sees every publish the lease could have raced.
      const [lease, last] = await Promise.all([
        this.takeLease(db, start.assetKey, start.partition, start.runId, start.ttlMs, start.now),
        start.lastMaterializationId === undefined ? undefined : sql.lastMaterializationId.get(db, { assetKey: start.assetKey, partition: partitionKey(start.partition) }),
      ])
      if (!lease.acquired) return { ...lease, stale: false }
      if (start.lastMaterializationId !== undefined && (last?.id ?? null) !== start.lastMaterializationId) return { ...lease, stale: true }
      if (start.update) await this.applyStepUpdate(db, start.update)
      return { ...lease, stale: false }
    }
    // Nothing recorded with the lease (a queue worker records the start): one round trip, sharing
    // its transaction with the other starts and enqueues on their way.
    return this.write(begin, { batch: true, oneRoundTrip: !start.update })
  }

  // Sends its statement before its first await (a write in one round trip may call it).
  private async takeLease(db: Client, assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    const key = { assetKey, partition: partitionKey(partition) }
    const taken = await sql.acquireLease.get(db, { ...key, holder, now: now.getTime(), expiresAt: now.getTime() + ttlMs })
    if (taken!.acquired > 0) return { acquired: true, holder }
    // Rarely (a taker committed while the statement ran) read again: only to say who holds it.
    return { acquired: false, holder: taken!.holder ?? (await sql.leaseHolder.get(db, key))?.holder ?? null }
  }

  async renewLeases(holder: string, ttlMs: number, now: Date): Promise<void> {
    // Not tried again through an outage, as the heartbeat: the next renewal sets a later expiry.
    await this.guard(() => sql.renewLeases.run(this.pool, { holder, expiresAt: now.getTime() + ttlMs }), { once: true })
  }

  async releaseLease(assetKey: string, partition: string | null, holder: string): Promise<void> {
    await this.guard(() => this.releases.write((db) => sql.releaseLease.run(db, { assetKey, partition: partitionKey(partition), holder })))
  }

  async releaseLeasesOf(holder: string): Promise<void> {
    // In a write transaction, so that a deadlock with a batch of workers' completions (each
    // releasing its lease, in no set order) is run again rather than thrown.
    await this.write(async (db) => void await sql.releaseLeasesOf.run(db, { holder }))
  }

  /**
   * Runs `fn` as one write transaction; its events are appended at its end under WRITE_LOCK.
   * `batch`: it may share its transaction with other writes of this process (a step's start, update
   * or end: many at once), see WriteBatcher. `oneRoundTrip`: `fn` sends every statement before its
   * first await, and its conditions fail in SQL (see inWriteTransaction). `single`: batched, `fn`
   * sends one statement when its batch is its own, and it then runs alone, without BEGIN and COMMIT
   * (see inOneStatement). Default: false for all.
   */
  private write<T>(fn: (db: Client) => Promise<T>, options: { batch?: boolean; oneRoundTrip?: boolean; single?: boolean } = {}): Promise<T> {
    return this.guard(() => options.batch
      ? (options.oneRoundTrip ? this.oneRoundTrip : this.batcher).write(fn, { single: options.single === true })
      : inWriteTransaction(this.pool, WRITE_LOCK, fn, { oneRoundTrip: options.oneRoundTrip === true }))
  }

  /** Calls `watcher` when the store goes out of reach and when it is back, while statements are tried again (see RideOut); returns how to stop. */
  watchOutages(watcher: (outage: StoreOutage) => void): () => void {
    return this.rideOut.watch(watcher)
  }

  // A write, tried again through an outage only when it never reached the server (see RideOut);
  // `read` (or a write that does the same twice), always; `once`, never.
  private guard<T>(fn: () => Promise<T>, options: { read?: boolean; once?: boolean } = {}): Promise<T> {
    return this.rideOut.run(fn, { idempotent: options.read === true, once: options.once === true })
  }

  // Queued: appended with the commit (see inWriteTransaction).
  private event(db: Client, type: string, at: number, runId: string | null, assetKey: string | null, partition: string | null, payload: object): void {
    queueEvent(db, { type, at, runId, assetKey, partition, payload: JSON.stringify(payload) })
  }

  private stepWrites(db: Client): StepWrites {
    return {
      lease: (assetKey, partition, holder, ttlMs, now) => this.takeLease(db, assetKey, partition, holder, ttlMs, now),
      update: (update) => this.applyStepUpdate(db, update),
      complete: (completion, options) => this.applyCompletion(db, completion, options),
    }
  }

  // `oneRoundTrip` (see completesInOneRoundTrip): every statement goes out before the first await.
  private async applyCompletion(db: Client, completion: StepCompletion, options: { oneRoundTrip?: boolean } = {}): Promise<MaterializationRecord | undefined> {
    // The statements go out together, the step first (every writer locks a step's row before its
    // asset's state); the events keep the order of the work: published, then checked, then the step ends.
    const step = this.applyStepUpdate(db, completion.step, { queue: false })
    // Its event in the same statement only when the write is alone: that statement takes the write lock,
    // which in a shared transaction would come before the later writes' row locks.
    const logged = options.oneRoundTrip === true && !sharesTransaction(db)
    const materialization = completion.materialization && (logged ? this.insertMaterializationLogged(db, completion.materialization) : this.insertMaterialization(db, completion.materialization))
    const checks = completion.checks && completion.checks.length > 0 ? this.insertCheckResults(db, completion.checks) : undefined
    queueEvent(db, stepEventOf(completion.step))
    const [, record] = await Promise.all([step, materialization, checks])
    return record
  }

  private async applyStepUpdate(db: Client, update: StepUpdate, options: { queue?: boolean } = {}): Promise<void> {
    const params = stepUpdateParams(update)
    const key = { runId: params.runId, assetKey: params.assetKey, partition: params.partition }
    if (options.queue !== false) queueEvent(db, stepEventOf(update))
    if ((await sql.updateStep.run(db, params)).rowCount === 0) {
      // A step the plan did not list goes after the planned ones and counts as one more step.
      requireAlone(db)
      const run = await sql.lockRun.get(db, { id: update.runId })
      if (!run) throw runNotFound(update.runId)
      await sql.insertStep.run(db, { ...key, seq: run.step_count })
      await sql.countStep.run(db, key)
      await sql.updateStep.run(db, params)
    }
  }

  private async insertMaterialization(db: Client, materialization: NewMaterialization): Promise<MaterializationRecord> {
    const row = materializationRow(materialization)
    const inserted = sql.insertMaterialization.get(db, row).then((r) => ({ ...materialization, id: r!.id }))
    // Its event carries its id: queued now (in order), filled in once the insert answers.
    queueEvent(db, inserted.then((record) => ({ type: 'materialization', at: record.createdAt.getTime(), runId: record.runId, assetKey: record.assetKey, partition: row.partition, payload: JSON.stringify(record) })))
    return inserted
  }

  // With its event in the same statement, after the write lock: nothing waits on the id.
  private async insertMaterializationLogged(db: Client, materialization: NewMaterialization): Promise<MaterializationRecord> {
    const inserted = await sql.insertMaterializationLogged.get(db, { ...materializationRow(materialization), lockKey: WRITE_LOCK, payload: JSON.stringify(materialization) })
    return { ...materialization, id: inserted!.id }
  }

  private async insertCheckResults(db: Client, checks: readonly NewCheckResult[]): Promise<void> {
    // Checks normally all belong to the completed step, but each keeps its own asset (partition).
    const latest = new Map<string, { assetKey: string; partition: string; checks: Promise<StoredCheck>[] }>()
    for (const check of checks) {
      const partition = partitionKey(check.partition)
      const createdAt = check.createdAt.getTime()
      const stored = sql.insertCheckResult.get(db, {
        assetKey: check.assetKey,
        partition,
        runId: check.runId,
        checkName: check.checkName,
        checkType: check.checkType,
        severity: check.severity,
        blocking: check.blocking ? 1 : 0,
        passed: check.passed ? 1 : 0,
        failingRows: check.failingRows,
        sample: JSON.stringify(check.sample),
        message: check.message,
        createdAt,
      }).then((inserted): StoredCheck => ({ ...check, id: inserted!.id, createdAt }))
      const group = JSON.stringify([check.assetKey, partition])
      if (!latest.has(group)) latest.set(group, { assetKey: check.assetKey, partition, checks: [] })
      latest.get(group)!.checks.push(stored)
      queueEvent(db, stored.then((s) => ({ type: 'check_evaluated', at: createdAt, runId: check.runId, assetKey: check.assetKey, partition, payload: JSON.stringify({ ...check, id: s.id }) })))
    }
    for (const { assetKey, partition, checks: stored } of latest.values()) {
      await sql.setLastChecks.run(db, { assetKey, partition, checks: JSON.stringify(await Promise.all(stored)) })
    }
  }
}

function runNotFound(runId: string): TributaryError {
  return new TributaryError(ErrorCode.RunNotFound, `run ${runId} is not in the store`, {
    hint: 'Create the run with createRun before writing to it.',
    context: { runId },
  })
}
