import type { Clock } from '../engine/clock.js'
import type { AssetDefinition } from '../model/asset.js'
import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import type { SensorResult } from '../model/automation.js'
import type { CheckTask, Executor, ExecutorTask, MaterializeTask, PollSensor, SensorTask, StepHost } from './executor.js'
import { WorkerProcess } from './worker-process.js'

/** How a pool of worker processes is sized and limited. */
export interface PoolOptions {
  /** The project every worker loads. */
  readonly projectDir: string
  /** Per-worker V8 heap limit in MB (--max-old-space-size). Default: Node's own limit. */
  readonly maxHeapMb?: number | undefined
  /** How long a step's code has to stop after a timeout or cancel before its worker is killed. Default: 2 000. */
  readonly graceMs?: number | undefined
  /** The clock the grace is measured on. Default: the system clock. */
  readonly clock?: Clock | undefined
  /** Idle workers kept warm between steps. Default: 4 (the default concurrency). */
  readonly maxIdle?: number | undefined
}

/**
 * Runs user code in warm child processes, one step per worker at a time. Workers start on
 * demand (as many as steps run at once), load the project once, and are reused; a worker
 * that dies or is killed fails only its step and the next step gets a fresh one. The control
 * plane never runs the code, so a crash, a busy loop or an out-of-memory stays in the worker.
 */
export class ProcessPoolExecutor implements Executor {
  readonly kind = 'pool'
  private readonly idle: WorkerProcess[] = []
  // Warmed workers still loading the project, not yet claimed by a step.
  private readonly starting: WorkerProcess[] = []
  private readonly all = new Set<WorkerProcess>()
  // Workers this pool asked to end: their exit is no crash to make up for.
  private readonly stopping = new Set<WorkerProcess>()
  private closed = false
  private readonly graceMs: number
  private readonly maxIdle: number

  constructor(private readonly options: PoolOptions) {
    this.graceMs = options.graceMs ?? 2000
    this.maxIdle = options.maxIdle ?? 4
  }

  /**
   * Starts workers until `count` are idle or starting, without waiting for them: a run calls
   * it first, so loading the project overlaps with the run's own start-up.
   */
  warm(count = 1): void {
    while (!this.closed && this.idle.length + this.starting.length < count) this.whenReady(this.spawn())
  }

  /** Takes over a worker started for this project before the pool existed (see prestartWorker), as if warmed. */
  adopt(worker: WorkerProcess): void {
    worker.setGrace(this.graceMs, this.options.clock)
    this.whenReady(this.track(worker))
  }

  // A starting worker: claimed by the next step, or idle once it has loaded the project.
  private whenReady(worker: WorkerProcess): void {
    this.starting.push(worker)
    worker.ready.then(() => {
      const index = this.starting.indexOf(worker)
      if (index < 0) return
      this.starting.splice(index, 1)
      this.release(worker)
    }, () => {
      const index = this.starting.indexOf(worker)
      if (index >= 0) this.starting.splice(index, 1)
    })
  }

  /** Process ids of the live workers (tests kill them). */
  pids(): number[] {
    return [...this.all].filter((w) => w.running).map((w) => w.pid!)
  }

  materialize(task: MaterializeTask, _def: AssetDefinition, host: StepHost, signal: AbortSignal): Promise<unknown> {
    return this.run(task, host, signal)
  }

  check(task: CheckTask, _check: CheckDefinition, host: StepHost, signal: AbortSignal): Promise<CheckOutcome> {
    return this.run(task, host, signal) as Promise<CheckOutcome>
  }

  sensor(task: SensorTask, _sensor: PollSensor, host: StepHost, signal: AbortSignal): Promise<SensorResult> {
    return this.run(task, host, signal) as Promise<SensorResult>
  }

  private async run(task: ExecutorTask, host: StepHost, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw signal.reason
    const worker = await this.acquire()
    try {
      return await worker.run(task, host, signal)
    } finally {
      this.release(worker)
    }
  }

  /** Stops idle workers now and busy ones as their steps end (a reload's old code). */
  retire(): void {
    this.closed = true
    for (const worker of this.idle.splice(0)) this.stop(worker)
  }

  /** Stops every worker now: idle ones exit, busy ones are killed (their steps fail). */
  async close(): Promise<void> {
    this.closed = true
    const workers = [...this.all]
    this.starting.length = 0
    // A busy worker may be in a loop that never reads its IPC channel: only SIGKILL ends it.
    for (const worker of workers) if (!this.idle.includes(worker)) worker.kill()
    this.idle.length = 0
    await Promise.all(workers.map((worker) => worker.stop()))
  }

  private async acquire(): Promise<WorkerProcess> {
    // An idle worker that died since (killed from outside) is skipped, not handed a step.
    for (let worker = this.idle.pop(); worker; worker = this.idle.pop()) if (worker.running) return worker
    const worker = this.starting.shift() ?? this.spawn()
    try {
      await worker.ready
    } catch (error) {
      worker.kill()
      throw error
    }
    return worker
  }

  private release(worker: WorkerProcess): void {
    if (!worker.running) return
    if (this.closed || this.idle.length >= this.maxIdle) this.stop(worker)
    else this.idle.push(worker)
  }

  private stop(worker: WorkerProcess): void {
    this.stopping.add(worker)
    void worker.stop()
  }

  private spawn(): WorkerProcess {
    return this.track(new WorkerProcess({ projectDir: this.options.projectDir, maxHeapMb: this.options.maxHeapMb, graceMs: this.graceMs, clock: this.options.clock }))
  }

  private track(worker: WorkerProcess): WorkerProcess {
    this.all.add(worker)
    let loaded = false
    worker.ready.then(() => (loaded = true), () => undefined)
    void worker.exited.then(() => {
      this.all.delete(worker)
      const index = this.idle.indexOf(worker)
      if (index >= 0) this.idle.splice(index, 1)
      // A worker that died (crash, kill, timeout) is replaced at once: a retry, or the next step, finds one loading or ready.
      // One that never loaded the project is not: its replacement would fail the same way, forever.
      if (!this.stopping.delete(worker) && !this.closed && loaded) this.warm(1)
    })
    return worker
  }
}
