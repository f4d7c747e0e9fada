import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AssetGraph } from '../graph/asset-graph.js'
import { buildGraph } from '../graph/build-graph.js'
import { SQL_ANALYSIS_CACHE } from '../sql/parse-cache.js'
import { analyzerFor, loadAnalyzer } from '../sql/referenced-tables.js'
import type { ColumnLineage, KnownColumns } from '../graph/column-lineage.js'
import type { ChangePlan } from '../engine/change-plan.js'
import { select } from '../graph/selection.js'
import { tryParseDuration } from '../model/duration.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ProjectDefinition } from '../model/project.js'
import { systemClock, type Clock } from '../engine/clock.js'
import type { EngineDeps, EngineSettings } from '../engine/engine-deps.js'
import { EventListeners, type EngineEvent } from '../engine/engine-events.js'
import type { TickDoneEvent } from '../automation/daemon.js'
import { planPartitions, planRun, type Plan } from '../engine/plan.js'
import { BACKFILL_TRIGGER, planBackfill, type BackfillOptions, type BackfillPlan } from '../engine/backfill.js'
import { backfillProgress, type BackfillProgress } from '../engine/backfill-progress.js'
import { partitionTargets, rangeOf, type PartitionSpec } from '../engine/partition-targets.js'
import { currentStatuses } from '../engine/readiness.js'
import { isAlive, recoverInterruptedRuns, settleDeadRuns, type RecoveredRun } from '../engine/recovery.js'
import { publishedAssets } from '../engine/published-assets.js'
import type { OpenCheck } from '../store/sqlite/open-database.js'
import { requireWarehouseFile } from '../warehouse/duckdb/open-checks.js'
import { executeRun, newRunId, type RunOptions, type RunResult } from '../engine/run-executor.js'
import type { ProgressEvent, ProgressListener } from '../engine/progress.js'
import { deriveStatuses, type AssetStatusRecord } from '../engine/status.js'
import { findSchemaBreaks } from '../engine/schema-breaks.js'
import { derivePartitionStatuses, partitionStatusReads, type AssetPartitionStatus } from '../engine/partition-status.js'
import type { LogRecord, RunRecord, RunRequest, RunStatus, StepRecord } from '../store/records.js'
import { openStores } from '../store/open-stores.js'
import type { Store, StoreOutage } from '../store/store.js'
import type { OpenLineageConfig, OpenLineageEmitter } from '../lineage/openlineage.js'
import type { Warehouse } from '../warehouse/warehouse.js'
import { ProjectInvalidError } from './config-error.js'
import type { Forecast } from '../automation/forecast.js'
import type { AutomationStore } from '../store/automation-store.js'
import { loadProject } from './load-project.js'
import { describeHolder, openWaiting, type WarehouseWaitOptions } from './warehouse-wait.js'
import { lazyWarehouse } from './lazy-warehouse.js'
import type { Executor, PollSensor } from '../execution/executor.js'
import { QueueExecutor } from '../execution/queue/queue-executor.js'
// Type only: graphile-worker and pg load when a process becomes a fleet worker, not with every command.
import type { QueueWorker } from '../execution/queue/queue-worker.js'
import { checkQueueStore, fleetVersion, stepQueueOf } from '../execution/queue/step-queue-of.js'
import type { WorkerRecord } from '../store/step-queue.js'
import type { SensorResult } from '../model/automation.js'
import { createExecutor, defaultExecutorKind, workerSettings, type ExecutorKind, type WorkerSettings } from '../execution/create-executor.js'

/** How to open an instance. */
export interface OpenOptions {
  /** Default: the current directory. */
  readonly projectDir?: string
  /** A project already in memory; otherwise `tributary.config.ts` in projectDir is loaded. */
  readonly project?: ProjectDefinition
  /** Default: the system clock. */
  readonly clock?: Clock
  /** Overrides of the project's engine settings (tests use short waits). */
  readonly settings?: Partial<EngineSettings>
  /** How much of the metadata store is read for damage when it opens (see OpenCheck). Default: 'auto'. */
  readonly storeCheck?: OpenCheck
  /**
   * Where TypeScript asset code runs. Default: $TRIBUTARY_EXECUTOR, else 'pool' (worker processes)
   * for a project loaded from its config file, 'in-process' for a project passed in memory.
   */
  readonly executor?: ExecutorKind
  /** Overrides of the project's `workers` settings (tests use a short grace, a small heap). */
  readonly workers?: Partial<WorkerSettings>
  /**
   * 'worker': a process of the fleet (`tributary worker`), which runs only the step path's statements,
   * each reading by key: a PostgreSQL store plans each once per connection (generic plans), not on
   * every run. Default: a control plane.
   */
  readonly role?: 'worker'
}

/** What an instance announces on its `events`: the engine's moments of each step attempt, each daemon tick's end, and its store riding out an outage. */
export type TributaryEvent = EngineEvent | TickDoneEvent | StoreOutage

function notRunning(run: RunRecord, why?: string): TributaryError {
  const state = run.status === 'paused' ? 'is paused' : `ended ${run.status}`
  const resumable = run.trigger === BACKFILL_TRIGGER && run.status !== 'succeeded'
  return new TributaryError(ErrorCode.RunNotActive, `run ${run.id} is not running: ${why ? `${why}, and it ${state}` : `it ${state}`}`, {
    context: { runId: run.id }, hint: resumable ? `Resume it with \`tributary backfill --resume ${run.id}\`, or leave it.` : 'Only running runs can be paused or canceled.',
  })
}

/** How a backfill runs: its plan options, the run's options, and its own concurrency limit (Default: the project's). */
export type BackfillRunOptions = BackfillOptions & Omit<RunOptions, 'selection'> & { readonly concurrency?: number }

/** A run with its steps and logs, as `tributary run <id>` shows it. */
export interface RunDetail {
  readonly run: RunRecord
  readonly steps: readonly StepRecord[]
  readonly logs: readonly LogRecord[]
}

/**
 * Wires a project to its store, warehouse and engine. It wires; the layers implement.
 * The CLI and the server use only this.
 */
export class Tributary {
  private warehouseInstance: Promise<Warehouse> | undefined
  private automationInstance: Promise<AutomationStore> | undefined
  private openAutomation: () => Promise<AutomationStore> = () => Promise.reject(new Error('the automation store opens only on an instance made by Tributary.open'))
  // Shared (by reference) with instances made by withProject, so a reload keeps runs and subscribers.
  private listeners = new Set<ProgressListener>()
  private eventListeners = new EventListeners<TributaryEvent>()
  private active = new Map<string, { readonly cancel: AbortController; readonly pause: AbortController }>()
  private execution: { readonly kind: ExecutorKind; readonly workers: WorkerSettings } = { kind: 'in-process', workers: { maxHeapMb: undefined, graceMs: 2000 } }
  private executorInstance: Executor | undefined
  private openLineage: { readonly current: { instance: Tributary }; readonly emitter: OpenLineageEmitter } | undefined

  private constructor(
    readonly project: ProjectDefinition,
    readonly graph: AssetGraph,
    readonly store: Store,
    readonly projectDir: string,
    readonly stateDir: string,
    readonly clock: Clock,
    readonly settings: EngineSettings,
  ) {}

  /** Loads and validates the project, then opens (and migrates) its metadata store. */
  static async open(options: OpenOptions = {}): Promise<Tributary> {
    const projectDir = resolve(options.projectDir ?? process.cwd())
    const project = options.project ?? (await loadProject(projectDir)).project
    const stateDir = resolve(projectDir, project.stateDir ?? '.tributary')
    // SQL on a PostgreSQL warehouse is analysed by PostgreSQL's parser, which loads asynchronously.
    if (project.warehouse?.type === 'postgres') await loadAnalyzer('postgres')
    const graph = Tributary.validate(project, stateDir)
    checkQueueStore(project)
    // The project's config chooses the store (Default: sqlite()); the facade only wires it.
    const { store, openAutomation } = await openStores(project.store, stateDir, { check: options.storeCheck ?? 'auto', genericPlans: options.role === 'worker', rideOut: options.role !== 'worker' })
    const instance = new Tributary(project, graph, store, projectDir, stateDir, options.clock ?? systemClock, resolveSettings(project, options.settings))
    instance.openAutomation = openAutomation
    store.watchOutages?.((outage) => instance.events.emit(outage))
    if (project.openLineage) await instance.sendOpenLineage(project.openLineage)
    instance.execution = { kind: options.executor ?? defaultExecutorKind(options.project !== undefined), workers: workerSettings(project, options.workers) }
    return instance
  }

  /**
   * Validates a project's definitions and returns its graph; throws ProjectInvalidError listing every problem.
   * With a state directory, SQL analyses are cached in its `sql-analysis.json` (Default: in memory only).
   */
  static validate(project: ProjectDefinition, stateDir?: string): AssetGraph {
    const { graph, problems } = buildGraph(project, stateDir ? { cacheFile: resolve(stateDir, SQL_ANALYSIS_CACHE) } : {})
    if (!graph) throw new ProjectInvalidError(problems)
    return graph
  }

  /** The warehouse, opened on first use so read-only commands never take its lock. */
  async warehouse(): Promise<Warehouse> {
    // One open per instance even when several runs ask at once: DuckDB allows one writer per file.
    if (!this.warehouseInstance) {
      const config = this.project.warehouse ?? { type: 'duckdb' as const }
      // Imported here, not at the top: loading DuckDB costs most of a second that read-only commands never need.
      if (config.type === 'postgres') this.warehouseInstance = import('../warehouse/postgres/postgres-warehouse.js').then(({ PostgresWarehouse }) => PostgresWarehouse.open(config, { clock: this.clock }))
      else {
        const path = resolve(this.projectDir, config.path ?? resolve(this.stateDir, 'warehouse.duckdb'))
        this.warehouseInstance = import('../warehouse/duckdb/duckdb-warehouse.js').then(({ DuckDbWarehouse }) => DuckDbWarehouse.open(path, { published: () => publishedAssets(this.graph, this.store), clock: this.clock }))
      }
      this.warehouseInstance.catch(() => (this.warehouseInstance = undefined))
    }
    return this.warehouseInstance
  }

  /** Keys matching a selection, upstream first (everything when empty). */
  select(selection?: string): string[] {
    return select(this.graph, selection)
  }

  /**
   * The plan for a selection, without running it. Partitioned assets need `partition` or
   * `from`/`to` (TRB2004 otherwise); each selected partition becomes a step.
   */
  plan(selection?: string, partitions: PartitionSpec = {}): Plan {
    const keys = this.select(selection)
    // Readers of partitioned assets check partitions, not the asset's status: plan those with planPartitions.
    const partitioned = keys.some((key) => this.graph.get(key).partitions || this.graph.get(key).upstream.some((up) => this.graph.get(up).partitions))
    if (!partitioned && !rangeOf(partitions)) return planRun(this.graph, keys)
    const plan = planPartitions(this.graph, partitionTargets(this.graph, keys, partitions), this.clock.now())
    return plan.steps.length > 0 ? plan : planRun(this.graph, keys)
  }

  /** Settles runs whose process died, then materializes the selection (and partitions). */
  async materialize(selection?: string, options: Omit<RunOptions, 'selection'> & PartitionSpec = {}): Promise<RunResult & { recovered: readonly RecoveredRun[] }> {
    const plan = this.plan(selection, options)
    const deps = await this.deps(this.needsWarehouse(plan) ? 'now' : 'on first use')
    const recovered = await recoverInterruptedRuns(deps)
    return { ...(await this.execute(deps, plan, selection ?? '', options)), recovered }
  }

  /**
   * Plans a backfill of the selection and everything downstream of it over a partition range
   * (see BackfillOptions), after settling runs whose process died. Re-running the same
   * backfill after a crash, or passing `resume`, skips what it already published.
   */
  async planBackfill(selection: string | undefined, options: BackfillOptions) {
    const keys = options.resume === undefined ? this.select(selection) : []
    await recoverInterruptedRuns(await this.deps())
    return planBackfill(this.graph, this.store, this.clock.now(), selection ?? '', keys, options)
  }

  /** Runs a backfill: planBackfill, then its steps as one run, at most `concurrency` at once. Default concurrency: the project's. */
  async backfill(selection: string | undefined, options: BackfillRunOptions = {}) {
    const planned = await this.planBackfill(selection, options)
    if (planned.plan.steps.length === 0) return { runId: null, status: 'succeeded' as const, counts: null, ...planned }
    return { ...(await this.executeBackfill(planned, options)), ...planned }
  }

  /**
   * Plans a backfill and starts it in the background (the API's way): returns once planned,
   * with the run id (null when there is nothing to do) and the run's end as `done`.
   */
  async startBackfill(selection: string | undefined, options: Omit<BackfillRunOptions, 'runId'> = {}) {
    const planned = await this.planBackfill(selection, options)
    if (planned.plan.steps.length === 0) return { ...planned, runId: null, done: null }
    const runId = newRunId(this.clock.now())
    const done = this.executeBackfill(planned, { ...options, runId })
    done.catch(() => undefined)
    return { ...planned, runId, done }
  }

  /** Progress of a backfill run: steps by state, per asset, and an ETA while it runs. Throws TRB6002 for an unknown run. */
  async backfillProgress(runId: string): Promise<BackfillProgress> {
    const run = await this.store.getRun(runId)
    if (!run || run.trigger !== BACKFILL_TRIGGER) {
      throw new TributaryError(ErrorCode.RunNotFound, `no backfill run ${runId}`, { context: { runId }, hint: 'List backfills with `tributary backfill --list` (GET /api/backfills).' })
    }
    return backfillProgress(run, await this.store.stepCounts(runId), this.clock.now())
  }

  /** The latest backfill runs, newest first, with their progress. */
  async listBackfills(options: { limit?: number; status?: RunStatus } = {}): Promise<BackfillProgress[]> {
    const limit = options.limit ?? 20
    const runs = await this.store.listRuns({ limit, trigger: BACKFILL_TRIGGER, ...(options.status ? { status: options.status } : {}) })
    const now = this.clock.now()
    return Promise.all(runs.map(async (run) => backfillProgress(run, await this.store.stepCounts(run.id), now)))
  }

  private async executeBackfill(planned: BackfillPlan, options: BackfillRunOptions): Promise<RunResult> {
    const deps = await this.deps()
    const run = options.concurrency === undefined ? deps : { ...deps, settings: { ...deps.settings, concurrency: options.concurrency } }
    return this.execute(run, planned.plan, planned.identity, { ...options, trigger: BACKFILL_TRIGGER, continues: planned.resumes })
  }

  private async execute(deps: EngineDeps, plan: Plan, selection: string, options: Omit<RunOptions, 'selection'>): Promise<RunResult> {
    const runId = options.runId ?? newRunId(this.clock.now())
    const control = { cancel: new AbortController(), pause: new AbortController() }
    const forward = (from: AbortSignal | undefined, to: AbortController) => {
      const onAbort = () => to.abort()
      if (from?.aborted) to.abort()
      from?.addEventListener('abort', onAbort, { once: true })
      return () => from?.removeEventListener('abort', onAbort)
    }
    const unforward = [forward(options.signal, control.cancel), forward(options.pauseSignal, control.pause)]
    this.active.set(runId, control)
    try {
      const result = await executeRun(deps, plan, {
        trigger: 'api', ...options, runId, selection, signal: control.cancel.signal, pauseSignal: control.pause.signal,
        onProgress: (event) => {
          options.onProgress?.(event)
          this.publish(event)
        },
      })
      return result
    } finally {
      this.active.delete(runId)
      for (const undo of unforward) undo()
    }
  }

  /**
   * Starts a run in the background and returns its id at once (the API's way).
   * The selection is planned before it returns, so a bad selection throws here.
   */
  start(selection?: string, options: Omit<RunOptions, 'selection' | 'runId' | 'signal'> & PartitionSpec = {}): { runId: string; steps: readonly string[]; done: Promise<RunResult> } {
    const plan = this.plan(selection, options)
    const runId = newRunId(this.clock.now())
    const done = this.materialize(selection, { ...options, runId })
    done.catch(() => undefined)
    return { runId, steps: plan.steps.map((s) => s.key), done }
  }

  /**
   * Cancels a running run: running steps stop, the rest are canceled. A run of this instance
   * stops at once; a run of another process (a CLI, another server) at its next heartbeat,
   * within seconds. Returns the run as it now is, with `requested: 'cancel'` until it ends.
   * Throws TRB6002 when there is no such run, TRB6003 when it is not running.
   */
  async cancel(runId: string): Promise<RunRecord> {
    return this.request(runId, 'cancel')
  }

  /**
   * Pauses a running backfill: its running steps finish and publish, no more start, and the run
   * ends 'paused'. Continue it with {@link resume}. Same reach and errors as {@link cancel};
   * a run that is not a backfill cannot be paused (TRB6001: cancel it instead).
   */
  async pause(runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(runId)
    if (run && run.trigger !== BACKFILL_TRIGGER) {
      throw new TributaryError(ErrorCode.Usage, `run ${runId} is not a backfill, and only backfills can be paused`, { context: { runId }, hint: 'Cancel it instead, and start it again later; re-running is safe.' })
    }
    return this.request(runId, 'pause')
  }

  /**
   * Continues a paused, canceled, failed or crashed backfill run as a new run of its remaining
   * steps (what it published since it started is not redone). Throws TRB6003 while it runs.
   */
  async resume(runId: string, options: Omit<BackfillRunOptions, 'resume'> = {}) {
    return this.backfill(undefined, { ...options, resume: runId })
  }

  private async request(runId: string, request: RunRequest): Promise<RunRecord> {
    const run = await this.store.requestRun(runId, request, this.clock.now())
    if (!run) throw new TributaryError(ErrorCode.RunNotFound, `no run ${runId}`, { context: { runId }, hint: 'List runs with `tributary runs` (GET /api/runs).' })
    if (run.status !== 'running') throw notRunning(run)
    const local = this.active.get(runId)
    if (local) (request === 'cancel' ? local.cancel : local.pause).abort()
    // No process would ever act on it: settle the run now (crash recovery) and say how it ended.
    else if (!isAlive(run, this.clock.now())) {
      await this.recover()
      throw notRunning((await this.store.getRun(runId)) ?? run, `its process (pid ${run.pid} on ${run.host}) died`)
    }
    return run
  }

  /** Ids of the runs this instance is executing now. */
  activeRuns(): string[] {
    return [...this.active.keys()]
  }

  /** Receives the progress of every run this instance executes. Returns the unsubscribe function. */
  subscribe(listener: ProgressListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * The moments of this process's work as they happen: each step attempt's `staging_written`,
   * `checks_done` and `published`, each daemon tick's `tick_done`, the store's `store_unreachable` and
   * `store_reachable` while it rides out an outage. Typed by event:
   * `instance.events.on('published', (e) => …)` returns the function that stops listening.
   */
  get events(): EventListeners<TributaryEvent> {
    return this.eventListeners
  }

  /**
   * A new instance for changed definitions that shares this one's store, warehouse, runs and
   * listeners (`tributary dev` reloads with it). Throws ProjectInvalidError like open().
   */
  withProject(project: ProjectDefinition): Tributary {
    const graph = Tributary.validate(project, this.stateDir)
    const next = new Tributary(project, graph, this.store, this.projectDir, this.stateDir, this.clock, this.settings)
    next.warehouseInstance = this.warehouseInstance
    next.automationInstance = this.automationInstance
    next.openAutomation = this.openAutomation
    next.listeners = this.listeners
    // Its runs' OpenLineage events are the next instance's, with the new definitions (a reload cannot turn them on or off).
    next.openLineage = this.openLineage
    if (this.openLineage) this.openLineage.current.instance = next
    next.eventListeners = this.eventListeners
    next.active = this.active
    // New code, new workers: the next instance starts its own pool on first use; this one's
    // workers finish the steps they run and stop.
    next.execution = this.execution
    this.executorInstance?.retire?.()
    return next
  }

  private publish(event: ProgressEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A broken subscriber must never break a run.
      }
    }
  }

  /**
   * Opens the warehouse now, waiting while another process holds it (a CLI run beside this
   * one): see openWaiting for the rule. Later calls of warehouse() share what it opened.
   */
  async waitForWarehouse(options: WarehouseWaitOptions = {}): Promise<Warehouse> {
    return openWaiting(() => this.warehouse(), { describe: (pid) => describeHolder(this.store, pid), ...options })
  }

  /**
   * Whether running `plan` needs the warehouse from its start: a step writes a table (a table or
   * SQL asset) or runs checks. A run of only `io: 'none'` and `io: 'files'` assets without checks
   * opens it on first use instead (asset code calling ctx.warehouse), waiting for it then if
   * another process holds it, and otherwise never opens it nor waits for it.
   */
  needsWarehouse(plan: Plan): boolean {
    return plan.steps.some((step) => {
      const node = this.graph.get(step.key)
      return node.relation !== undefined || (node.def.type !== 'source' && (node.def.checks?.length ?? 0) > 0)
    })
  }

  /** Settles runs whose process died (also done before every materialize). */
  async recover(): Promise<RecoveredRun[]> {
    return recoverInterruptedRuns(await this.deps())
  }

  /** Settles runs whose process died, if any; cheap when none did. status() does it first, and so does anything listing runs. */
  async settleDeadRuns(): Promise<RecoveredRun[]> {
    const { graph, store, clock, projectDir, stateDir, settings } = this
    // With a shared store, a DuckDB file may live on another machine: never make an empty one
    // here just to settle runs; a process beside the file settles them.
    const file = this.warehouseFile()
    if (file && store.dialect !== 'sqlite' && !existsSync(file)) return []
    return settleDeadRuns({ graph, store, clock, projectDir, stateDir, settings }, () => this.warehouse())
  }

  /** The DuckDB file of the project's warehouse; undefined when the warehouse is not DuckDB. */
  private warehouseFile(): string | undefined {
    const config = this.project.warehouse ?? { type: 'duckdb' as const }
    if (config.type !== 'duckdb') return undefined
    return resolve(this.projectDir, config.path ?? resolve(this.stateDir, 'warehouse.duckdb'))
  }

  /**
   * Status of the selected nodes (default: all), upstream first. Files sources are observed
   * now; table sources need the warehouse and are observed only when `observeTables` is set.
   */
  async status(selection?: string, options: { observeTables?: boolean } = {}): Promise<AssetStatusRecord[]> {
    const keys = this.select(selection)
    // Never answer from the store alone about data that is gone (TRB5011), or for runs that are dead.
    const warehouseFile = this.warehouseFile()
    // (Only with the embedded store: a shared store is read from machines the file is not on.)
    if (warehouseFile && this.store.dialect === 'sqlite') await requireWarehouseFile(warehouseFile, () => publishedAssets(this.graph, this.store))
    await this.settleDeadRuns()
    const sources = observedSources(this.graph, options.observeTables === true)
    // Partitioned assets need every partition's state, which currentStatuses reads.
    if (sources.length > 0 || options.observeTables || [...this.graph.nodes.values()].some((node) => node.partitions)) {
      const warehouse = options.observeTables ? await this.warehouse() : undefined
      const statuses = await currentStatuses({ graph: this.graph, store: this.store, clock: this.clock, projectDir: this.projectDir, warehouse: warehouse ?? noWarehouse }, sources)
      return keys.map((key) => statuses.get(key)!)
    }
    // Status is of unpartitioned assets: reading the states of partitions too would only be thrown away.
    const [states, observations, active] = await Promise.all([
      this.store.assetStateSummaries(undefined, { partition: null }), this.store.latestObservations(), this.store.listActiveRuns(),
    ])
    const stateMap = new Map(states.map((s) => [s.assetKey, s]))
    const observationMap = new Map(observations.map((o) => [o.sourceKey, o]))
    const statuses = deriveStatuses({
      graph: this.graph,
      states: stateMap,
      observations: observationMap,
      activeRunIds: new Set(active.filter((run) => isAlive(run, this.clock.now())).map((run) => run.id)),
      now: this.clock.now(),
      schemaBreaks: await findSchemaBreaks(this.graph, stateMap, observationMap, this.store),
    })
    return keys.map((key) => statuses.get(key)!)
  }

  /** Which partitions of each selected partitioned asset are missing, failed, stale, running or fresh. */
  async partitionStatus(selection?: string): Promise<AssetPartitionStatus[]> {
    const keys = this.select(selection).filter((key) => this.graph.get(key).partitions)
    if (keys.length === 0) return []
    const [states, active] = await Promise.all([this.store.assetStates(partitionStatusReads(this.graph, keys)), this.store.listActiveRuns()])
    const activeRunIds = new Set(active.filter((run) => isAlive(run, this.clock.now())).map((run) => run.id))
    return [...derivePartitionStatuses(this.graph, states, this.clock.now(), activeRunIds, keys).values()]
  }

  /** The status of one asset (an exact key); `ready` says whether its data can be used now. */
  async ready(key: string): Promise<AssetStatusRecord> {
    this.requireKey(key)
    const [status] = await this.status(key)
    return status!
  }

  /** Upstream and downstream keys of an asset (an exact key), upstream first. */
  lineage(key: string, direction: 'upstream' | 'downstream' | 'both' = 'both'): { upstream: string[]; downstream: string[] } {
    this.requireKey(key)
    return {
      upstream: direction === 'downstream' ? [] : this.graph.sort(this.graph.upstreamOf(key)),
      downstream: direction === 'upstream' ? [] : this.graph.sort(this.graph.downstreamOf(key)),
    }
  }

  /** The working tree against what is deployed (`tributary plan`): changes, broken readers, contract breaches, rebuilds. */
  async changePlan(): Promise<ChangePlan> {
    // Imported here, as the other commands' own parts below: `materialize` loads none of them.
    const [{ deployedState }, { changePlan }] = await Promise.all([import('../engine/deployed.js'), import('../engine/change-plan.js')])
    const { deployed, observed } = await deployedState(this.store)
    return changePlan(this.graph, deployed, observed, analyzerFor(this.project.warehouse?.type ?? 'duckdb'))
  }

  /** Column lineage of the project, with `*` expanded from the schemas published, observed or declared (contracts) so far. */
  async columnLineage(): Promise<ColumnLineage> {
    const [{ knownColumns, namesOf }, { ColumnLineage }] = await Promise.all([import('../engine/known-schemas.js'), import('../graph/column-lineage.js')])
    const known = await knownColumns(this.store, this.graph)
    return ColumnLineage.build(this.graph, namesOf(known), known, analyzerFor(this.project.warehouse?.type ?? 'duckdb'))
  }

  /** One run with its steps and logs; throws TRB6002 when there is no such run. */
  async run(runId: string): Promise<RunDetail> {
    await this.settleDeadRuns()
    const run = await this.store.getRun(runId)
    if (!run) throw new TributaryError(ErrorCode.RunNotFound, `no run ${runId}`, { context: { runId }, hint: 'Run `tributary runs` to list recent runs.' })
    const [steps, logs] = await Promise.all([this.store.listSteps(runId), this.store.listLogs(runId)])
    return { run, steps, logs }
  }

  /** Throws TRB2003 (with a did-you-mean from selection) unless `key` is exactly one node's key. */
  private requireKey(key: string): void {
    if (this.graph.has(key)) return
    if (/[\s,*:+]/.test(key)) {
      throw new TributaryError(ErrorCode.UnknownAsset, `${JSON.stringify(key)} is a selection, but this takes one asset key`, { hint: 'Pass a key such as raw/payments; `tributary status <selection>` accepts selections.' })
    }
    this.select(key)
  }

  /** The automation store (cursors, decisions, incidents), opened on first use beside the metadata store. */
  async automation(): Promise<AutomationStore> {
    if (!this.automationInstance) {
      this.automationInstance = this.openAutomation()
      this.automationInstance.catch(() => (this.automationInstance = undefined))
    }
    return this.automationInstance
  }

  /** Predicted ready times and SLA verdicts for `keys` (default: every asset with a freshness policy). */
  async forecast(keys?: readonly string[]): Promise<Forecast & { statuses: ReadonlyMap<string, AssetStatusRecord> }> {
    const statuses = new Map((await this.status()).map((s) => [s.key, s]))
    const { forecast } = await import('../automation/forecast.js')
    return { ...(await forecast(this.graph, this.store, statuses, this.clock.now(), keys, this.project)), statuses }
  }

  // Sends the OpenLineage events of every run this instance executes (see OpenLineageEvents), loaded
  // only for a project that asks. `tributary dev`'s reloads keep sending, with the current definitions.
  private async sendOpenLineage(config: OpenLineageConfig): Promise<void> {
    const { OpenLineageEmitter, OpenLineageEvents, OpenLineageSender, warehouseNamespace } = await import('../lineage/openlineage.js')
    const current = { instance: this as Tributary }
    const events = new OpenLineageEvents(() => current.instance.graph, { ...config, namespace: config.namespace ?? this.project.name },
      warehouseNamespace(this.project, this.projectDir, this.stateDir), () => current.instance.columnLineage(), (keys) => current.instance.columnsOf(keys))
    const emitter = new OpenLineageEmitter(events, new OpenLineageSender(config, (line) => process.stderr.write(`${line}\n`)))
    this.subscribe((event) => emitter.onProgress(event, this.clock.now()))
    this.openLineage = { current, emitter }
  }

  // The columns known of these assets and sources (published, observed or declared).
  private async columnsOf(keys: readonly string[]): Promise<ReadonlyMap<string, KnownColumns>> {
    const { knownColumns } = await import('../engine/known-schemas.js')
    return knownColumns(this.store, this.graph, keys)
  }

  async close(): Promise<void> {
    // What the runs sent to OpenLineage is delivered first, within 5 s.
    await this.openLineage?.emitter.flush(5_000)
    await (await this.automationInstance?.catch(() => undefined))?.close()
    await this.executorInstance?.close()
    await (await this.warehouseInstance?.catch(() => undefined))?.close()
    await this.store.close()
  }

  /** Calls a polling sensor's function where asset code runs (a worker with the pool), within the project's stepTimeout. */
  async pollSensor(sensor: PollSensor, cursor: string | null): Promise<SensorResult> {
    this.executorInstance ??= this.makeExecutor()
    const { pollSensor } = await import('../execution/poll-sensor.js')
    return pollSensor(this.executorInstance, sensor, cursor, this.clock, this.settings.stepTimeoutMs)
  }

  /**
   * Makes this process a worker of the fleet (`tributary worker`): it takes the project's steps from
   * the queue and runs them, their code in its own process pool. Needs `executor: queue()` (TRB7004).
   */
  async startWorker(options: { concurrency?: number; pools?: Readonly<Record<string, number>>; onLine?: (line: string) => void } = {}): Promise<QueueWorker> {
    const config = this.project.executor
    if (config?.type !== 'queue' || this.project.store?.type !== 'postgres') {
      throw new TributaryError(ErrorCode.InvalidQueueConfig, `project ${this.project.name} does not ask for queue workers: its config has no executor: queue()`, {
        hint: 'Add executor: queue() (with a PostgreSQL store and warehouse) to the project config; see docs/scale-out.md.',
      })
    }
    const concurrency = options.concurrency ?? 4
    // A step that publishes holds one store connection from its warehouse commit to its record (StepQueue.holdFence).
    if (concurrency >= this.project.store.poolSize) {
      options.onLine?.(`concurrency ${concurrency} is not below the store's poolSize ${this.project.store.poolSize}: a step that publishes holds a store connection while it commits, so other steps may wait for one; raise postgres({ poolSize }) above ${concurrency}`)
    }
    const local = createExecutor('pool', this.projectDir, this.execution.workers, concurrency, this.clock)
    this.executorInstance ??= local
    const deps: EngineDeps = {
      graph: this.graph, store: this.store, warehouse: await this.warehouse(), clock: this.clock,
      projectDir: this.projectDir, stateDir: this.stateDir, settings: this.settings, executor: local, onEvent: (event) => this.eventListeners.emit(event),
    }
    const { QueueWorker } = await import('../execution/queue/queue-worker.js')
    return QueueWorker.start({ deps, queue: stepQueueOf(this.store), url: this.project.store.url, config, concurrency, pools: options.pools, version: fleetVersion(this.graph), onLine: options.onLine })
  }

  /** The fleet's workers as they last reported (running first); empty without `executor: queue()`. */
  async workers(): Promise<WorkerRecord[]> {
    if (this.project.executor?.type !== 'queue') return []
    return stepQueueOf(this.store).listWorkers()
  }

  // The project's executor: the queue when its config says so (code the control plane itself runs, such as polling sensors, on the pool).
  private makeExecutor(): Executor {
    const local = createExecutor(this.execution.kind, this.projectDir, this.execution.workers, this.settings.concurrency, this.clock)
    return this.project.executor?.type === 'queue' ? new QueueExecutor(stepQueueOf(this.store), this.store, local, this.clock) : local
  }

  private async deps(warehouse: 'now' | 'on first use' = 'now'): Promise<EngineDeps> {
    // Made on first run, so commands that never run a step never start a worker; one starts
    // loading the project now, while the warehouse opens.
    this.executorInstance ??= this.makeExecutor()
    this.executorInstance.warm?.(1)
    return {
      graph: this.graph, store: this.store, clock: this.clock,
      warehouse: warehouse === 'now' ? await this.warehouse() : lazyWarehouse(this.project.warehouse?.type ?? 'duckdb', () => this.waitForWarehouse()),
      projectDir: this.projectDir, stateDir: this.stateDir, settings: this.settings, executor: this.executorInstance,
      onEvent: (event) => this.eventListeners.emit(event),
    }
  }
}

// Which nodes are sources, cached per graph (graphs are immutable): status() would otherwise
// read the definition of every node on every call, and each definition is its own object
// shape, which makes those reads slow across 10,000 nodes.
const sourcesByGraph = new WeakMap<AssetGraph, { readonly files: readonly string[]; readonly all: readonly string[] }>()

/** The keys of the sources status() observes: files sources, and table sources too when `withTables`. */
function observedSources(graph: AssetGraph, withTables: boolean): readonly string[] {
  let sources = sourcesByGraph.get(graph)
  if (!sources) {
    const all: string[] = []
    const files: string[] = []
    for (const node of graph.nodes.values()) {
      if (node.def.type !== 'source') continue
      all.push(node.key)
      if (node.def.observe.type === 'files') files.push(node.key)
    }
    sources = { files, all }
    sourcesByGraph.set(graph, sources)
  }
  return withTables ? sources.all : sources.files
}

// Status of files-only sources never needs the warehouse; asking for it anyway is a bug worth a clear message.
const noWarehouse: Warehouse = new Proxy({} as Warehouse, {
  get: () => () => Promise.reject(new Error('the warehouse is not open; pass observeTables to observe table sources')),
})

function resolveSettings(project: ProjectDefinition, overrides: Partial<EngineSettings> = {}): EngineSettings {
  const duration = (value: string | number | undefined, fallback: number) => (value === undefined ? fallback : tryParseDuration(value) ?? fallback)
  return {
    concurrency: project.concurrency ?? 4,
    pools: project.pools ?? {},
    readinessTimeoutMs: duration(project.readinessTimeout, 60_000),
    readinessPollMs: duration(project.readinessPollInterval, 2_000),
    leaseTtlMs: 60_000,
    heartbeatMs: 1_000,
    stepTimeoutMs: duration(project.stepTimeout, 3_600_000),
    ...overrides,
  }
}
