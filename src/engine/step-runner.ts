import type { GraphNode } from '../graph/asset-graph.js'
import { parseDuration } from '../model/duration.js'
import { ErrorCode, serializeError, TributaryError, type SerializedError } from '../model/errors.js'
import type { MaterializationRecord, Published, StepStatus, StepUpdate } from '../store/records.js'
import type { StepStartResult } from '../store/store.js'
import type { HandOff } from '../store/step-queue.js'
import type { RemoteAttempt, RemoteOutcome } from '../execution/executor.js'
import type { EngineDeps } from './engine-deps.js'
import type { PlannedStep } from './plan.js'
import { UNSTARTED } from './progress.js'
import { currentStatuses, firstUnusable, schemaBreakOf } from './readiness.js'
import { UpstreamSchemaChangedError } from './schema-breaks.js'
import { contractBreachOf, readerMessage, UpstreamContractBreachedError } from './source-contract.js'
import { maxAttempts, retryDelay } from './retry-delay.js'
import { runAttempt, type ResolvedInputs } from './step-executor.js'
import { checkedRowCount, resolveInputs, type KnownUpstreams } from './attempt-inputs.js'
import { NotReadyError } from './step-errors.js'
import { upToDate } from './up-to-date.js'

// One step of a run, from waiting to its final state (the run executor, run-executor.ts, schedules
// the steps): readiness, the lease, the attempts with their retries, locally or on a queue worker.

/** Records a step's new state (and reports it as progress); `stored`: the store has it already. */
export type Recorder = (step: PlannedStep, status: StepStatus, extra?: { attempt?: number; reason?: string | null; error?: SerializedError | null; durationMs?: number | null; stored?: boolean }) => Promise<void>

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

/**
 * What a step's remote attempts carry to and from queue workers besides the attempt: `offer`, the
 * downstream step they offer to their worker (see HandOff); `adopted`, the step's first attempt was
 * enqueued by the worker of its upstream (its lease taken with it), so it is neither decided nor
 * enqueued here; `known`, upstreams published earlier in the run (see KnownUpstreams); set once
 * an attempt succeeded: `handedOff`, when its worker enqueued the offered step, and `published`,
 * what it published, as its worker recorded it.
 */
export interface StepHandOff {
  readonly offer?: HandOff
  readonly adopted: boolean
  /** Held for another step's worker, which may have kept it: see RemoteAttempt.ifQueued. */
  readonly ifQueued?: boolean
  readonly known?: KnownUpstreams
  handedOff?: { readonly assetKey: string; readonly partition: string | null }
  published?: Published
}

// One step from waiting to its final state: readiness, lease, attempts with retries. The lease,
// once taken (lease.held), is the caller's to release.
export async function runStep(
  deps: EngineDeps, runId: string, step: PlannedStep, node: GraphNode, signal: AbortSignal,
  pause: { readonly signal: AbortSignal; readonly paused: () => boolean }, record: Recorder, force: boolean,
  lease: { held: boolean }, codeEnded: () => void, looks: Map<string, number>, handOff: StepHandOff = { adopted: false },
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
  const remoteAttempt = (attempt: number): RemoteAttempt => ({
    runId, assetKey: node.key, partition: step.partition, attempt, codeVersion: node.codeVersion, pool: def.pool ?? null, ...(handOff.offer ? { next: handOff.offer } : {}),
    ...(attempt === 1 && handOff.ifQueued ? { ifQueued: true } : {}),
    // The first attempt only: a retry, after its backoff, reads what is published then.
    ...(attempt === 1 && handOff.known && handOff.known.size > 0 ? { known: Object.fromEntries(handOff.known) } : {}),
    ...(def.type === 'asset' && def.io === 'files' ? { fencedPublish: false } : {}),
  })
  const runLocally = async (attempt: number) => {
    const inputs = resolved ?? (await resolveInputs(deps, node, step.partition))
    resolved = undefined
    return runAttempt(deps, { node, runId, partition: step.partition, attempt, codeEnded }, inputs, signal, await checkedRowCount(deps, node, step.partition, last))
  }
  let decided: UpToDateDecision | undefined
  // The first attempt, when enqueued with the lease: how it ends.
  let enqueued: Promise<RemoteOutcome> | undefined
  // Handed off: enqueued by its upstream's worker, with its lease, once that upstream succeeded; it
  // reads nothing from outside the run, so nothing above waited, and it was not up to date.
  const adopting = handOff.adopted && remote?.adoptAttempt ? remote.adoptAttempt.bind(remote) : undefined
  if (adopting) {
    lease.held = true
    decided = {}
    enqueued = adopting(remoteAttempt(1), signal)
  }
  const leased = adopting ? undefined : await wait(Math.max(timeoutMs, deps.settings.leaseTtlMs), Math.min(deps.settings.readinessPollMs, 1000), 'canceled while waiting for another run', async () => {
    for (;;) {
      // A pause stops a step that has not started: it ends canceled below, without its lease.
      if (pause.paused()) return undefined
      const decision = await decideUpToDate(deps, node, step, force)
      const at = deps.clock.now()
      const key = { runId, assetKey: node.key, partition: step.partition }
      const start = { ttlMs: deps.settings.leaseTtlMs, now: at, ...(decision.last ? { lastMaterializationId: decision.last.record?.id ?? null } : {}) }
      // Canceled while deciding: nothing is enqueued for a run that no longer wants the step.
      if (signal.aborted && remote && !decision.reason) return undefined
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
    await record(step, 'canceled', { reason: signal.aborted ? UNSTARTED.canceled : UNSTARTED.paused })
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
      if ('handedOff' in outcome && outcome.handedOff) handOff.handedOff = outcome.handedOff
      if ('published' in outcome && outcome.published) handOff.published = outcome.published
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
