import type Database from 'better-sqlite3'
import { ErrorCode, TributaryError, type SerializedError } from '../../model/errors.js'
import type {
  AssetStateRecord, AssetStateSummary, CheckResultRecord, EventRecord, LeaseResult, LogRecord,
  MaterializationRecord, NewCheckResult, NewMaterialization, ObservationRecord,
  RunRecord, RunRequest, RunStatus, StepRecord, StepUpdate,
} from '../records.js'
import type { NewRun, StepCompletion, StepCount, StepStart, StepStartResult, Store } from '../store.js'
import { applyMigrations, loadMigrations } from './migrations.js'
import { asStoreError, openDatabase, type OpenCheck } from './open-database.js'
import { toAssetState, toAssetStateSummary, type StoredCheck } from './asset-state-rows.js'
import {
  jsonOrNull, materializationRow, millis, partitionKey, stepUpdateParams, toCheckResult, toEvent, toLog, toMaterialization, toObservation, toRun, toStep,
} from './row-mappers.js'
import { prepareStatements, type Statements } from './statements.js'
import { WriteBatch } from './write-batch.js'
import { Checkpointer } from './checkpointer.js'
import { cutLine, DEFAULT_LOG_LIMITS, truncatedMessage, type LogLimits } from '../log-limits.js'

/** The embedded metadata store: one SQLite file in WAL mode, shared safely by several processes. */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const
  // Every write goes through one queue (WriteBatch), committed in order.
  readonly ordersWrites = true
  private statements: Statements | undefined
  private readonly batch: WriteBatch
  private readonly checkpointer: Checkpointer

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly logLimits: LogLimits,
  ) {
    this.checkpointer = new Checkpointer(db, path)
    this.batch = new WriteBatch(db, (error) => asStoreError(error, path), () => this.checkpointer.committed())
  }

  /**
   * Opens or creates the store at `path` (':memory:' for a throwaway one). Does not migrate: call `migrate()`.
   * `logLimits` bound each step attempt's stored log. Default: DEFAULT_LOG_LIMITS. `check` says how much
   * of the file is read for damage at open (TRB4001; an emptied file is TRB4010). Default: 'auto'.
   */
  static async open(path: string, options: { logLimits?: Partial<LogLimits>; check?: OpenCheck } = {}): Promise<SqliteStore> {
    return new SqliteStore(await openDatabase(path, { check: options.check ?? 'auto' }), path, { ...DEFAULT_LOG_LIMITS, ...options.logLimits })
  }

  async migrate(): Promise<void> {
    this.guard(() => applyMigrations(this.db, this.path, loadMigrations()))
  }

  async close(): Promise<void> {
    // Writes asked for before close are committed, as they would have been one by one.
    this.batch.flush()
    await this.checkpointer.close()
    this.db.close()
  }

  async createRun(run: NewRun): Promise<void> {
    return this.write(() => {
      const sql = this.sql()
      const startedAt = run.startedAt.getTime()
      const continues = run.continues ?? null
      const other = continues === null ? undefined : sql.continuedBy.get({ continues })
      if (other) {
        throw new TributaryError(ErrorCode.RunNotActive, `run ${continues} is already continued by run ${other.id}`, {
          context: { runId: continues! }, hint: `Follow run ${other.id} (tributary run ${other.id}); resume that one if it stops short.`,
        })
      }
      sql.insertRun.run({
        id: run.id, selection: run.selection, trigger: run.trigger, pid: run.pid, host: run.host, startedAt, stepCount: run.steps.length, continues,
      })
      run.steps.forEach((step, seq) => {
        const key = { runId: run.id, assetKey: step.assetKey, partition: partitionKey(step.partition) }
        sql.insertStep.run({ ...key, seq })
        sql.setLastStep.run(key)
      })
      this.event('run_started', startedAt, run.id, null, null, {
        selection: run.selection, trigger: run.trigger, pid: run.pid, host: run.host, steps: run.steps,
      })
    })
  }

  async finishRun(runId: string, status: RunStatus, at: Date, error: SerializedError | null = null): Promise<void> {
    return this.write(() => {
      const { changes } = this.sql().finishRun.run({ id: runId, status, at: at.getTime(), error: jsonOrNull(error) })
      if (changes === 0) throw runNotFound(runId)
      this.event('run_finished', at.getTime(), runId, null, null, { status, error })
    })
  }

  async heartbeat(runId: string, at: Date): Promise<RunRequest | null> {
    return this.guard(() => {
      const row = this.sql().heartbeat.get({ id: runId, at: at.getTime() })
      if (!row) throw runNotFound(runId)
      return row.requested ?? null
    })
  }

  async requestRun(runId: string, request: RunRequest, at: Date): Promise<RunRecord | undefined> {
    return this.write(() => {
      const { changes } = this.sql().requestRun.run({ id: runId, request })
      if (changes > 0) this.event('run_requested', at.getTime(), runId, null, null, { request })
      const row = this.sql().getRun.get({ id: runId })
      return row ? toRun(row) : undefined
    })
  }

  /** Applies `update`; see the `updateStep` statement for which fields carry over when left out. */
  async updateStep(update: StepUpdate): Promise<void> {
    return this.write(() => this.applyStepUpdate(update))
  }

  async updateSteps(updates: readonly StepUpdate[]): Promise<void> {
    return this.write(() => {
      for (const update of updates) this.applyStepUpdate(update)
    })
  }

  async completeStep(completion: StepCompletion): Promise<MaterializationRecord | undefined> {
    return this.write(() => {
      // Order in the log follows the work: published, then checked, then the step ends.
      const materialization = completion.materialization && this.insertMaterialization(completion.materialization)
      if (completion.checks && completion.checks.length > 0) this.insertCheckResults(completion.checks)
      this.applyStepUpdate(completion.step)
      return materialization
    })
  }

  async recordObservation(observation: ObservationRecord): Promise<void> {
    return this.write(() => {
      const sql = this.sql()
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
      sql.insertObservation.run(row)
      sql.setSourceState.run(row)
      this.event('observation', row.observedAt, null, observation.sourceKey, null, observation)
    })
  }

  /** Stores the line while its step attempt is within the log limits; past them, counts it on one marker line (event only for the first). */
  async appendLog(log: LogRecord): Promise<void> {
    return this.write(() => {
      const sql = this.sql()
      const at = log.at.getTime()
      const key = { runId: log.runId, assetKey: log.assetKey, partition: partitionKey(log.partition), attempt: log.attempt ?? 0 }
      const stream = log.stream ?? 'log'
      const message = cutLine(String(log.message), this.logLimits.lineBytes)
      const bytes = Buffer.byteLength(message)
      const budget = sql.logBudget.get(key) ?? { lines: 0, bytes: 0, markerId: null }
      if (budget.markerId !== null) {
        const { truncated } = sql.countTruncated.get({ id: budget.markerId })!
        sql.setLogMessage.run({ id: budget.markerId, message: truncatedMessage(truncated, this.logLimits) })
        return
      }
      if (budget.lines < this.logLimits.lines && budget.bytes + bytes <= this.logLimits.bytes) {
        sql.insertLog.run({ ...key, level: log.level, message, at, stream, truncated: null })
        sql.setLogBudget.run({ ...key, lines: budget.lines + 1, bytes: budget.bytes + bytes, markerId: null })
        this.event('log', at, log.runId, log.assetKey, key.partition, { level: log.level, message, attempt: key.attempt, stream })
        return
      }
      const text = truncatedMessage(1, this.logLimits)
      const { lastInsertRowid } = sql.insertLog.run({ ...key, level: 'warn', message: text, at, stream: 'log', truncated: 1 })
      sql.setLogBudget.run({ ...key, lines: budget.lines, bytes: budget.bytes, markerId: Number(lastInsertRowid) })
      this.event('log', at, log.runId, log.assetKey, key.partition, { level: 'warn', message: text, attempt: key.attempt, stream: 'log', truncated: 1 })
    })
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.guard(() => this.sql().getRun.get({ id: runId }))
    return row && toRun(row)
  }

  async listRuns(options: { limit?: number; status?: RunStatus; trigger?: string; selection?: string } = {}): Promise<RunRecord[]> {
    return this.guard(() => this.sql().listRuns.all({
      status: options.status ?? null, trigger: options.trigger ?? null, selection: options.selection ?? null, limit: options.limit ?? 50,
    })).map(toRun)
  }

  async stepCounts(runId: string): Promise<StepCount[]> {
    return this.guard(() => this.sql().stepCounts.all({ runId }))
  }

  async listActiveRuns(): Promise<RunRecord[]> {
    return this.guard(() => this.sql().listActiveRuns.all({})).map(toRun)
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    return this.guard(() => this.sql().listSteps.all({ runId })).map(toStep)
  }

  async listLogs(runId: string, assetKey?: string): Promise<LogRecord[]> {
    return this.guard(() => this.sql().listLogs.all({ runId, assetKey: assetKey ?? null })).map(toLog)
  }

  async assetStates(keys?: readonly string[], options: { partition?: string | null } = {}): Promise<AssetStateRecord[]> {
    const sql = this.sql()
    const partition = options.partition === undefined ? null : partitionKey(options.partition)
    const rows = this.guard(() => (keys
      ? sql.assetStatesOf.all({ keys: JSON.stringify(keys), partition })
      : sql.assetStates.all({ partition })))
    return rows.map(toAssetState)
  }

  async assetStateSummaries(keys?: readonly string[], options: { partition?: string | null } = {}): Promise<AssetStateSummary[]> {
    const sql = this.sql()
    const partition = options.partition === undefined ? null : partitionKey(options.partition)
    const rows = this.guard(() => (keys
      ? sql.assetStateSummariesOf.all({ keys: JSON.stringify(keys), partition })
      : sql.assetStateSummaries.all({ partition })))
    return rows.map(toAssetStateSummary)
  }

  async listMaterializations(assetKey: string, options: { limit?: number; partition?: string | null } = {}): Promise<MaterializationRecord[]> {
    const sql = this.sql()
    const limit = options.limit ?? 50
    const rows = this.guard(() => options.partition === undefined
      ? sql.listMaterializations.all({ assetKey, limit })
      : sql.listMaterializationsOfPartition.all({ assetKey, partition: partitionKey(options.partition), limit }))
    return rows.map(toMaterialization)
  }

  async listCheckResults(assetKey: string, options: { limit?: number } = {}): Promise<CheckResultRecord[]> {
    return this.guard(() => this.sql().listCheckResults.all({ assetKey, limit: options.limit ?? 100 })).map(toCheckResult)
  }

  async latestObservations(keys?: readonly string[]): Promise<ObservationRecord[]> {
    const sql = this.sql()
    const rows = this.guard(() => (keys ? sql.latestObservationsOf.all({ keys: JSON.stringify(keys) }) : sql.latestObservations.all({})))
    return rows.map(toObservation)
  }

  async listObservations(sourceKey: string, options: { limit?: number } = {}): Promise<ObservationRecord[]> {
    return this.guard(() => this.sql().listObservations.all({ sourceKey, limit: options.limit ?? 50 })).map(toObservation)
  }

  async listEvents(options: { afterId?: number; limit?: number; runId?: string } = {}): Promise<EventRecord[]> {
    const sql = this.sql()
    const params = { afterId: options.afterId ?? 0, limit: options.limit ?? 1000 }
    const rows = this.guard(() => options.runId === undefined
      ? sql.listEvents.all(params)
      : sql.listEventsOfRun.all({ ...params, runId: options.runId }))
    return rows.map(toEvent)
  }

  async lastEventId(): Promise<number> {
    return this.guard(() => this.sql().lastEventId.get({})!.id)
  }

  async pruneEvents(before: Date): Promise<number> {
    return this.write(() => this.sql().pruneEvents.run({ before: before.getTime() }).changes)
  }

  async acquireLease(assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    return this.write(() => this.takeLease(assetKey, partition, holder, ttlMs, now))
  }

  async startStep(start: StepStart): Promise<StepStartResult> {
    return this.write(() => {
      const lease = this.takeLease(start.assetKey, start.partition, start.runId, start.ttlMs, start.now)
      if (!lease.acquired) return { ...lease, stale: false }
      if (start.lastMaterializationId !== undefined) {
        const latest = this.sql().lastMaterializationId.get({ assetKey: start.assetKey, partition: partitionKey(start.partition) })?.id ?? null
        if (latest !== start.lastMaterializationId) return { ...lease, stale: true }
      }
      if (start.update) this.applyStepUpdate(start.update)
      return { ...lease, stale: false }
    })
  }

  async renewLeases(holder: string, ttlMs: number, now: Date): Promise<void> {
    return this.write(() => {
      this.sql().renewLeases.run({ holder, expiresAt: now.getTime() + ttlMs })
    })
  }

  async releaseLease(assetKey: string, partition: string | null, holder: string): Promise<void> {
    return this.write(() => {
      this.sql().releaseLease.run({ assetKey, partition: partitionKey(partition), holder })
    })
  }

  async releaseLeasesOf(holder: string): Promise<void> {
    return this.write(() => {
      this.sql().releaseLeasesOf.run({ holder })
    })
  }

  private takeLease(assetKey: string, partition: string | null, holder: string, ttlMs: number, now: Date): LeaseResult {
    const sql = this.sql()
    const key = { assetKey, partition: partitionKey(partition) }
    const { changes } = sql.acquireLease.run({ ...key, holder, now: now.getTime(), expiresAt: now.getTime() + ttlMs })
    if (changes > 0) return { acquired: true, holder }
    return { acquired: false, holder: sql.leaseHolder.get(key)?.holder ?? null }
  }

  /** Statements are prepared on first use, since they need the migrated schema. */
  private sql(): Statements {
    this.statements ??= this.guard(() => {
      try {
        return prepareStatements(this.db)
      } catch (error) {
        if (!/no such table/.test(String(error))) throw error
        throw new Error(`the store ${this.path} has no schema yet: call migrate() before using it`, { cause: error })
      }
    })
    return this.statements
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction (taking the write lock up front avoids deadlocking
   * upgrades from read to write), shared with the other writes of this event-loop turn: see WriteBatch.
   */
  private write<T>(fn: () => T): Promise<T> {
    return this.batch.write(fn)
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn()
    } catch (error) {
      throw asStoreError(error, this.path)
    }
  }

  private event(type: string, at: number, runId: string | null, assetKey: string | null, partition: string | null, payload: object): void {
    this.sql().insertEvent.run({ type, at, runId, assetKey, partition, payload: JSON.stringify(payload) })
  }

  private applyStepUpdate(update: StepUpdate): void {
    const sql = this.sql()
    const params = stepUpdateParams(update)
    const key = { runId: params.runId, assetKey: params.assetKey, partition: params.partition }
    if (sql.updateStep.run(params).changes === 0) {
      // A step the plan did not list goes after the planned ones and counts as one more step.
      const run = sql.getRun.get({ id: update.runId })
      if (!run) throw runNotFound(update.runId)
      sql.insertStep.run({ ...key, seq: run.step_count })
      sql.countStep.run(key)
      sql.updateStep.run(params)
    }
    sql.setLastStep.run(key)
    const { runId: _runId, assetKey: _assetKey, partition: _partition, at: _at, status: _status, ...payload } = update
    this.event(`step_${update.status}`, params.at, update.runId, update.assetKey, key.partition, payload)
  }

  private insertMaterialization(materialization: NewMaterialization): MaterializationRecord {
    const sql = this.sql()
    const row = materializationRow(materialization)
    const partition = row.partition
    const { lastInsertRowid } = sql.insertMaterialization.run(row)
    const record: MaterializationRecord = { ...materialization, id: Number(lastInsertRowid) }
    sql.setLastMaterialization.run({ ...row, id: record.id })
    this.event('materialization', record.createdAt.getTime(), record.runId, record.assetKey, partition, record)
    return record
  }

  private insertCheckResults(checks: readonly NewCheckResult[]): void {
    const sql = this.sql()
    // Checks normally all belong to the completed step, but each keeps its own asset (partition).
    const latest = new Map<string, { assetKey: string; partition: string; checks: StoredCheck[] }>()
    for (const check of checks) {
      const partition = partitionKey(check.partition)
      const createdAt = check.createdAt.getTime()
      const { lastInsertRowid } = sql.insertCheckResult.run({
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
      })
      const stored: StoredCheck = { ...check, id: Number(lastInsertRowid), createdAt }
      const group = JSON.stringify([check.assetKey, partition])
      if (!latest.has(group)) latest.set(group, { assetKey: check.assetKey, partition, checks: [] })
      latest.get(group)!.checks.push(stored)
      this.event('check_evaluated', createdAt, check.runId, check.assetKey, partition, { ...check, id: stored.id })
    }
    for (const { assetKey, partition, checks: stored } of latest.values()) {
      sql.setLastChecks.run({ assetKey, partition, checks: JSON.stringify(stored) })
    }
  }
}

function runNotFound(runId: string): TributaryError {
  return new TributaryError(ErrorCode.RunNotFound, `run ${runId} is not in the store`, {
    hint: 'Create the run with createRun before writing to it.',
    context: { runId },
  })
}
