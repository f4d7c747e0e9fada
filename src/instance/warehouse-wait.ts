// A CLI run without a control plane waits for the warehouse another process holds, instead of failing at once.
import { ErrorCode, TributaryError } from '../model/errors.js'
import { FINAL_STEP_STATUSES } from '../store/records.js'
import type { Store } from '../store/store.js'

/** How to wait for a warehouse another process holds. */
export interface WarehouseWaitOptions {
  /** Called when the wait starts and again whenever `describe` says something new. Default: nothing. */
  readonly onWait?: (holder: string) => void
  /** Describes who holds the warehouse ("run 20260301-… (pid 4242): 3/10 steps done"). Default: the lock error's hint. */
  readonly describe?: (pid: number | undefined) => Promise<string>
  /** Stops waiting: the open rejects with the lock error. Default: none. */
  readonly signal?: AbortSignal
  /** How long to wait before giving up with the lock error. Default: 30 minutes; 0 fails at once. */
  readonly timeoutMs?: number
  /** How often the warehouse is tried again. Default: 100 ms. */
  readonly pollMs?: number
}

/** The pid DuckDB names in its lock error, when it does. */
function holderPid(error: TributaryError): number | undefined {
  const match = /PID (\d+)/.exec(`${error.hint ?? ''} ${error.cause instanceof Error ? error.cause.message : ''}`)
  return match ? Number(match[1]) : undefined
}

/**
 * Opens the warehouse with `open`; while another process holds it (TRB5001 from another
 * process), tries again every `pollMs` until it opens, `timeoutMs` passes or `signal` aborts.
 * Waiters are not queued: when the holder lets go, whichever waiter tries first gets it.
 */
export async function openWaiting<T>(open: () => Promise<T>, options: WarehouseWaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000)
  let said: string | undefined
  for (;;) {
    try {
      return await open()
    } catch (error) {
      // The same process holding it again will not change by waiting (see DuckDbWarehouse.open).
      if (!(error instanceof TributaryError) || error.code !== ErrorCode.WarehouseLocked || /this process/i.test(error.hint ?? '')) throw error
      if (options.signal?.aborted || Date.now() >= deadline) {
        if (said === undefined) throw error
        throw new TributaryError(ErrorCode.WarehouseLocked, `${error.detail}; gave up waiting for it`, { cause: error, context: error.context, retryable: true, ...(error.hint ? { hint: error.hint } : {}) })
      }
      const pid = holderPid(error)
      const holder = options.describe ? await options.describe(pid).catch(() => error.hint ?? 'another process') : (error.hint ?? 'another process')
      if (holder !== said) {
        said = holder
        options.onWait?.(holder)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, options.pollMs ?? 100)
        function finish() {
          clearTimeout(timer)
          options.signal?.removeEventListener('abort', finish)
          resolve()
        }
        options.signal?.addEventListener('abort', finish, { once: true })
      })
    }
  }
}

/** Who holds the warehouse, in words: the live runs of process `pid` with their progress, or just the pid. */
export async function describeHolder(store: Store, pid: number | undefined): Promise<string> {
  const runs = (await store.listActiveRuns()).filter((run) => pid === undefined || run.pid === pid)
  if (runs.length === 0) return pid === undefined ? 'another process' : `process ${pid}`
  const parts = await Promise.all(runs.map(async (run) => {
    const counts = await store.stepCounts(run.id)
    const total = counts.reduce((sum, c) => sum + c.count, 0)
    const done = counts.filter((c) => FINAL_STEP_STATUSES.has(c.status)).reduce((sum, c) => sum + c.count, 0)
    return `run ${run.id} (${run.trigger}, pid ${run.pid}): ${done}/${total} steps done`
  }))
  return parts.join('; ')
}
