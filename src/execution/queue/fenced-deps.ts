import type { EngineDeps } from '../../engine/engine-deps.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { FenceHold, HandOff, KeepHandOff, StepJob, StepQueue } from '../../store/step-queue.js'
import type { Store } from '../../store/store.js'
import type { PublicationMeta, Warehouse, WarehouseSession } from '../../warehouse/warehouse.js'

/** The engine's deps for one claimed attempt, and how to end a hold of its step left open. */
export interface FencedAttempt {
  readonly deps: EngineDeps
  /**
   * Ends the hold the attempt's publish took on its step (StepQueue.holdFence) when its completion
   * did not end it (the attempt failed or was canceled after it): before anything else writes the
   * step, which would wait for the hold. Nothing when none is open.
   */
  release(): Promise<void>
}

/**
 * The engine's deps for one claimed attempt on a queue worker: the store records the attempt's
 * end only while `fence` is the step's (completeFenced), the warehouse publishes only while no
 * higher fence published the asset-partition, and staging is the attempt's own, so an attempt
 * that lost its lease can neither record, publish, nor touch the staging of the one that took over.
 *
 * A publish also asks the store, last in its warehouse transaction, whether `fence` is still the
 * step's, and holds the step from then on (StepQueue.holdFence): the completion that records the
 * publish goes through that hold. A claim by another worker waits for it, so none comes in between
 * the publish and its record; an attempt the store no longer knows as the step's publishes nothing,
 * even before the one that took over raised the warehouse fence. An attempt that publishes nothing
 * holds nothing: its completion is completeFenced's one statement. `holdIdleMs`: how long the store
 * waits for a hold's next statement before it ends the hold (a worker stalled while holding; see
 * StepQueue.holdFence). Default: no limit. `next`: the downstream step the completion hands off
 * (see HandOff), from the attempt's job; `keep`, asked at the completion: whether the worker runs it
 * itself (see KeepHandOff).
 */
export function fencedDeps(deps: EngineDeps, queue: StepQueue, fence: number, options: { readonly holdIdleMs?: number; readonly next?: HandOff; readonly keep?: () => KeepHandOff | undefined } = {}): FencedAttempt {
  let hold: Promise<FenceHold> | undefined
  const store = new Proxy(deps.store, {
    get(target, property) {
      if (property === 'completeStep') {
        return async (completion: Parameters<Store['completeStep']>[0]) => {
          const held = hold
          hold = undefined
          const keep = options.next ? options.keep?.() : undefined
          return held ? (await held).complete(completion, options.next, keep) : queue.completeFenced(completion, fence, options.next, keep)
        }
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  // Once per attempt: a publish DuckDB retries after a conflict asks again, and keeps the hold it has.
  const holdStep = (meta: PublicationMeta): Promise<void> => {
    hold ??= queue.holdFence({ runId: meta.runId, assetKey: meta.assetKey, partition: meta.partition }, fence, options.holdIdleMs === undefined ? {} : { idleTimeoutMs: options.holdIdleMs })
    return hold.then(() => undefined)
  }
  const inner = deps.warehouse
  const warehouse: Warehouse = {
    dialect: inner.dialect,
    session: async () => fencedSession(await inner.session(), fence, holdStep),
    stagingRelation: (target, runId, partition) => inner.stagingRelation(target, `${runId}~${fence}`, partition),
    publications: (runId) => inner.publications(runId),
    // The worker's warehouse outlives every attempt.
    close: async () => undefined,
  }
  return {
    deps: { ...deps, store, warehouse },
    release: async () => {
      const held = hold
      hold = undefined
      await held?.then((h) => h.release(), () => undefined)
    },
  }
}

/** How long a claim's fence raise waits for a publish of the asset-partition under way. Default: 2 s. */
export const FENCE_LOCK_TIMEOUT_MS = 2000

/**
 * Raises the claimed attempt's fence (`fence`) in the warehouse before the attempt runs, when its asset
 * publishes there: from then on an older attempt of the step (a worker whose lease expired) can no
 * longer publish, even before this one does. That early refusal is an extra (the publish checks the
 * fence all the same), so two failures leave it off for this attempt, said in the step's log: a
 * warehouse that cannot be reached (TRB5020; staging then fails the attempt, retryably), and a fence
 * row locked past `lockTimeoutMs` by a publish under way (a stalled worker's open transaction, exactly
 * what the raise is for: waiting behind it would stall this attempt too). Anything else (privileges,
 * a missing ledger) is thrown, to fail the attempt.
 */
export async function raiseClaimFence(deps: EngineDeps, job: StepJob, fence: number, workerId: string, lockTimeoutMs = FENCE_LOCK_TIMEOUT_MS): Promise<void> {
  const { warehouse } = deps
  if (!warehouse.raiseFence || !deps.graph.nodes.get(job.assetKey)?.relation) return
  let why: string
  try {
    if (await warehouse.raiseFence(job.assetKey, job.partition, fence, { lockTimeoutMs })) return
    why = `a publish of it under way held its fence in the warehouse for longer than ${lockTimeoutMs} ms`
  } catch (error) {
    if (error instanceof TributaryError && error.code === ErrorCode.WarehouseUnreachable) why = `the warehouse could not be reached (${error.detail})`
    else throw fenceError(job, fence, error)
  }
  const message = `worker ${workerId}: older attempts of ${job.assetKey} are not refused early for attempt ${job.attempt} (fence ${fence}): ${why}; its publish still checks the fence, so an older attempt cannot publish over it`
  await deps.store.appendLog({ runId: job.runId, assetKey: job.assetKey, partition: job.partition, attempt: job.attempt, level: 'warn', message, at: new Date() }).catch(() => undefined)
}

function fenceError(job: StepJob, fence: number, error: unknown): TributaryError {
  const known = error instanceof TributaryError ? error : undefined
  const detail = known?.detail ?? (error instanceof Error ? error.message : String(error))
  return new TributaryError(known?.code ?? ErrorCode.WarehouseQuery, `raising the warehouse fence of ${job.assetKey} to ${fence} failed, so attempt ${job.attempt} did not run: ${detail}`, {
    cause: error,
    retryable: known?.retryable ?? false,
    context: { runId: job.runId, assetKey: job.assetKey },
    hint: known?.hint ?? 'Check that the warehouse user may write the ledger schema (_tributary by default), then run again.',
  })
}

function fencedSession(session: WarehouseSession, fence: number, holdStep: (meta: PublicationMeta) => Promise<void>): WarehouseSession {
  return new Proxy(session, {
    get(target, property) {
      if (property === 'publish') {
        return (...[staging, relation, meta, options]: Parameters<WarehouseSession['publish']>) =>
          target.publish(staging, relation, { ...meta, fence }, { ...options, beforeCommit: () => holdStep(meta) })
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
