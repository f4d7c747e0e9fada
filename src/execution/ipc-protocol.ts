import type { ExecutorTask, StepLogLevel, WarehouseCall } from './executor.js'
import type { LogStream } from '../store/records.js'
import type { WireError } from './wire-error.js'

// Messages between the control plane and a worker over the fork IPC channel ('advanced'
// serialization, so Dates, BigInts and typed arrays in rows survive). A worker runs one
// task at a time; `id` names the task, `call` one warehouse call within it.

/** Control plane → worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly id: number; readonly task: ExecutorTask }
  /** Aborts the task's ctx.signal; the worker is killed if the task has not ended after the grace period. */
  | { readonly type: 'abort'; readonly id: number; readonly reason: WireError }
  | { readonly type: 'reply'; readonly id: number; readonly call: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly call: number; readonly ok: false; readonly error: WireError }

/** Worker → control plane. */
export type FromWorker =
  /** The project loaded; the worker takes tasks. */
  | { readonly type: 'ready' }
  /** The project failed to load; the worker exits. */
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'call'; readonly id: number; readonly call: number; readonly request: WarehouseCall }
  | { readonly type: 'log'; readonly id: number; readonly level: StepLogLevel; readonly message: string; readonly stream: LogStream; readonly at: Date }
  | { readonly type: 'done'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'done'; readonly id: number; readonly ok: false; readonly error: WireError }

/** The environment variable a worker finds its project directory in. */
export const PROJECT_DIR_ENV = 'TRIBUTARY_WORKER_PROJECT'
