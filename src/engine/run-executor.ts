import { setMaxListeners } from 'node:events'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { ErrorCode, serializeError, type SerializedError } from '../model/errors.js'
import type { Published, RunStatus, StepStatus } from '../store/records.js'
import type { EngineDeps } from './engine-deps.js'
import { stepId, type Plan, type PlannedStep } from './plan.js'
import { UNSTARTED, type ProgressEvent, type ProgressListener } from './progress.js'
import { runStep, type StepHandOff } from './step-runner.js'
import type { KnownUpstreams } from './attempt-inputs.js'
import type { HandOff } from '../store/step-queue.js'
import { runsExecutingHere } from './recovery.js'
import { CanceledError } from './step-errors.js'
import { upToDateSteps, withoutSteps } from './up-to-date-plan.js'
import { codeStepsAtOnce } from '../execution/warm-count.js'
import { startRepeating } from './clock.js'

// How many steps deep a hand-off offers the steps after it (each hop's job carries the rest, about
// 170 bytes a step): every 32 steps of a chain, the control plane starts one itself.
const HAND_OFF_DEPTH = 32
// At most how many waiting steps a run holds for one slot (see backlogOffer).
const BACKLOG_SHARE = 8

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
    // Stored too: workers hand off no more steps of a run asked to pause (see HandOff).
    if (deps.executor?.adoptAttempt) void deps.store.requestRun(runId, 'pause', deps.clock.now()).catch(() => undefined)
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
      // Marked before the record's await: upstreams failing at once skip a step (and its downstream) once.
      const left = remaining.get(key)!
      if (left < 0) continue
      const downstream = steps.get(key)!
      remaining.set(key, -1)
      try {
        await record(downstream, 'skipped', { reason: `upstream ${because}`, error: { code: ErrorCode.UpstreamFailed, message: `skipped: upstream ${because}`, hint: 'Fix the upstream; this asset runs again with it.' } })
      } catch (error) {
        // Not recorded (the store failing): unmarked, so the skip asked again (see launch) records it and its downstream.
        remaining.set(key, left)
        throw error
      }
      queue.push(...downstream.downstreamInRun)
    }
  }

  // What this run's unpartitioned steps published, as their workers' ends said: the steps reading
  // them take it as known (see KnownUpstreams), and their workers do not read it back.
  const published = new Map<string, Published>()
  const knownOf = (step: PlannedStep): KnownUpstreams => new Map(step.upstreamInRun.flatMap((id) => {
    const up = steps.get(id)!
    const known = up.partition === null && !deps.graph.get(up.key).partitions ? published.get(id) : undefined
    return known ? [[up.key, known] as const] : []
  }))

  const poolOf = (step: PlannedStep) => {
    const def = deps.graph.get(step.key).def
    return def.type === 'source' ? undefined : def.pool
  }
  const hasRoom = (step: PlannedStep) => {
    const pool = poolOf(step)
    return !pool || (poolUse.get(pool) ?? 0) < (deps.settings.pools[pool] ?? Number.POSITIVE_INFINITY)
  }

  // Hand-offs (queue workers, see HandOff): a step offers its worker the downstream step that waits
  // for nothing else, and that one the next, up to HAND_OFF_DEPTH deep. Only the last upstream of a
  // step left to succeed offers it (its hops' jobs carry the offers after it; a hop the control
  // plane starts itself offers anew).
  const offerFrom = (step: PlannedStep, depth = 0): HandOff | undefined => {
    if (!deps.executor?.adoptAttempt || depth >= HAND_OFF_DEPTH) return undefined
    const node = deps.graph.get(step.key)
    for (const id of step.downstreamInRun) {
      const next = steps.get(id)!
      // Every other upstream in the run succeeded (this one is the last), none outside the run,
      // the same pool; unless forced, an unpartitioned upstream (its data version is the one read).
      const eligible = remaining.get(id) === 1 && offerable(next, poolOf(step))
        && (options.force === true || (step.partition === null && !node.partitions))
      if (eligible) return offerOf(next, depth)
    }
    return undefined
  }
  // A step a worker can run next in the slot of a step of `pool`: nothing to wait for outside the run, the same pool.
  const offerable = (next: PlannedStep, pool: string | undefined) => next.upstreamOutside.length === 0 && next.waitsFor === undefined
    && deps.graph.get(next.key).def.type !== 'source' && poolOf(next) === pool
  // The offer of `next`, with the offers after it; its upstreams that succeeded ride along with what they published.
  // `then`: the offer after it (default: its downstream's, if any).
  const offerOf = (next: PlannedStep, depth: number, then = offerFrom(next, depth + 1)): HandOff => {
    const known = knownOf(next)
    return {
      assetKey: next.key, partition: next.partition, codeVersion: deps.graph.get(next.key).codeVersion, pool: poolOf(next) ?? null, whenChanged: options.force !== true,
      ...(then ? { next: then } : {}), ...(known.size > 0 ? { known: Object.fromEntries(known) } : {}),
    }
  }

  // Backlog offers (queue workers): a step launched while more steps are ready than slots are free,
  // with no downstream to offer, offers its worker its share of the backlog that it could run next
  // (its pool, nothing to wait for outside the run), from the back of the queue: one, then the next
  // after that one, and so on (at most BACKLOG_SHARE). They are held for it (`reserved`: each by the
  // id of the step before it): each kept by the worker at the completion of the one before runs in
  // the same slot, with no hop through the control plane and the queue; one not kept goes back to
  // the head of the queue with those after it. Not forced, a step is handed off only when one of its upstreams
  // published in the run (`known`) changed since it last ran, so it cannot be up to date; otherwise
  // it comes back here, to be decided. A slot free with nothing else ready takes a held step back
  // (see the loop below).
  const reserved = new Map<string, PlannedStep>()
  const backlogOffer = (step: PlannedStep): HandOff | undefined => {
    // Waiting for a slot whatever happens: the ready steps the free slots left cannot take.
    const backlog = ready.length - (deps.settings.concurrency - running)
    if (!deps.executor?.adoptAttempt || pausing || backlog <= 0) return undefined
    // Not forced: only steps the completion can tell are not up to date (an upstream published in the run).
    const pool = poolOf(step)
    // From the back of the queue (the steps at its head go to the slots that free first), looking
    // no further than the share: a launch does not scan a long backlog.
    const count = Math.min(BACKLOG_SHARE, backlog, Math.ceil(backlog / deps.settings.concurrency))
    const share: PlannedStep[] = []
    for (let i = ready.length - 1; i >= 0 && share.length < count; i--) {
      const next = ready[i]!
      if (offerable(next, pool) && (options.force === true || knownOf(next).size > 0)) share.unshift(next)
    }
    if (share.length === 0) return undefined
    share.forEach((next, i) => {
      ready.splice(ready.lastIndexOf(next), 1)
      reserved.set(stepId(i === 0 ? step : share[i - 1]!), next)
    })
    return share.reduceRight<HandOff | undefined>((after, next, i) => ({ ...offerOf(next, i, after), backlog: true }), undefined)
  }
  // The steps held for `holder` (the one held for it, the one after...), back to the head of the queue in order.
  const releaseHeld = (holder: PlannedStep) => {
    const held: PlannedStep[] = []
    for (let next = reserved.get(stepId(holder)); next; next = reserved.get(stepId(next))) held.push(next)
    for (const id of [holder, ...held].map(stepId)) reserved.delete(id)
    ready.unshift(...held)
  }

  // `freeSlot`: the step's slot, given first to a step its worker handed off (adopted in it).
  const finish = async (step: PlannedStep, status: StepStatus, handOff: StepHandOff, freeSlot: () => void) => {
    const adopt = (next: PlannedStep) => {
      freeSlot()
      launch(next, { offer: handOff.offer?.next })
    }
    if (status === 'succeeded' && handOff.published) published.set(stepId(step), handOff.published)
    // Held for it: the first kept by its worker (those after it stay held for that one), or all back in the queue.
    const held = reserved.get(stepId(step))
    if (held && handedOff(handOff, held)) {
      reserved.delete(stepId(step))
      adopt(held)
    } else if (held) {
      releaseHeld(step)
    }
    if (status === 'succeeded') {
      for (const key of step.downstreamInRun) {
        const left = remaining.get(key)! - 1
        remaining.set(key, left)
        if (left !== 0) continue
        const next = steps.get(key)!
        // Enqueued by this step's worker already: adopted at once (in this step's slot), even pausing.
        if (handedOff(handOff, next)) adopt(next)
        else ready.push(next)
      }
    } else if (status !== 'canceled') {
      await skipDownstream(step, `${stepId(step)} ${status}`)
    }
  }

  // `adopted`: the step was handed off (its first attempt enqueued by its upstream's worker), with
  // the offer its job carries. `takenBack`: held for another step's worker until now (see backlogOffer).
  const launch = (step: PlannedStep, adopted?: { readonly offer: HandOff | undefined }, how: { readonly takenBack?: boolean } = {}) => {
    const node = deps.graph.get(step.key)
    const pool = poolOf(step)
    running++
    unfinished++
    if (pool) poolUse.set(pool, (poolUse.get(pool) ?? 0) + 1)
    const lease = { held: false }
    let slotTaken = true
    const freeSlot = () => {
      if (!slotTaken) return
      slotTaken = false
      try {
        deps.onEvent?.({ type: 'slot_freed', runId, key: step.key, partition: step.partition })
      } catch {
        // ignored: see EngineEventListener
      }
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
    const offer = adopted ? adopted.offer : offerFrom(step) ?? backlogOffer(step)
    const handOff: StepHandOff = { adopted: adopted !== undefined, ...(how.takenBack ? { ifQueued: true } : {}), ...(offer ? { offer } : {}), ...(deps.executor?.runAttempt ? { known: knownOf(step) } : {}) }
    const work = runStep(deps, runId, step, node, controller.signal, pause, record, options.force === true, lease, codeEnded, looks, handOff)
      .then((status) => finish(step, status, handOff, freeSlot))
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
        const index = ready.findIndex(hasRoom)
        if (index >= 0) {
          launch(ready.splice(index, 1)[0]!)
          continue
        }
        // Nothing else ready: a step held (the last of its share, the farthest from running) starts in
        // this free slot instead of waiting; should its worker have kept it meanwhile, that attempt is the one.
        const taken = [...reserved].find(([, held]) => !reserved.has(stepId(held)) && hasRoom(held))
        if (!taken) break
        reserved.delete(taken[0])
        launch(taken[1], undefined, { takenBack: true })
      }
      if (unfinished === 0) break
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      wake = undefined
    }
    // Until none is left: a step ending meanwhile may adopt the step it handed off.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    const why = controller.signal.aborted ? UNSTARTED.canceled : UNSTARTED.paused
    for (const step of plan.steps) {
      if (!final.has(stepId(step)) || final.get(stepId(step)) === 'queued') await record(step, 'canceled', { reason: why })
    }
  } finally {
    stopHeartbeat()
    deps.executor?.forgetRun?.(runId)
    runsExecutingHere.delete(runId)
    options.signal?.removeEventListener('abort', onOuterAbort)
    options.pauseSignal?.removeEventListener('abort', onPause)
  }
  // Paused only when the pause left something unstarted; a run that finished anyway ends as it ended.
  const status: RunStatus = controller.signal.aborted ? 'canceled'
    : pausing && counts.canceled > 0 ? 'paused'
      : counts.failed + counts.blocked + counts.skipped > 0 ? 'failed' : 'succeeded'
  const failedSteps = plan.steps.filter((s) => ['failed', 'blocked'].includes(final.get(stepId(s)) ?? '')).map(stepId)
  // Together: a lease left is free once the run ended either way (another run waiting for it may start).
  await Promise.all([
    deps.store.finishRun(runId, status, deps.clock.now(), status === 'failed' ? { code: ErrorCode.RunFailed, message: `${failedSteps.length} step(s) failed or blocked: ${failedSteps.slice(0, 5).join(', ')}`, hint: `See tributary run ${runId}.` } : null),
    deps.store.releaseLeasesOf(runId),
  ])
  emit({ type: 'run_finished', runId, status, counts: { ...counts } })
  return { runId, status, counts: { ...counts } }
}

function withoutStored<T extends { stored?: boolean }>(extra: T): Omit<T, 'stored'> {
  const { stored: _stored, ...rest } = extra
  return rest
}

// Whether the step's worker enqueued (or kept) `step` as it ended (see StepHandOff.handedOff).
function handedOff(handOff: StepHandOff, step: PlannedStep): boolean {
  return handOff?.handedOff?.assetKey === step.key && handOff.handedOff.partition === step.partition
}
