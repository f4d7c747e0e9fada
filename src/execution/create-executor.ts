import type { Clock } from '../engine/clock.js'
import { tryParseDuration } from '../model/duration.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ProjectDefinition } from '../model/project.js'
import type { Executor } from './executor.js'
import { InProcessExecutor } from './in-process-executor.js'
import { takePrestartedWorker } from './prestart.js'
import { ProcessPoolExecutor } from './process-pool-executor.js'

/** Where steps' TypeScript code runs: 'pool' (worker processes) or 'in-process'. */
export type ExecutorKind = 'in-process' | 'pool'

/** The worker settings of a pool, resolved from the project's `workers` with defaults filled in. */
export interface WorkerSettings {
  /** Per-worker heap limit in MB. Default: undefined (Node's own limit). */
  readonly maxHeapMb: number | undefined
  /** Time a step's code has to stop after a timeout or cancel before its worker is killed. Default: 2 000 ms. */
  readonly graceMs: number
}

/** The project's worker settings with `overrides` (tests use a short grace and a small heap). */
export function workerSettings(project: ProjectDefinition, overrides: Partial<WorkerSettings> = {}): WorkerSettings {
  const workers = project.workers ?? {}
  return {
    maxHeapMb: workers.maxHeapMb,
    graceMs: (workers.killGrace === undefined ? undefined : tryParseDuration(workers.killGrace)) ?? 2000,
    ...overrides,
  }
}

/** The environment variable that overrides where code runs ('pool' or 'in-process'), e.g. to debug an asset. */
export const EXECUTOR_ENV = 'TRIBUTARY_EXECUTOR'

/**
 * Where code runs when the caller did not say: $TRIBUTARY_EXECUTOR, else 'pool' for a project
 * loaded from its config file and 'in-process' for one passed in memory (workers could not load it).
 */
export function defaultExecutorKind(inMemory: boolean, env: NodeJS.ProcessEnv = process.env): ExecutorKind {
  const chosen = env[EXECUTOR_ENV]
  if (chosen === 'pool' || chosen === 'in-process') return chosen
  if (chosen) {
    throw new TributaryError(ErrorCode.InvalidSettings, `${EXECUTOR_ENV} is ${JSON.stringify(chosen)}, which is neither 'pool' nor 'in-process'`, {
      hint: `Unset ${EXECUTOR_ENV} (worker processes), or set it to in-process to run asset code inside the command, e.g. under a debugger.`,
    })
  }
  return inMemory ? 'in-process' : 'pool'
}

/** Makes the executor of an instance: a pool of `idle` warm workers over the project (its kill grace on `clock`, Default: the system clock), or in-process. */
export function createExecutor(kind: ExecutorKind, projectDir: string, settings: WorkerSettings, idle: number, clock?: Clock): Executor {
  if (kind === 'in-process') return new InProcessExecutor()
  const pool = new ProcessPoolExecutor({ projectDir, maxHeapMb: settings.maxHeapMb, graceMs: settings.graceMs, maxIdle: idle, clock })
  const early = takePrestartedWorker(projectDir, settings)
  if (early) pool.adopt(early)
  return pool
}
