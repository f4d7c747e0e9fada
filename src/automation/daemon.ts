import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { usableAsInput, type AssetStatusRecord } from '../engine/status.js'
import type { Clock } from '../engine/clock.js'
import { matchFiles } from '../engine/observe.js'
import { parseDuration } from '../model/duration.js'
import type { ScheduleDefinition, SensorDefinition } from '../model/automation.js'
import type { Tributary } from '../instance/tributary.js'
import type { AutomationStore, DecisionRecord } from '../store/automation-store.js'
import type { ObservationRecord } from '../store/records.js'
import { evaluateCondition } from './conditions.js'
import { ticksBetween } from './cron.js'
import { forecast, type Forecast } from './forecast.js'
import { budgetState } from './remediation.js'
import { schemaDrift } from './schema-drift.js'
import { stat } from 'node:fs/promises'

/** How long an uncompleted claim may stand before another daemon takes it over. Default: 5 minutes. */
const STALE_CLAIM_MS = 5 * 60_000

/** A run the daemon started, and why. */
export interface FiredRun {
  readonly by: string
  readonly selection: string
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

/** Hook called at the end of each tick (alerting plugs in here). Must not throw. */
export type TickListener = (report: TickReport) => Promise<void> | void

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

  constructor(private readonly instance: () => Tributary, private readonly automation: AutomationStore, private readonly options: DaemonOptions = {}) {
    this.clock = options.clock ?? instance().clock
    this.holder = options.holder ?? `${hostname()}:${process.pid}`
  }

  /** One tick. */
  async runOnce(): Promise<TickReport> {
    const instance = this.instance()
    const now = this.clock.now()
    const fired: FiredRun[] = []
    const pending: Promise<unknown>[] = []
    // A claim left uncompleted this long belonged to a daemon that died mid-tick: take it over.
    const claim = (id: string) => this.automation.claimTick(id, this.holder, now, new Date(now.getTime() - STALE_CLAIM_MS))
    // Returns whether the tick is taken care of: fired here, or completed by another daemon.
    const fire = async (id: string, by: string, selection: string, reason: string): Promise<boolean> => {
      if (!(await claim(id))) return (await this.automation.getTick(id))?.completedAt != null
      try {
        const started = instance.start(selection, { trigger: by })
        pending.push(started.done)
        fired.push({ by, selection, runId: started.runId, reason })
        await this.automation.completeTick(id, started.runId, now)
        this.options.log?.(`${by}: started run ${started.runId} (${reason})`)
      } catch (error) {
        fired.push({ by, selection, runId: null, reason, error: error instanceof Error ? error.message : String(error) })
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

    const decisions: Omit<DecisionRecord, 'id'>[] = []
    const requested: { key: string; claim: string; reason: string }[] = []
    for (const node of instance.graph.nodes.values()) {
      if (node.def.type === 'source' || !node.def.automation) continue
      const status = statuses.get(node.key)!
      const decision = evaluateCondition(node.def.automation, { key: node.key, status, upstream: node.upstream.map((k) => statuses.get(k)!), now })
      const claim = `auto:${node.key}@${fingerprint([decision.reason, status.lastUpdated, ...node.upstream.map((k) => statuses.get(k)?.lastUpdated)])}`
      decisions.push({ tickId: claim, assetKey: node.key, requested: decision.requested, reason: decision.reason, runId: null, at: now })
      if (decision.requested) requested.push({ key: node.key, claim, reason: decision.reason })
    }
    const circuits = await this.remediate(instance, statuses, now, requested)
    const claimed: typeof requested = []
    for (const request of requested) if (await claim(request.claim)) claimed.push(request)
    if (claimed.length > 0) {
      for (const follow of eagerFollowers(instance, statuses, claimed.map((c) => c.key))) {
        if (!(await claim(`${follow.key}@${claimed[0]!.claim}`))) continue
        claimed.push({ key: follow.key, claim: `${follow.key}@${claimed[0]!.claim}`, reason: follow.reason })
        const decision = decisions.find((d) => d.assetKey === follow.key)
        if (decision) Object.assign(decision, { tickId: `${follow.key}@${claimed[0]!.claim}`, requested: true, reason: follow.reason })
      }
      const selection = claimed.map((r) => r.key).join(' ')
      try {
        const started = instance.start(selection, { trigger: 'automation' })
        pending.push(started.done)
        fired.push({ by: 'automation', selection, runId: started.runId, reason: claimed.map((r) => `${r.key}: ${r.reason}`).join('; ') })
        for (const d of decisions) if (claimed.some((c) => c.claim === d.tickId)) Object.assign(d, { runId: started.runId })
        for (const c of claimed) await this.automation.completeTick(c.claim, started.runId, now)
      } catch (error) {
        fired.push({ by: 'automation', selection, runId: null, reason: 'conditions', error: error instanceof Error ? error.message : String(error) })
        for (const c of claimed) await this.automation.completeTick(c.claim, null, now)
      }
    }
    if (decisions.length > 0) await this.automation.recordDecisions(decisions)
    if (this.options.waitForRuns) await Promise.allSettled(pending)
    const report: TickReport = { at: now, fired, decisions, drift, circuits, forecast: await forecast(instance.graph, instance.store, statuses, now), statuses }
    try {
      await this.options.onTick?.(report)
    } catch (error) {
      this.options.log?.(`tick listener failed: ${error instanceof Error ? error.message : String(error)}`)
    }
    return report
  }

  /** Ticks `loops` times (default: until the signal aborts), `interval` apart. Default interval: 30s. */
  async start(options: { loops?: number; interval?: string | number; signal?: AbortSignal } = {}): Promise<void> {
    const interval = parseDuration(options.interval ?? '30s', 'interval')
    for (let loop = 0; options.loops === undefined || loop < options.loops; loop++) {
      if (options.signal?.aborted) return
      try {
        await this.runOnce()
      } catch (error) {
        // One bad tick (a store hiccup) must not kill the daemon; the next tick tries again.
        this.options.log?.(`tick failed: ${error instanceof Error ? error.message : String(error)}`)
      }
      if (options.loops !== undefined && loop === options.loops - 1) return
      try {
        await this.clock.sleep(interval, options.signal)
      } catch {
        return
      }
    }
  }

  private async schedule(schedule: ScheduleDefinition, now: Date, fire: (claim: string, by: string, selection: string, reason: string) => Promise<boolean>): Promise<void> {
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
    for (const tick of toFire) {
      const missed = due.length - 1
      const handled = await fire(`${cursorName}@${tick.toISOString()}`, cursorName, schedule.selection, `the ${schedule.cron} tick at ${tick.toISOString()}${missed > 0 ? ` (${missed} missed tick(s) before it, catch-up ${schedule.catchUp})` : ''}`)
      // Held by a daemon that has not finished it (or died mid-tick): keep the cursor here so it is retried, never lost.
      if (!handled) return
    }
    await this.automation.setCursor(cursorName, due[due.length - 1]!.toISOString(), cursor)
  }

  private async sensor(sensor: Exclude<SensorDefinition, { kind: 'webhook' }>, now: Date, fire: (claim: string, by: string, selection: string, reason: string) => Promise<boolean>): Promise<void> {
    const cursorName = `sensor:${sensor.name}`
    const cursor = await this.automation.getCursor(cursorName)
    if (sensor.kind === 'files') {
      const paths = await matchFiles(this.instance().projectDir, sensor.pattern)
      const stats = await Promise.all(paths.map(async (path) => `${path}:${(await stat(path)).mtimeMs}`))
      const version = fingerprint(stats)
      if (version === cursor) return
      if (!(await this.automation.setCursor(cursorName, version, cursor))) return
      if (cursor !== null && paths.length > 0) await fire(`${cursorName}@${version}`, cursorName, sensor.selection, `new or changed files matching ${sensor.pattern}`)
      return
    }
    const result = await sensor.poll(cursor)
    if (result.cursor !== null && result.cursor !== cursor) await this.automation.setCursor(cursorName, result.cursor, cursor)
    if (result.request) {
      const selection = typeof result.request === 'string' ? result.request : sensor.selection
      await fire(`${cursorName}@${cursor ?? ''}->${result.cursor ?? now.toISOString()}`, cursorName, selection, result.reason ?? `sensor ${sensor.name} requested a run`)
    }
  }

  private async detectDrift(instance: Tributary, before: ReadonlyMap<string, ObservationRecord>): Promise<Map<string, string>> {
    const drift = new Map<string, string>()
    for (const observation of await instance.store.latestObservations()) {
      const change = schemaDrift(before.get(observation.sourceKey), observation)
      if (change) drift.set(observation.sourceKey, change)
    }
    return drift
  }

  // Failed assets are retried automatically within a budget; past it the circuit opens and says so.
  private async remediate(instance: Tributary, statuses: ReadonlyMap<string, AssetStatusRecord>, now: Date, requested: { key: string; claim: string; reason: string }[]): Promise<Map<string, string>> {
    const settings = instance.project.remediation
    const circuits = new Map<string, string>()
    if (settings?.enabled === false) return circuits
    const budget = { maxAttempts: settings?.maxAttempts ?? 3, windowMs: parseDuration(settings?.window ?? '24h') }
    for (const status of statuses.values()) {
      if (status.status !== 'failed' || status.rootCause?.key !== status.key || requested.some((r) => r.key === status.key)) continue
      const cursorName = `remediation:${status.key}`
      const cursor = await this.automation.getCursor(cursorName)
      const { recent, allowed } = budgetState(cursor ? (JSON.parse(cursor) as number[]) : [], budget, now.getTime())
      if (!allowed) {
        circuits.set(status.key, `circuit open: ${recent.length} automatic retries in the last ${settings?.window ?? '24h'} failed; not retrying until a person fixes ${status.key} or the window passes`)
        continue
      }
      const claim = `remediate:${status.key}@${status.lastRunId}`
      if (!(await this.automation.setCursor(cursorName, JSON.stringify([...recent, now.getTime()]), cursor))) continue
      requested.push({ key: status.key, claim, reason: `remediation ${recent.length + 1}/${budget.maxAttempts}: retrying after failure in run ${status.lastRunId}` })
    }
    return circuits
  }
}

/**
 * The eager assets downstream of `keys` whose every input is usable now or rebuilt in the same
 * run: they join that run (the engine waits for their inputs), so a late export that lands
 * rebuilds everything eager below it in one run rather than one level per tick. Graph order.
 */
function eagerFollowers(instance: Tributary, statuses: ReadonlyMap<string, AssetStatusRecord>, keys: readonly string[]): { key: string; reason: string }[] {
  const inRun = new Set(keys)
  const followers: { key: string; reason: string }[] = []
  const below = new Set<string>()
  for (const key of keys) for (const downstream of instance.graph.downstreamOf(key)) below.add(downstream)
  for (const key of instance.graph.sort(below)) {
    const node = instance.graph.get(key)
    if (inRun.has(key) || node.def.type === 'source' || node.def.automation?.type !== 'eager' || statuses.get(key)?.status === 'running') continue
    const rebuilt = node.upstream.filter((k) => inRun.has(k))
    if (rebuilt.length === 0 || !node.upstream.every((k) => inRun.has(k) || (statuses.get(k) !== undefined && usableAsInput(statuses.get(k)!)))) continue
    inRun.add(key)
    followers.push({ key, reason: `requested because ${rebuilt.join(', ')} ${rebuilt.length === 1 ? 'is' : 'are'} rebuilt in the same run` })
  }
  return followers
}

function fingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
}
