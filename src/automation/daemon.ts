import { hostname } from 'node:os'
import type { AssetStatusRecord } from '../engine/status.js'
import { startTimer, type Clock } from '../engine/clock.js'
import { matchFiles } from '../engine/observe.js'
import type { PartitionSpec } from '../engine/partition-targets.js'
import { formatDuration, parseDuration } from '../model/duration.js'
import type { ScheduleDefinition, SensorDefinition } from '../model/automation.js'
import type { Tributary } from '../instance/tributary.js'
import type { AutomationStore, DecisionRecord, LeaderLock } from '../store/automation-store.js'
import type { ObservationRecord } from '../store/records.js'
import { ticksBetween } from './cron.js'
import { forecast, type Forecast } from './forecast.js'
import { describePartitions, latestPartitions, schedulePartitions } from './partition-choice.js'
import { eagerFollowers, fingerprint, judge, MAX_PARTITIONS_PER_TICK, slot, toDecisions, type Judgement } from './judgement.js'
import { PartitionView } from './partition-view.js'
import { budgetState } from './remediation.js'
import { schemaDrift } from './schema-drift.js'
import type { SchemaShape } from '../engine/schema-change.js'
import { stat } from 'node:fs/promises'
import { redact } from '../model/redact.js'

/** How long an uncompleted claim may stand before another daemon takes it over. Default: 5 minutes. */
const STALE_CLAIM_MS = 5 * 60_000

/**
 * With a store that elects the leader, how old an uncompleted claim of another daemon must be for
 * the leader to take it over, when it was made before this daemon took the lead: its holder no
 * longer leads (it died, or lost its session), and a living one completes a claim within a second
 * of making it. Default: 30 s.
 */
const STALE_CLAIM_OF_FORMER_LEADER_MS = 30_000

/** The cursor in which the leading daemon names itself (read by standbys and `tributary daemon`). */
const LEADER_CURSOR = 'leader:daemon'

/** Who leads the daemons of a store, as the leader recorded it when it took the lead. */
export interface DaemonLeader {
  /** `<host>:<pid>` of the leading daemon. */
  readonly holder: string
  readonly since: Date
}

/** How the loop runs. */
export interface DaemonLoopOptions {
  /** Iterations (a standby's tries count). Default: until the signal aborts. */
  readonly loops?: number
  /** Time between a leader's ticks. Default: '30s'. */
  readonly interval?: string | number
  /**
   * Time between a standby's tries to take the lead (never more than `interval`): with a store
   * that elects a leader, a daemon that died is replaced within this. Default: '5s'.
   */
  readonly standbyRetry?: string | number
  readonly signal?: AbortSignal
}

/** A run the daemon started, and why. */
export interface FiredRun {
  readonly by: string
  readonly selection: string
  /** The partitions it was started with, as `--partition` or `--from`/`--to` take them; absent when none were needed. */
  readonly partitions?: PartitionSpec
  readonly runId: string | null
  readonly reason: string
  readonly error?: string
}

/** What one tick did. */
export interface TickReport {
  readonly at: Date
  readonly fired: readonly FiredRun[]
  readonly decisions: readonly Omit<DecisionRecord, 'id'>[]
  /** Sources whose schema drifted this tick, with what changed. */
  readonly drift: ReadonlyMap<string, string>
  /** Assets whose remediation budget is spent: the circuit is open and they are left alone. */
  readonly circuits: ReadonlyMap<string, string>
  readonly forecast: Forecast
  readonly statuses: ReadonlyMap<string, AssetStatusRecord>
}

/**
 * A tick of this daemon ended (its onTick hook included), announced on the instance's events:
 * the runs it fired (those started before it failed, when it did) and why it failed (`error`).
 * A standby's try that did not tick announces nothing.
 */
export interface TickDoneEvent {
  readonly type: 'tick_done'
  /** The time the tick ran at, on the daemon's clock. */
  readonly at: Date
  /** The daemon that ticked (`<host>:<pid>` unless set). */
  readonly holder: string
  readonly fired: readonly FiredRun[]
  readonly error: string | null
}

/** Hook called at the end of each tick (alerting plugs in here). Must not throw. */
export type TickListener = (report: TickReport) => Promise<void> | void

type Fire = (claim: string, by: string, selection: string, reason: string, partitions: () => PartitionSpec) => Promise<boolean>

/** How the daemon runs. */
export interface DaemonOptions {
  /** Default: the instance's clock. */
  readonly clock?: Clock
  /** Who claims ticks. Default: `<host>:<pid>`. */
  readonly holder?: string
  /** Wait for the runs a tick starts before the tick returns (tests, `--once`). Default: false. */
  readonly waitForRuns?: boolean
  readonly onTick?: TickListener
  readonly log?: (line: string) => void
}

/**
 * The automation daemon as a loop service: `runOnce()` is one tick, `start()` loops. Each tick
 * fires due schedule ticks (with their catch-up policy) and sensors, observes sources (schema
 * drift), evaluates every asset's automation condition, remediates failures within a budget
 * behind a circuit breaker, and forecasts SLAs. Every firing is claimed in the store first, so
 * a restart never repeats a tick and two daemons never fire the same one.
 */
export class AutomationDaemon {
  private readonly clock: Clock
  private readonly holder: string
  private isLeading = false
  private standingBy = false
  // When this daemon took the lead by election; undefined when it does not lead or the store elects none.
  private leadSince: Date | undefined

  constructor(private readonly instance: () => Tributary, private readonly automation: AutomationStore, private readonly options: DaemonOptions = {}) {
    this.clock = options.clock ?? instance().clock
    this.holder = options.holder ?? `${hostname()}:${process.pid}`
  }

  /** One tick; announced on the instance's events (tick_done) when it ends, failed or not. */
  async runOnce(): Promise<TickReport> {
    const now = this.clock.now()
    const fired: FiredRun[] = []
    try {
      const report = await this.tick(now, fired)
      this.instance().events.emit({ type: 'tick_done', at: now, holder: this.holder, fired, error: null })
      return report
    } catch (error) {
      this.instance().events.emit({ type: 'tick_done', at: now, holder: this.holder, fired, error: redact(error instanceof Error ? error.message : String(error)) })
      throw error
    }
  }

  // The tick itself; `fired` collects what it started as it goes, so a tick that fails midway still says what it fired.
  private async tick(now: Date, fired: FiredRun[]): Promise<TickReport> {
    const instance = this.instance()
    const pending: Promise<unknown>[] = []
    // A claim left uncompleted this long belonged to a daemon that died mid-tick: take it over.
    // The dead daemon a claim was taken over from, by tick id: it may have started the run already.
    const predecessors = new Map<string, { holder: string; claimedAt: Date }>()
    const claim = async (id: string) => {
      if (await this.automation.claimTick(id, this.holder, now, new Date(now.getTime() - STALE_CLAIM_MS))) return true
      // Sooner when that daemon can fire nothing more: it ran on this machine and its process is
      // gone, or it led before this daemon was elected and its claim has stood for 30 s.
      const tick = await this.automation.getTick(id)
      if (tick === undefined || tick.completedAt !== null || !(diedHere(tick.holder) || this.formerLeaders(tick, now))) return false
      if (!(await this.automation.claimTick(id, this.holder, now, new Date(now.getTime() + 1)))) return false
      predecessors.set(id, tick)
      this.options.log?.(`${id}: taking over the claim ${tick.holder} made at ${tick.claimedAt.toISOString()} and never completed`)
      return true
    }
    // Returns whether the tick is taken care of: fired here, or completed by another daemon.
    const fire: Fire = async (id, by, selection, reason, partitions) => {
      if (!(await claim(id))) return (await this.automation.getTick(id))?.completedAt != null
      // Killed between starting its run and completing the claim: that run is the tick's; do not fire it twice.
      const predecessor = predecessors.get(id)
      const earlier = predecessor && (await instance.store.listRuns({ trigger: by, limit: 20 }))
        .find((run) => `${run.host}:${run.pid}` === predecessor.holder && run.startedAt.getTime() >= predecessor.claimedAt.getTime())
      if (earlier) {
        await this.automation.completeTick(id, earlier.id, now)
        return true
      }
      // A daemon that lost the lead mid-tick (a stalled store, a dropped session) may have had its
      // claim taken over meanwhile: the run is then the new holder's to start.
      if (this.leadSince !== undefined && (await this.automation.getTick(id))?.holder !== this.holder) {
        this.options.log?.(`${id}: not started here: another daemon took over the claim (this one no longer leads)`)
        return true
      }
      let spec: PartitionSpec = {}
      try {
        // Chosen after the claim, so a bad partition is recorded as this tick's error, once.
        spec = partitions()
        const started = await startRecorded(instance, selection, { trigger: by, ...spec })
        pending.push(started.done)
        fired.push(firedRun(by, selection, spec, started.runId, reason))
        await this.automation.completeTick(id, started.runId, now)
        this.options.log?.(`${by}: started run ${started.runId}${describe(spec, ' for ')} (${reason})`)
      } catch (error) {
        fired.push({ ...firedRun(by, selection, spec, null, reason), error: redact(error instanceof Error ? error.message : String(error)) })
        await this.automation.completeTick(id, null, now)
      }
      return true
    }

    for (const schedule of instance.project.schedules ?? []) await this.schedule(schedule, now, fire)
    for (const sensor of instance.project.sensors ?? []) if (sensor.kind !== 'webhook') await this.sensor(sensor, now, fire)

    const before = new Map((await instance.store.latestObservations()).map((o) => [o.sourceKey, o]))
    const list = await instance.status(undefined, { observeTables: true })
    const statuses = new Map(list.map((s) => [s.key, s]))
    const drift = await this.detectDrift(instance, before)

    const graph = instance.graph
    const automated = [...graph.nodes.values()].filter((node) => node.def.type !== 'source' && node.def.automation)
    const failed = list.filter((s) => s.status === 'failed' && s.rootCause?.key === s.key && graph.get(s.key).partitions).map((s) => s.key)
    const view = await PartitionView.load(instance, [...new Set([...automated.filter((node) => node.partitions).map((node) => node.key), ...failed])], now)
    const judgements = automated.flatMap((node) => judge(node, statuses, view, now))
    const circuits = await this.remediate(instance, statuses, view, now, judgements)
    const claimed: Judgement[] = []
    for (const judgement of judgements) if (judgement.requested && (await claim(judgement.claim))) claimed.push(judgement)
    // One run per partition (and one for unpartitioned assets), as `materialize --partition` would start it.
    const runs = new Map<string | null, Judgement[]>()
    for (const judgement of claimed) runs.set(judgement.partition, [...(runs.get(judgement.partition) ?? []), judgement])
    const taken = new Set(claimed.map((j) => slot(j.key, j.partition)))
    for (const [partition, group] of runs) {
      const first = group[0]!.claim
      for (const follow of eagerFollowers(graph, statuses, view, now, group.map((j) => j.key), partition, taken)) {
        const id = `${follow.key}@${first}`
        if (!(await claim(id))) continue
        taken.add(slot(follow.key, follow.partition))
        let judgement = judgements.find((j) => j.key === follow.key && j.partition === follow.partition)
        if (!judgement) judgements.push((judgement = { key: follow.key, partition: follow.partition, claim: id, requested: true, reason: follow.reason, runId: null }))
        Object.assign(judgement, { claim: id, requested: true, reason: follow.reason })
        group.push(judgement)
      }
      await this.startRun(instance, group, partition, now, fired, pending)
    }
    const decisions = toDecisions(judgements, now)
    if (decisions.length > 0) await this.automation.recordDecisions(decisions)
    if (this.options.waitForRuns) await Promise.allSettled(pending)
    const report: TickReport = { at: now, fired, decisions, drift, circuits, forecast: await forecast(instance.graph, instance.store, statuses, now, undefined, instance.project), statuses }
    try {
      await this.options.onTick?.(report)
    } catch (error) {
      this.options.log?.(`tick listener failed: ${redact(error instanceof Error ? error.message : String(error))}`)
    }
    return report
  }

  /**
   * Ticks `loops` times (default: until the signal aborts), `interval` apart. With a store that
   * elects a leader (PostgreSQL), only the leading daemon ticks: the others stand by and try to
   * take the lead every `standbyRetry`, through the clock. Leadership is given up on return.
   */
  async start(options: DaemonLoopOptions = {}): Promise<void> {
    const interval = parseDuration(options.interval ?? '30s', 'interval')
    const retry = Math.min(interval, parseDuration(options.standbyRetry ?? '5s', 'standbyRetry'))
    const lock = this.automation.leaderLock?.('daemon')
    this.isLeading = lock === undefined
    try {
      for (let loop = 0; options.loops === undefined || loop < options.loops; loop++) {
        if (options.signal?.aborted) return
        let leading = lock === undefined
        try {
          if (lock) leading = await this.lead(lock, retry)
          if (leading) await this.runOnce()
        } catch (error) {
          // One bad tick (a store hiccup) must not kill the daemon; the next tick tries again.
          this.options.log?.(`tick failed: ${redact(error instanceof Error ? error.message : String(error))}`)
        }
        if (options.loops !== undefined && loop === options.loops - 1) return
        try {
          await pause(this.clock, leading ? interval : retry, options.signal)
        } catch {
          return
        }
      }
    } finally {
      this.isLeading = false
      await lock?.release()
    }
  }

  // Whether a claim was made by a daemon that led before this one was elected, and has stood long
  // enough that its holder, were it alive, would have completed it. The claim's time is the other
  // daemon's clock: this daemon also waits that long from its own election, so a skewed clock
  // cannot shorten the wait, and a former leader still mid-tick sees the claim is no longer its
  // own before it starts the run (see `fire`).
  private formerLeaders(tick: { holder: string; claimedAt: Date }, now: Date): boolean {
    if (this.leadSince === undefined || tick.holder === this.holder) return false
    const at = tick.claimedAt.getTime()
    const stale = now.getTime() - STALE_CLAIM_OF_FORMER_LEADER_MS
    return at < this.leadSince.getTime() && at <= stale && this.leadSince.getTime() <= stale
  }

  /** Whether this daemon's loop leads now (always, on a store without leader election, while it runs). */
  get leading(): boolean {
    return this.isLeading
  }

  /** The leading daemon as it recorded itself, or null when none ever led (or the store elects none). */
  async leader(): Promise<DaemonLeader | null> {
    const text = await this.automation.getCursor(LEADER_CURSOR)
    if (text === null) return null
    const value = JSON.parse(text) as { holder: string; since: string }
    return { holder: value.holder, since: new Date(value.since) }
  }

  // One try at the lead (a leader's try confirms its hold); says so when the role changes.
  private async lead(lock: LeaderLock, retryMs: number): Promise<boolean> {
    const was = this.isLeading
    let leading = false
    try {
      leading = await lock.tryAcquire()
    } finally {
      this.isLeading = leading
      if (!leading) this.leadSince = undefined
      if (was && !leading) this.options.log?.('lost the lead (its connection to the store dropped); standing by')
    }
    if (leading && !was) {
      this.leadSince = this.clock.now()
      const previous = await this.automation.getCursor(LEADER_CURSOR)
      // Compare-and-set: a racing write can only come from a daemon that led before this one.
      await this.automation.setCursor(LEADER_CURSOR, JSON.stringify({ holder: this.holder, since: this.clock.now().toISOString() }), previous)
      const before = previous === null ? null : (JSON.parse(previous) as { holder: string }).holder
      this.options.log?.(`leading: this daemon (${this.holder}) ticks${before && before !== this.holder ? `, taking over from ${before}` : ''}`)
      this.standingBy = false
    } else if (!leading && !this.standingBy) {
      this.standingBy = true
      const leader = await this.leader()
      this.options.log?.(`standing by: ${leader?.holder ?? 'another daemon'} leads; trying to take over every ${formatDuration(retryMs)}`)
    }
    return leading
  }

  // Starts one run for the claimed judgements of one partition (null: unpartitioned assets) and completes their claims.
  private async startRun(instance: Tributary, group: readonly Judgement[], partition: string | null, now: Date, fired: FiredRun[], pending: Promise<unknown>[]): Promise<void> {
    const selection = group.map((j) => j.key).join(' ')
    const spec: PartitionSpec = partition === null ? {} : { partition }
    const reason = group.map((j) => `${j.key}${j.partition === null ? '' : ` ${j.partition}`}: ${j.reason}`).join('; ')
    let runId: string | null = null
    try {
      const started = await startRecorded(instance, selection, { trigger: 'automation', ...spec })
      runId = started.runId
      pending.push(started.done)
      fired.push(firedRun('automation', selection, spec, runId, reason))
      this.options.log?.(`automation: started run ${runId}${describe(spec, ' for ')} (${reason})`)
    } catch (error) {
      fired.push({ ...firedRun('automation', selection, spec, null, reason), error: redact(error instanceof Error ? error.message : String(error)) })
    }
    for (const judgement of group) {
      judgement.runId = runId
      await this.automation.completeTick(judgement.claim, runId, now)
    }
  }

  private async schedule(schedule: ScheduleDefinition, now: Date, fire: Fire): Promise<void> {
    const cursorName = `schedule:${schedule.name}`
    const cursor = await this.automation.getCursor(cursorName)
    if (cursor === null) {
      // A new schedule starts from now: it never fires the history before it existed.
      await this.automation.setCursor(cursorName, now.toISOString(), null)
      return
    }
    const due = ticksBetween(schedule.cron, schedule.timezone, new Date(cursor), now, schedule.catchUp === 'all' ? schedule.maxCatchUp : 10_000)
    if (due.length === 0) return
    const toFire = schedule.catchUp === 'all' ? due : schedule.catchUp === 'latest' ? due.slice(-1) : due.slice(-1).filter((t) => now.getTime() - t.getTime() < 60_000)
    const instance = this.instance()
    for (const tick of toFire) {
      const missed = due.length - 1
      // The tick, not the time it is fired at, decides the partition: each caught-up tick builds its own.
      const partitions = () => schedulePartitions(instance.graph, instance.select(schedule.selection), schedule.partition, tick)
      const handled = await fire(`${cursorName}@${tick.toISOString()}`, cursorName, schedule.selection, `the ${schedule.cron} tick at ${tick.toISOString()}${missed > 0 ? ` (${missed} missed tick(s) before it, catch-up ${schedule.catchUp})` : ''}`, partitions)
      // Held by a daemon that has not finished it (or died mid-tick): keep the cursor here so it is retried, never lost.
      if (!handled) return
    }
    await this.automation.setCursor(cursorName, due[due.length - 1]!.toISOString(), cursor)
  }

  private async sensor(sensor: Exclude<SensorDefinition, { kind: 'webhook' }>, now: Date, fire: Fire): Promise<void> {
    const cursorName = `sensor:${sensor.name}`
    const instance = this.instance()
    const latest = (selection: string) => () => latestPartitions(instance.graph, instance.select(selection), now)
    const cursor = await this.automation.getCursor(cursorName)
    if (sensor.kind === 'files') {
      const paths = await matchFiles(this.instance().projectDir, sensor.pattern)
      const stats = await Promise.all(paths.map(async (path) => `${path}:${(await stat(path)).mtimeMs}`))
      const version = fingerprint(stats)
      if (version === cursor) return
      if (!(await this.automation.setCursor(cursorName, version, cursor))) return
      if (cursor !== null && paths.length > 0) await fire(`${cursorName}@${version}`, cursorName, sensor.selection, `new or changed files matching ${sensor.pattern}`, latest(sensor.selection))
      return
    }
    // User code: it runs where asset code runs (a worker with the pool), never in the daemon.
    const result = await instance.pollSensor(sensor, cursor)
    if (result.cursor !== null && result.cursor !== cursor) await this.automation.setCursor(cursorName, result.cursor, cursor)
    if (result.request) {
      const selection = typeof result.request === 'string' ? result.request : sensor.selection
      const partitions = typeof result.partition === 'string' ? () => ({ partition: result.partition! }) : latest(selection)
      await fire(`${cursorName}@${cursor ?? ''}->${result.cursor ?? now.toISOString()}`, cursorName, selection, result.reason ?? `sensor ${sensor.name} requested a run`, partitions)
    }
  }

  // Drift is judged against the last schema the daemon reported (or accepted), kept in a cursor
  // per source, not against the previous look: a status, run or UI that observed the new schema
  // first cannot hide it, and each change is reported once (the cursor is compare-and-set).
  private async detectDrift(instance: Tributary, before: ReadonlyMap<string, ObservationRecord>): Promise<Map<string, string>> {
    const drift = new Map<string, string>()
    for (const observation of await instance.store.latestObservations()) {
      if (!observation.columns || observation.schemaFingerprint === null) continue
      const name = `schema:${observation.sourceKey}`
      const cursor = await this.automation.getCursor(name)
      const baseline: SchemaShape | undefined = cursor === null ? before.get(observation.sourceKey) : (JSON.parse(cursor) as SchemaShape)
      if (cursor !== null && baseline?.schemaFingerprint === observation.schemaFingerprint) continue
      const current: SchemaShape = { schemaFingerprint: observation.schemaFingerprint, columns: observation.columns }
      // Lost to another daemon: that one reports it.
      if (!(await this.automation.setCursor(name, JSON.stringify(current), cursor))) continue
      const change = schemaDrift(baseline, current)
      if (change) drift.set(observation.sourceKey, change)
    }
    return drift
  }

  // Failed assets (for a partitioned asset, its failed partitions) are retried automatically
  // within a budget per asset; past it the circuit opens and says so.
  private async remediate(instance: Tributary, statuses: ReadonlyMap<string, AssetStatusRecord>, view: PartitionView, now: Date, judgements: Judgement[]): Promise<Map<string, string>> {
    const settings = instance.project.remediation
    const circuits = new Map<string, string>()
    if (settings?.enabled === false) return circuits
    const budget = { maxAttempts: settings?.maxAttempts ?? 3, windowMs: parseDuration(settings?.window ?? '24h') }
    for (const status of statuses.values()) {
      // A source is never rebuilt (one failed by a schema change waits on its owner).
      if (status.status !== 'failed' || status.rootCause?.key !== status.key || instance.graph.get(status.key).def.type === 'source') continue
      const requested = (partition: string | null) => judgements.some((j) => j.requested && j.key === status.key && (partition === null || j.partition === partition))
      const retries = instance.graph.get(status.key).partitions
        ? view.ownFailures(status.key).filter((f) => !requested(f.partition)).slice(0, MAX_PARTITIONS_PER_TICK)
        : requested(null) ? [] : [{ partition: null, runId: status.lastRunId }]
      if (retries.length === 0) continue
      const cursorName = `remediation:${status.key}`
      const cursor = await this.automation.getCursor(cursorName)
      const { recent, allowed } = budgetState(cursor ? (JSON.parse(cursor) as number[]) : [], budget, now.getTime())
      if (!allowed) {
        circuits.set(status.key, `circuit open: ${recent.length} automatic retries in the last ${settings?.window ?? '24h'} failed; not retrying until a person fixes ${status.key} or the window passes`)
        continue
      }
      if (!(await this.automation.setCursor(cursorName, JSON.stringify([...recent, now.getTime()]), cursor))) continue
      for (const { partition, runId } of retries) {
        judgements.push({
          key: status.key, partition, claim: `remediate:${status.key}${partition === null ? '' : `@${partition}`}@${runId}`, requested: true,
          reason: `remediation ${recent.length + 1}/${budget.maxAttempts}: retrying after failure in run ${runId}`, runId: null,
        })
      }
    }
    return circuits
  }
}

function firedRun(by: string, selection: string, partitions: PartitionSpec, runId: string | null, reason: string): FiredRun {
  const what = describePartitions(partitions)
  return what ? { by, selection, partitions, runId, reason: `${reason}, for ${what}` } : { by, selection, runId, reason }
}

function describe(spec: PartitionSpec, prefix: string): string {
  const what = describePartitions(spec)
  return what ? `${prefix}${what}` : ''
}

// Starts a run and resolves once its record is in the store (or the run ended before that), so a
// claim is completed only with a run that exists: a daemon killed before then leaves the claim
// uncompleted, and the next leader fires the tick.
async function startRecorded(instance: Tributary, selection: string, options: Parameters<Tributary['start']>[1]): Promise<{ runId: string; done: Promise<unknown> }> {
  let recorded = () => {}
  const inStore = new Promise<void>((resolve) => (recorded = resolve))
  const started = instance.start(selection, { ...options, onProgress: (event) => { if (event.type === 'run_started') recorded() } })
  await Promise.race([inStore, started.done.then(() => undefined, () => undefined)])
  return started
}

// Whether `holder` (`<host>:<pid>`) names a process of this machine that no longer exists.
function diedHere(holder: string): boolean {
  const at = holder.lastIndexOf(':')
  const pid = Number(holder.slice(at + 1))
  if (holder.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

// Waits `ms` on the clock as a timer, so a test's ManualClock decides when the loop goes on
// (timersSet() tells it the loop is waiting), instead of a sleep that moves time itself.
function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      cancel()
      reject(signal?.reason)
    }
    const cancel = startTimer(clock, ms, () => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
