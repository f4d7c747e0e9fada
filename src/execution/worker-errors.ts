import { ErrorCode, TributaryError } from '../model/errors.js'

/** How a worker process ended while it ran a step. */
export interface WorkerExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** The end of what the process wrote to stderr outside of any step (V8's fatal errors land there). */
  readonly stderrTail: string
}

/** Whose code a worker ran: 'asset raw/orders' (with its key) or 'sensor vendor_drop'. */
export interface WorkerTaskOwner {
  readonly subject: string
  readonly assetKey?: string
}

// V8 prints this (then aborts) when the heap limit is reached.
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed/i

/**
 * The step's error for a worker that died under it: out of memory (TRB3032), killed by a
 * signal (TRB3031) or exited (TRB3030). Retryable: the step runs again, on a new worker,
 * as its retry policy says.
 */
export function workerDiedError(whose: WorkerTaskOwner, exit: WorkerExit, maxHeapMb: number | undefined): TributaryError {
  const context = whose.assetKey ? { assetKey: whose.assetKey } : {}
  const subject = whose.subject
  if (OUT_OF_MEMORY.test(exit.stderrTail)) {
    return new TributaryError(ErrorCode.WorkerOutOfMemory, `${subject} ran out of memory: its worker reached the heap limit${maxHeapMb ? ` of ${maxHeapMb} MB` : ''} and died`, {
      context, retryable: true,
      hint: 'Process the data in batches or in the warehouse (ctx.writeSql), or raise `workers: { maxHeapMb }` in the project.',
    })
  }
  if (exit.signal) {
    return new TributaryError(ErrorCode.WorkerKilled, `${subject}: its worker process was killed by ${exit.signal}`, {
      context, retryable: true, hint: 'Something outside Tributary killed the worker (kill, the OS out-of-memory killer); re-run the step.',
    })
  }
  return new TributaryError(ErrorCode.WorkerExited, `${subject}: its worker process exited with code ${exit.code} before its code ended`, {
    context, retryable: true, hint: 'Do not call process.exit in asset code: throw an error instead. `tributary run <id>` shows the step\'s last output.',
  })
}

/** The step overran its timeout and did not stop within the grace period, so its worker was killed (TRB3033). */
export function workerTimedOutError(whose: WorkerTaskOwner, why: string, graceMs: number): TributaryError {
  return new TributaryError(ErrorCode.WorkerTimedOut, `${whose.subject} ${why}, did not stop within ${graceMs}ms of its signal aborting, and its worker was killed`, {
    context: whose.assetKey ? { assetKey: whose.assetKey } : {}, retryable: true,
    hint: 'Make the asset stop on ctx.signal (pass it to fetch, check it in loops), make it faster, or raise its `timeout`.',
  })
}

/** A worker could not load the project, or holds other code than the control plane (TRB3034). */
export function workerStartError(message: string, cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.WorkerStartFailed, message, {
    cause, hint: 'Run `tributary validate`; after changing code, restart `tributary serve` (or use `tributary dev`, which reloads).',
  })
}
