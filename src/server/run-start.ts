// A run the API accepts is a run recorded: one that cannot even start (the warehouse held by
// another process, the store unavailable) is recorded as failed with its reason, so its id
// never answers 404.
import { hostname } from 'node:os'
import type { ProgressListener } from '../engine/progress.js'
import type { Tributary } from '../instance/tributary.js'
import { redact } from '../model/redact.js'
import { serializeError } from '../model/errors.js'
import type { EventHub } from './events.js'

/** A run begun in the background: its id and its end. */
export interface BegunRun {
  readonly runId: string
  readonly done: Promise<unknown>
}

/** What the record of a run that never started says about it. */
export interface RunMeta {
  readonly selection: string
  readonly trigger: string
}

/** A progress listener to pass to the instance, and the promise that the run's record was written. */
export function recordGate(): { readonly onProgress: ProgressListener; readonly recorded: Promise<void> } {
  let recorded!: () => void
  const promise = new Promise<void>((resolve) => (recorded = resolve))
  return { onProgress: (event) => event.type === 'run_started' && recorded(), recorded: promise }
}

/**
 * Resolves once the run begun with a {@link recordGate}'s listener is recorded — or, when it
 * failed before its record was written, once it is recorded as failed with the error. The
 * caller answers 202 after this, so GET /api/runs/{id} always finds the run.
 */
export async function untilRecorded(instance: Tributary, begun: BegunRun, recorded: Promise<void>, meta: RunMeta, options: SettleOptions): Promise<void> {
  const failed = begun.done.then(() => undefined, (error: unknown) => ({ error }))
  // A run that ends well was recorded first; only a failure can come before the record.
  const first = await Promise.race([recorded.then(() => undefined), failed])
  if (first) return settleUnstarted(instance, begun.runId, first.error, meta, options)
  void failed
    .then((late) => late && settleUnstarted(instance, begun.runId, late.error, meta, options))
    .catch((error: unknown) => options.log(`run ${begun.runId}: its failure could not be recorded: ${String(error)}`))
}

/** {@link recordGate} and {@link untilRecorded} around `begin`, for runs that always get an id. */
export async function acceptRun<T extends BegunRun>(instance: Tributary, begin: (onProgress: ProgressListener) => T, meta: RunMeta, options: SettleOptions): Promise<T> {
  const gate = recordGate()
  const begun = begin(gate.onProgress)
  await untilRecorded(instance, begun, gate.recorded, meta, options)
  return begun
}

/** Where a run that could not start is reported besides its record. */
export interface SettleOptions {
  readonly hub: EventHub
  readonly log: (line: string) => void
}

/** Logs the failure, announces run_finished, and records the run as failed with `error` (creating its record when there is none). */
async function settleUnstarted(instance: Tributary, runId: string, error: unknown, meta: RunMeta, options: SettleOptions): Promise<void> {
  options.log(redact(`run ${runId} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
  options.hub.publish({ type: 'run_finished', runId, status: 'failed' })
  // When the store itself is what failed, this throws too: the caller answers 500, not a 202 that would 404.
  const store = instance.store
  const now = instance.clock.now()
  const run = await store.getRun(runId)
  if (!run) {
    await store.createRun({ id: runId, selection: meta.selection, trigger: meta.trigger, pid: process.pid, host: hostname(), startedAt: now, steps: [] })
  }
  if (!run || run.status === 'running') await store.finishRun(runId, 'failed', now, serializeError(error))
}
