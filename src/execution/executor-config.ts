import type { Duration } from '../model/duration.js'
import { tryParseDuration } from '../model/duration.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { unknownOption } from '../model/unknown-fields.js'

/** Where steps run: chosen in the project config by `pool()` (default) or `queue()`. */
export type ExecutorConfig = PoolExecutorConfig | QueueExecutorConfig

/** Local worker processes of the control plane (the default). */
export interface PoolExecutorConfig {
  readonly type: 'pool'
}

/** `tributary worker` processes on any machines, fed by a job queue in the PostgreSQL store's database. */
export interface QueueExecutorConfig {
  readonly type: 'queue'
  /** How long a worker may go without a heartbeat before its steps go to another worker, in ms. Default: 30 000. */
  readonly leaseMs: number
  /** How often a worker heartbeats (and looks for lost workers), in ms. Default: 5 000. */
  readonly heartbeatMs: number
  /**
   * How long a worker keeps trying to reach its store before it stops (exit 3, TRB4020), so that
   * whatever supervises it restarts it or alerts, in ms. Default: 120 000 (within the few minutes
   * graphile-worker's local queue keeps trying to give back the jobs it holds).
   */
  readonly giveUpMs: number
}

/** The default: steps' code runs in worker processes of the process that runs the steps. */
export function pool(): PoolExecutorConfig {
  return Object.freeze({ type: 'pool' as const })
}

type QueueOptions = { lease?: Duration; heartbeat?: Duration; giveUp?: Duration }
const QUEUE_OPTIONS = { lease: true, heartbeat: true, giveUp: true } as const satisfies Record<keyof QueueOptions, true>

/**
 * Steps go to `tributary worker` processes through a job queue (graphile-worker) in the
 * PostgreSQL store's database. `lease` (Default: '30s'): how long a worker may be silent before
 * another takes its steps; `heartbeat` (Default: '5s'), shorter than the lease; `giveUp`
 * (Default: '2m'), longer than the heartbeat: how long a worker that cannot reach the store keeps
 * trying before it stops. TRB7004 otherwise.
 */
export function queue(options: QueueOptions = {}): QueueExecutorConfig {
  const unknown = unknownOption('queue', options, QUEUE_OPTIONS)
  if (unknown) throw invalid(unknown.message, unknown.hint)
  const leaseMs = options.lease === undefined ? 30_000 : tryParseDuration(options.lease)
  const heartbeatMs = options.heartbeat === undefined ? 5_000 : tryParseDuration(options.heartbeat)
  const giveUpMs = options.giveUp === undefined ? 120_000 : tryParseDuration(options.giveUp)
  if (leaseMs === undefined || leaseMs <= 0) throw invalid(`queue() lease must be a positive duration such as '30s' (got ${JSON.stringify(options.lease)})`, "Leave it out for '30s'.")
  if (heartbeatMs === undefined || heartbeatMs <= 0 || heartbeatMs >= leaseMs) {
    throw invalid(`queue() heartbeat must be a positive duration shorter than the lease (got ${JSON.stringify(options.heartbeat)} for a lease of ${leaseMs} ms)`, 'A heartbeat of a third of the lease or less leaves room for a slow beat.')
  }
  if (giveUpMs === undefined || giveUpMs <= heartbeatMs) {
    throw invalid(`queue() giveUp must be a duration longer than the heartbeat (got ${JSON.stringify(options.giveUp)} for a heartbeat of ${heartbeatMs} ms)`, "Leave it out for '2m': a worker rides out a database restart and stops only when the store stays out of reach.")
  }
  return Object.freeze({ type: 'queue' as const, leaseMs, heartbeatMs, giveUpMs })
}

function invalid(message: string, hint: string): TributaryError {
  return new TributaryError(ErrorCode.InvalidQueueConfig, message, { hint })
}
