import type { AssetDefinition } from '../model/asset.js'
import type { Executor, MaterializeTask, StepHost } from './executor.js'
import { runMaterialize } from './run-materialize.js'

/**
 * Runs user code in the calling process: no isolation, no hand-off cost. For unit tests,
 * the engine benchmark and in-memory projects. A step that ignores its signal keeps running
 * in the background after its timeout; only the pool can stop it.
 */
export class InProcessExecutor implements Executor {
  readonly kind = 'in-process'

  /** Resolves with what the code returned, or rejects with the signal's reason as soon as it aborts. */
  async materialize(task: MaterializeTask, def: AssetDefinition, host: StepHost, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw signal.reason
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([runMaterialize(def, task, host, signal), aborted])
    } finally {
      signal.removeEventListener('abort', onAbort!)
    }
  }

  async close(): Promise<void> {}
}
