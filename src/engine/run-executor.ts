import { setMaxListeners } from 'node:events'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { GraphNode } from '../graph/asset-graph.js'
import { parseDuration } from '../model/duration.js'
import { ErrorCode, serializeError, TributaryError, type SerializedError } from '../model/errors.js'
import type { MaterializationRecord, RunStatus, StepStatus, StepUpdate } from '../store/records.js'
import type { StepStartResult } from '../store/store.js'
import type { EngineDeps } from './engine-deps.js'
import { stepId, type Plan, type PlannedStep } from './plan.js'
import { UNSTARTED, type ProgressEvent, type ProgressListener } from './progress.js'
import { currentStatuses, firstUnusable, schemaBreakOf } from './readiness.js'
import { UpstreamSchemaChangedError } from './schema-breaks.js'
import { contractBreachOf, readerMessage, UpstreamContractBreachedError } from './source-contract.js'
import { maxAttempts, retryDelay } from './retry-delay.js'
import { runAttempt, type ResolvedInputs } from './step-executor.js'
import { checkedRowCount, resolveInputs } from './attempt-inputs.js'
import type { RemoteAttempt, RemoteOutcome } from '../execution/executor.js'
import { runsExecutingHere } from './recovery.js'
import { CanceledError, NotReadyError } from './step-errors.js'
import { upToDate } from './up-to-date.js'
import { upToDateSteps, withoutSteps } from './up-to-date-plan.js'
import { codeStepsAtOnce } from '../execution/warm-count.js'
import { startRepeating } from './clock.js'

/** How a run is started. */
export interface RunOptions {
  readonly selection?: string
  /** Default: 'api'. */
  readonly trigger?: string
  /** Default: a new id like `20261122-030512-a1b2c3`. */
  readonly runId?: string
  /** Aborting it cancels the run: running steps stop, queued steps are canceled. */
  readonly signal?: AbortSignal
  /** Aborting it pauses the run: running steps finish, no more start, and the run ends 'paused'. */
  readonly pauseSignal?: AbortSignal
  readonly onProgress?: ProgressListener
  /** The run this one continues (a resumed backfill); the run is refused (TRB6003) when another already does. */
  readonly continues?: string | null
  /** Build every step, even those up to date (same code, same input versions as their last materialization). Default: false. */
  readonly force?: boolean
}

/** How a run ended. */
export interface RunResult {
  readonly runId: string
  readonly status: RunStatus
  readonly counts: Readonly<Record<StepStatus, number>>
}

/** Creates a run id that sorts by start time and reads as one. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

/**
 * Executes a plan: steps start as soon as their in-run upstream succeeded and their
 * outside upstream is ready, within the global and pool limits; a failed or blocked step
 * skips only its downstream.
 */
export async function executeRun(deps: EngineDeps, plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const runId = options.runId ?? newRunId(deps.clock.now())
  const emit = (event: ProgressEvent) => {
    try {
      options.onProgress?.(event)
    } catch {
      // A broken progress display must never break the run.
    }
  }
  const counts = Object.fromEntries(['queued', 'waiting', 'running', 'succeeded', 'failed', 'blocked', 'skipped', 'canceled'].map((s) => [s, 0])) as Record<StepStatus, number>
  const steps = new Map(plan.steps.map((step) => [stepId(step), step]))
  const final = new Map<string, StepStatus>()
  // Resolves the scheduling loop's wait below; set while it waits.
  let wake: (() => void) | undefined
  const controller = new AbortController()
  // Aborted on cancel and on pause: steps still waiting (for upstream, a lease) stop waiting.
  const stopWaiting = new AbortController()
  // Every running or waiting step listens; a wide run legitimately has more than 10 at once.
  setMaxListeners(0, controller.signal)
  setMaxListeners(0, stopWaiting.signal)
  const onOuterAbort = () => controller.abort(new CanceledError(undefined))
  // One listener for the whole run: the scheduling loop below wakes on it as on any step's end.
  controller.signal.addEventListener('abort', () => {
    stopWaiting.abort()
    wake?.()
  }, { once: true })
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  let pausing = false
  const onPause = () => {
    if (pausing || controller.signal.aborted) return
    pausing = true
    stopWaiting.abort()
    emit({ type: 'run_pausing', runId })
    wake?.()
  }
  options.pauseSignal?.addEventListener('abort', onPause, { once: true })
  const pause = { signal: stopWaiting.signal, paused: () => pausing && !controller.signal.aborted }

  await deps.store.createRun({
    id: runId, selection: options.selection ?? '', trigger: options.trigger ?? 'api', pid: process.pid, host: hostname(),
    startedAt: deps.clock.now(), steps: plan.steps.map((s) => ({ assetKey: s.key, partition: s.partition })), continues: options.continues ?? null,
  })
  // Recovery never judges a run of this process by its heartbeat (a test's clock may jump ahead).
  runsExecutingHere.add(runId)
  counts.queued = plan.steps.length
  emit({ type: 'run_started', runId, total: plan.steps.length })
  // Asked before the run was created (Ctrl-C while planning): honoured now, before any step starts.
  if (options.signal?.aborted) onOuterAbort()
  if (options.pauseSignal?.aborted) onPause()
  // Heartbeats prove the process is alive, so recovery never fails a run that is still going;
  // they also bring back what another process asked of the run (pause, cancel). On the clock, so a
  // test's ManualClock decides when a beat comes.
  const stopHeartbeat = startRepeating(deps.clock, deps.settings.heartbeatMs, () => {
    const now = deps.clock.now()
    void deps.store.heartbeat(runId, now).then((requested) => {
      if (requested === 'cancel') onOuterAbort()
      else if (requested === 'pause') onPause()
    }, () => undefined)
    void deps.store.renewLeases(runId, deps.settings.leaseTtlMs, now).catch(() => undefined)
  })

  const record = async (step: PlannedStep, status: StepStatus, extra: { attempt?: number; reason?: string | null; error?: SerializedError | null; durationMs?: number | null; stored?: boolean } = {}) => {
    const id = stepId(step)
    const previous = final.get(id) ?? (status === 'queued' ? undefined : 'queued')
    if (extra.stored !== true) {
      await deps.store.updateStep({ runId, assetKey: step.key, partition: step.partition, status, at: deps.clock.now(), ...withoutStored(extra) })
    }
    if (previous) counts[previous]--
    counts[status]++
    final.set(id, status)
    emit({ type: 'step', runId, key: step.key, partition: step.partition, status, attempt: extra.attempt ?? 0, reason: extra.reason ?? null, error: extra.error ?? null, durationMs: extra.durationMs ?? null })
  }

  // Up to date, decided for the whole plan in a few bulk reads and recorded in one write; only the
  // rest is scheduled (when deciding fails, each step is still checked in runStep).
  // When this run last looked at each source (clock ms; see runStep). Deciding looks at every source
  // the plan's whole-asset steps read, so their readiness checks start from that look.
  const looks = new Map<string, number>()
  const lookedAt = deps.clock.now().getTime()
  const upToDateReasons = options.force ? new Map<string, string>() : await upToDateSteps(deps, plan).then((reasons) => {
    for (const step of plan.steps) if (step.partition === null) for (const up of deps.graph.get(step.key).upstream) if (deps.graph.get(up).def.type === 'source') looks.set(up, lookedAt)
    return reasons
  }, () => new Map<string, string>())
  if (upToDateReasons.size > 0) {
    const upToDateNow = plan.steps.filter((s) => upToDateReasons.has(stepId(s))).map((s) => ({ step: s, reason: upToDateReasons.get(stepId(s))! }))
    const at = deps.clock.now()
    await deps.store.updateSteps(upToDateNow.map(({ step, reason }) => ({ runId, assetKey: step.key, partition: step.partition, status: 'succeeded' as const, at, reason, durationMs: 0 })))
    for (const { step, reason } of upToDateNow) await record(step, 'succeeded', { reason, durationMs: 0, stored: true })
    plan = withoutSteps(plan, upToDateReasons)
  }
  // More workers load the project (the instance warmed the first one) for the steps not up to date,
  // as many as can run at once: a no-op re-run starts none.
  const codeSteps = deps.executor?.warm ? codeStepsAtOnce(plan.steps, deps.graph) : 0
  if (codeSteps > 0) deps.executor?.warm?.(Math.min(codeSteps, deps.settings.concurrency))
  const remaining = new Map(plan.steps.map((s) => [stepId(s), s.upstreamInRun.length]))
  const ready: PlannedStep[] = plan.steps.filter((s) => s.upstreamInRun.length === 0)
  const poolUse = new Map<string, number>()
  // Steps holding a slot (their code may run), and steps not ended yet: a step whose code is done
  // gives its slot to the next while its end is stored (see codeEnded below).
  let running = 0
  let unfinished = 0
  const inFlight = new Set<Promise<void>>()

  const skipDownstream = async (step: PlannedStep, because: string) => {
    const queue = [...step.downstreamInRun]
    while (queue.length > 0) {
      const key = queue.shift()!
      if (final.get(key) === 'skipped') continue
      const downstream = steps.get(key)!
      remaining.set(key, -1)
      await record(downstream, 'skipped', { reason: `upstream ${because}`, error: { code: ErrorCode.UpstreamFailed, message: `skipped: upstream ${because}`, hint: 'Fix the upstream; this asset runs again with it.' } })
      queue.push(...downstream.downstreamInRun)
    }
  }

  const finish = async (step: PlannedStep, status: StepStatus) => {
    if (status === 'succeeded') {
      for (const key of step.downstreamInRun) {
        const left = remaining.get(key)! - 1
        remaining.set(key, left)
        if (left === 0) ready.push(steps.get(key)!)
      }
    } else if (status !== 'canceled') {
      await skipDownstream(step, `${stepId(step)} ${status}`)
    }
  }

  const launch = (step: PlannedStep) => {
    const node = deps.graph.get(step.key)
    const pool = node.def.type === 'source' ? undefined : node.def.pool
    running++
    unfinished++
    if (pool) poolUse.set(pool, (poolUse.get(pool) ?? 0) + 1)
    const lease = { held: false }
    let slotTaken = true
    const freeSlot = () => {
      if (!slotTaken) return
      slotTaken = false
      running--
      if (pool) poolUse.set(pool, poolUse.get(pool)! - 1)
      wake?.()
    }
    // The attempt's code is done and only its end is left to store: the next step starts in the same
    // store write, and the lease goes in it too when the store commits writes in order (queued after
    // the end, so it is never free first); otherwise the lease waits for the end to be stored.
    const codeEnded = () => {
      freeSlot()
      if (!lease.held || deps.store.ordersWrites !== true) return
      lease.held = false
      queueMicrotask(() => void deps.store.releaseLease(node.key, step.partition, runId).catch(() => undefined))
    }
    const work = runStep(deps, runId, step, node, controller.signal, pause, record, options.force === true, lease, codeEnded, looks)
      .then((status) => finish(step, status))
      .catch(async (error) => {
        // Only Tributary's own failures (the store going away) land here; the step is lost, not the run.
        await record(step, 'failed', { error: serializeError(error) }).catch(() => undefined)
        await skipDownstream(step, `${stepId(step)} failed`).catch(() => undefined)
      })
      .finally(() => {
        freeSlot()
        unfinished--
        wake?.()
        // The slot and the downstream are free once the final state is stored; the lease goes after,
        // in the same store write as the next step's start rather than before it (run end releases any left).
        if (lease.held) return deps.store.releaseLease(node.key, step.partition, runId).catch(() => undefined)
      })
      .finally(() => inFlight.delete(work))
    inFlight.add(work)
  }

  try {
    for (;;) {
      if (controller.signal.aborted) break
      // Take the first ready step whose pool has room; others wait their turn in order.
      while (running < deps.settings.concurrency && !pausing) {
        const index = ready.findIndex((step) => {
          const node = deps.graph.get(step.key)
          const pool = node.def.type === 'source' ? undefined : node.def.pool
          return !pool || (poolUse.get(pool) ?? 0) < (deps.settings.pools[pool] ?? Number.POSITIVE_INFINITY)
        })
        if (index < 0) break
        launch(ready.splice(index, 1)[0]!)
      }
      if (unfinished === 0) break
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      wake = undefined
    }
    await Promise.allSettled([...inFlight])
    const why = controller.signal.aborted ? UNSTARTED.canceled : UNSTARTED.paused
    for (const step of plan.steps) {
      if (!final.has(stepId(step)) || final.get(stepId(step)) === 'queued') await record(step, 'canceled', { reason: why })
    }
  } finally {
    stopHeartbeat()
    runsExecutingHere.delete(runId)
    options.signal?.removeEventListener('abort', onOuterAbort)
    options.pauseSignal?.removeEventListener('abort', onPause)
  }
  // Paused only when the pause left something unstarted; a run that finished anyway ends as it ended.
  const status: RunStatus = controller.signal.aborted ? 'canceled'
    : pausing && counts.canceled > 0 ? 'paused'
      : counts.failed + counts.blocked + counts.skipped > 0 ? 'failed' : 'succeeded'
  const failedSteps = plan.steps.filter((s) => ['failed', 'blocked'].includes(final.get(stepId(s)) ?? '')).map(stepId)
  await deps.store.finishRun(runId, status, deps.clock.now(), status === 'failed' ? { code: ErrorCode.RunFailed, message: `${failedSteps.length} step(s) failed or blocked: ${failedSteps.slice(0, 5).join(', ')}`, hint: `See tributary run ${runId}.` } : null)
  await deps.store.releaseLeasesOf(runId)
  emit({ type: 'run_finished', runId, status, counts: { ...counts } })
  return { runId, status, counts: { ...counts } }
}

function withoutStored<T extends { stored?: boolean }>(extra: T): Omit<T, 'stored'> {
  const { stored: _stored, ...rest } = extra
  return rest
}

type Recorder = (step: PlannedStep, status: StepStatus, extra?: { attempt?: number; reason?: string | null; error?: SerializedError | null; durationMs?: number | null; stored?: boolean }) => Promise<void>

/** Why a step cannot start yet, and how it ends if that lasts past the limit (default: failed). */
interface Blocked {
  readonly waiting: string
  readonly fail: (waitedMs: number) => { status?: 'failed' | 'blocked'; error: SerializedError; reason?: string }
  /** End at once rather than wait: waiting cannot help (a source breaking its contract). Default: false. */
  readonly now?: boolean
}

// An input that stayed not ready is its upstream's problem, not the reader's: the reader ends
// blocked (never failed), its error (TRB3003) naming the upstream so status walks to the root cause.
const notReady = (error: NotReadyError) => ({ status: 'blocked' as const, error: serializeError(error), reason: error.detail })

/**
 * Polls `check` until it reports nothing in the way (returns undefined), the limit passes
 * (records how it ends, blocked or failed, and returns that) or the run is canceled (returns 'canceled').
 * The first wait is recorded as the step's `waiting` state with its reason.
 */
async function waitUntilClear(
  deps: EngineDeps, step: PlannedStep, signal: AbortSignal, record: Recorder,
  options: { since: number; limitMs: number; pollMs: number; canceled: () => string },
  check: () => Promise<Blocked | undefined>,
): Promise<StepStatus | undefined> {
  for (let announced = false; ; announced = true) {
    const blocked = await check()
    if (!blocked) return undefined
    const waited = deps.clock.now().getTime() - options.since
    if (waited >= options.limitMs || blocked.now) {
      const { status = 'failed', ...end } = blocked.fail(waited)
      await record(step, status, end)
      return status
    }
    if (!announced) await record(step, 'waiting', { reason: blocked.waiting })
    try {
      await deps.clock.sleep(Math.min(options.pollMs, options.limitMs - waited), signal)
    } catch {
      await record(step, 'canceled', { reason: options.canceled() })
      return 'canceled'
    }
  }
}

// One step from waiting to its final state: readiness, lease, attempts with retries. The lease,
// once taken (lease.held), is the caller's to release.
async function runStep(
  deps: EngineDeps, runId: string, step: PlannedStep, node: GraphNode, signal: AbortSignal,
  pause: { readonly signal: AbortSignal; readonly paused: () => boolean }, record: Recorder, force: boolean,
  lease: { held: boolean }, codeEnded: () => void, looks: Map<string, number>,
): Promise<StepStatus> {
  const def = node.def
  if (def.type === 'source') throw new Error('sources are not steps')
  const timeoutMs = def.readinessTimeout === undefined ? deps.settings.readinessTimeoutMs : parseDuration(def.readinessTimeout)
  const waitStarted = deps.clock.now().getTime()
  const sources = node.upstream.filter((key) => deps.graph.get(key).def.type === 'source')
  // A pause stops the waiting too: a step that has not started by then never does.
  const wait = (limitMs: number, pollMs: number, canceled: string, check: () => Promise<Blocked | undefined>) =>
    waitUntilClear(deps, step, pause.signal, record, { since: waitStarted, limitMs, pollMs, canceled: () => (pause.paused() ? UNSTARTED.paused : canceled) }, check)
  // Readiness: outside upstream must be present, checked and fresh enough, else wait (bounded).
  if (step.upstreamOutside.length > 0) {
    const outcome = await wait(timeoutMs, deps.settings.readinessPollMs, 'canceled while waiting for upstream', async () => {
      // A run looks at a source once per poll interval, not once per step reading it: steps starting
      // meanwhile judge it by that look (in the store), and a waiting step's next poll looks again.
      const now = deps.clock.now().getTime()
      const due = sources.filter((key) => !(now - (looks.get(key) ?? Number.NEGATIVE_INFINITY) < deps.settings.readinessPollMs))
      const statuses = await currentStatuses(deps, due, step.upstreamOutside)
      for (const key of due) looks.set(key, now)
      const blocker = firstUnusable(statuses, step.upstreamOutside)
      if (!blocker) return undefined
      const root = blocker.rootCause ?? { key: blocker.key, owner: blocker.owner, status: blocker.status, message: blocker.status }
      // A source breaking its contract: blocked before it runs, naming the source and its columns (its owner's to fix).
      const breach = contractBreachOf(statuses.get(root.key))
      if (breach) {
        const error = new UpstreamContractBreachedError(node.key, breach)
        return { waiting: error.detail, now: true, fail: () => ({ status: 'blocked', error: serializeError(error), reason: readerMessage(breach) }) }
      }
      const why = `is ${blocker.status}${root.key === blocker.key ? `: ${root.message}` : ` because ${root.key} is ${root.status}: ${root.message}`}`
      return { waiting: `waiting for ${blocker.key}, which ${why}`, fail: (waited) => notReady(new NotReadyError(node.key, blocker.key, why, root.owner, waited)) }
    })
    if (outcome) return outcome
  }
  // Partitions read from outside the run must have been published.
  if (step.waitsFor) {
    const waitsFor = step.waitsFor
    const outcome = await wait(timeoutMs, deps.settings.readinessPollMs, 'canceled while waiting for upstream', async () => {
      const missing = await firstUnpublished(deps, waitsFor)
      if (!missing) return undefined
      const why = `partition ${missing.partition} is not published yet`
      return { waiting: `waiting for ${missing.key}: ${why}`, fail: (waited) => notReady(new NotReadyError(node.key, missing.key, why, deps.graph.get(missing.key).def.owner ?? null, waited)) }
    })
    if (outcome) return outcome
  }
  // A source whose new schema removed or retyped a column this asset reads: blocked before it
  // runs, with the source (and its owner) as the reason, rather than failing on a binder error.
  if (sources.length > 0) {
    const broken = await schemaBreakOf(deps, node.key)
    if (broken) {
      await record(step, 'blocked', { reason: broken.message, error: serializeError(new UpstreamSchemaChangedError(broken)) })
      return 'blocked'
    }
  }
  // At most one live materialization per asset-partition across concurrent runs. Up to date (see
  // up-to-date.ts) is decided on reads made just before the lease, and the step starts in one store
  // write that takes the lease and records the decision (running, or up to date) only if no run
  // published this partition since those reads: two runs never both skip and build.
  // With queue workers the store records the step waiting for a worker, then running when one takes
  // it; the first attempt is enqueued in the write that takes the lease, and the worker reads the
  // inputs the control plane did not read to decide.
  const remote = deps.executor?.runAttempt ? deps.executor : undefined
  // A remote attempt without inputs: the worker that claims it reads them.
  const remoteAttempt = (attempt: number): RemoteAttempt => ({ runId, assetKey: node.key, partition: step.partition, attempt, codeVersion: node.codeVersion, pool: def.pool ?? null })
  const runLocally = async (attempt: number) => {
    const inputs = resolved ?? (await resolveInputs(deps, node, step.partition))
    resolved = undefined
    return runAttempt(deps, { node, runId, partition: step.partition, attempt, codeEnded }, inputs, signal, await checkedRowCount(deps, node, step.partition, last))
  }
  let decided: UpToDateDecision | undefined
  // The first attempt, when enqueued with the lease: how it ends.
  let enqueued: Promise<RemoteOutcome> | undefined
  const leased = await wait(Math.max(timeoutMs, deps.settings.leaseTtlMs), Math.min(deps.settings.readinessPollMs, 1000), 'canceled while waiting for another run', async () => {
    for (;;) {
      // A pause stops a step that has not started: it ends canceled below, without its lease.
      if (pause.paused()) return undefined
      const decision = await decideUpToDate(deps, node, step, force)
      const at = deps.clock.now()
      const key = { runId, assetKey: node.key, partition: step.partition }
      const start = { ttlMs: deps.settings.leaseTtlMs, now: at, ...(decision.last ? { lastMaterializationId: decision.last.record?.id ?? null } : {}) }
      const enqueue = remote?.startAttempt && !decision.reason
      // Nothing read to decide (forced, or no upstream): the inputs are read while the lease is taken, not after it.
      const reading = !enqueue && decision.resolved === undefined && decision.reason === undefined ? resolveInputs(deps, node, step.partition) : undefined
      reading?.catch(() => undefined)
      const update: StepUpdate | undefined = decision.reason ? { ...key, status: 'succeeded', at, reason: decision.reason, durationMs: 0 }
        : remote ? undefined : { ...key, status: 'running', at, attempt: 1 }
      const started: StepStartResult & { readonly outcome?: Promise<RemoteOutcome> } = enqueue
        ? await remote.startAttempt!({ ...remoteAttempt(1), ...(decision.resolved ? { inputs: decision.resolved } : {}) }, start, signal)
        : await deps.store.startStep({ ...key, ...start, ...(update ? { update } : {}) })
      if (!started.acquired) {
        return {
          waiting: `run ${started.holder} is materializing ${node.key}`,
          fail: (waited) => ({ error: { code: ErrorCode.NotReady, message: `${node.key} is being materialized by run ${started.holder}; gave up after ${Math.round(waited / 1000)}s`, hint: `Wait for run ${started.holder} to finish, then re-run.` } }),
        }
      }
      lease.held = true
      // Stale: another run published between the reads and the lease; decide again, now under the lease.
      if (!started.stale) {
        decided = reading ? { ...decision, resolved: await reading } : decision
        enqueued = started.outcome
        return undefined
      }
    }
  })
  if (leased) return leased
  if (!decided) {
    await record(step, 'canceled', { reason: UNSTARTED.paused })
    return 'canceled'
  }
  if (decided.reason) {
    await record(step, 'succeeded', { reason: decided.reason, durationMs: 0, stored: true })
    return 'succeeded'
  }
  // The first attempt's running state went to the store with the lease.
  let resolved = decided.resolved
  const last = decided.last
  const attempts = Math.max(1, def.retry ? maxAttempts(def.retry) : 1)
  for (let attempt = 1; ; attempt++) {
    // An attempt already enqueued ends through its executor, canceled too.
    if (signal.aborted && !enqueued) {
      await record(step, 'canceled', { attempt, reason: 'the run was canceled' })
      return 'canceled'
    }
    await record(step, 'running', { attempt, stored: attempt === 1 || remote !== undefined })
    const outcome = enqueued ? await enqueued
      : remote ? await remote.runAttempt!(remoteAttempt(attempt), signal)
        : await runLocally(attempt)
    enqueued = undefined
    // A worker's completion released the lease with the step's record (StepQueue.completeFenced).
    if (remote && (outcome.status === 'succeeded' || outcome.status === 'blocked')) lease.held = false
    if (outcome.status === 'succeeded') {
      await record(step, 'succeeded', { attempt, durationMs: 'materialization' in outcome ? outcome.materialization.durationMs : outcome.durationMs, stored: true })
      return 'succeeded'
    }
    if (outcome.status === 'blocked') {
      await record(step, 'blocked', { attempt, reason: outcome.reason, stored: true })
      return 'blocked'
    }
    const error = serializeError(outcome.error)
    if (outcome.status === 'canceled') {
      await record(step, 'canceled', { attempt, error, reason: 'the run was canceled' })
      return 'canceled'
    }
    const retryable = outcome.error instanceof TributaryError ? outcome.error.retryable : true
    if (!retryable || attempt >= attempts) {
      await record(step, 'failed', { attempt, error, reason: attempt > 1 ? `failed after ${attempt} attempts` : null })
      return 'failed'
    }
    const delay = retryDelay(def.retry, attempt, deps.random)
    await deps.store.appendLog({ runId, assetKey: node.key, partition: step.partition, attempt, level: 'warn', message: `attempt ${attempt} failed (${error.message}); retrying in ${delay}ms`, at: deps.clock.now() })
    try {
      await deps.clock.sleep(delay, signal)
    } catch {
      await record(step, 'canceled', { attempt, error, reason: 'canceled while waiting to retry' })
      return 'canceled'
    }
  }
}

/** Whether a step is up to date, and what was read to decide it. */
interface UpToDateDecision {
  /** Its inputs as read; undefined when not decided (forced, or no upstream). */
  readonly resolved?: ResolvedInputs
  /** The last materialization of its partition, when read. */
  readonly last?: { readonly record: MaterializationRecord | undefined }
  /** Why it is up to date; undefined when it must be built. */
  readonly reason?: string
}

// Up to date (see up-to-date.ts): same code, same input versions, same checks as its last materialization.
async function decideUpToDate(deps: EngineDeps, node: GraphNode, step: PlannedStep, force: boolean): Promise<UpToDateDecision> {
  if (force || node.upstream.length === 0) return {}
  const resolved = await resolveInputs(deps, node, step.partition)
  const [built] = await deps.store.listMaterializations(node.key, { limit: 1, partition: step.partition })
  const now = node.def.type === 'source' ? [] : (node.def.checks ?? []).map((c) => c.name)
  // Checks evaluated on that build (a check added since means its output was never checked by it).
  const evaluated = built && now.length > 0 ? (await deps.store.listCheckResults(node.key, { limit: 200 })).filter((c) => c.runId === built.runId && c.partition === step.partition).map((c) => c.checkName) : []
  const reason = upToDate({ codeVersion: node.codeVersion, upstream: node.upstream, inputVersions: resolved.versions, last: built, checks: { now, evaluated: new Set(evaluated) } })
  return { resolved, last: { record: built }, ...(reason ? { reason } : {}) }
}

async function firstUnpublished(deps: EngineDeps, waitsFor: Readonly<Record<string, readonly string[]>>): Promise<{ key: string; partition: string } | undefined> {
  for (const [key, partitions] of Object.entries(waitsFor)) {
    for (const partition of partitions) {
      if ((await deps.store.listMaterializations(key, { limit: 1, partition })).length === 0) return { key, partition }
    }
  }
  return undefined
}
