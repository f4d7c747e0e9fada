import type { AssetDefinition } from '../model/asset.js'
import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import type { SensorResult } from '../model/automation.js'
import type { CheckTask, Executor, MaterializeTask, PollSensor, SensorTask, StepHost } from './executor.js'
import { runCheck, runMaterialize } from './run-materialize.js'

/**
 * Runs user code in the calling process: no isolation, no hand-off cost. For unit tests,
 * the engine benchmark and in-memory projects. A step that ignores its signal keeps running
 * in the background after its timeout; only the pool can stop it.
 */
export class InProcessExecutor implements Executor {
  readonly kind = 'in-process'

  /** Resolves with what the code returned, or rejects with the signal's reason as soon as it aborts. */
  materialize(task: MaterializeTask, def: AssetDefinition, host: StepHost, signal: AbortSignal): Promise<unknown> {
    return untilAborted(() => runMaterialize(def, task, host, signal), signal)
  }

  /** Evaluates the check here; rejects with the signal's reason as soon as it aborts. */
  check(task: CheckTask, check: CheckDefinition, host: StepHost, signal: AbortSignal): Promise<CheckOutcome> {
    return untilAborted(() => runCheck(check, task, host), signal)
  }

  /** Calls the sensor's poll function here. */
  sensor(task: SensorTask, sensor: PollSensor, _host: StepHost, signal: AbortSignal): Promise<SensorResult> {
    return untilAborted(async () => sensor.poll(task.cursor), signal)
  }

  async close(): Promise<void> {}
}

// The work's result, unless the signal aborts first: then its reason, while the work (which
// cannot be stopped in this process) is left to finish on its own.
async function untilAborted<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work(), aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}
