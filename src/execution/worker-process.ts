import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startTimer, systemClock, type Clock } from '../engine/clock.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ExecutorTask, StepHost } from './executor.js'
import { PROJECT_DIR_ENV, type FromWorker, type ToWorker } from './ipc-protocol.js'
import { fromWire, toWire } from './wire-error.js'
import { forgetWorker, recordWorker } from './worker-records.js'
import { workerDiedError, workerStartError, workerTimedOutError, type WorkerExit } from './worker-errors.js'

/** How worker processes are started. */
export interface WorkerOptions {
  /** The project the worker loads (its tributary.config.ts). */
  readonly projectDir: string
  /** Per-worker V8 heap limit (--max-old-space-size). Default: Node's own limit. */
  readonly maxHeapMb?: number | undefined
  /** How long a step's code has to stop after its signal aborts before its worker is killed. */
  readonly graceMs: number
  /** The clock the grace is measured on (a test's ManualClock steps past it). Default: the system clock. */
  readonly clock?: Clock | undefined
}

// Built (dist/), the entry is JavaScript and loadProject registers the TypeScript loader for the
// user's config itself; from src/ (tests), tsx runs the entry too.
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './worker-main.ts' : './worker-main.js', import.meta.url))
const LOADER = FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : []
// Resolution conditions (--conditions=tributary-source in the repository's tests) hold in workers too,
// so the user's config imports the same copy of Tributary as the control plane.
const CONDITIONS = process.execArgv.filter((arg, i, all) => /^(--conditions|-C)(=|$)/.test(arg) || /^(--conditions|-C)$/.test(all[i - 1] ?? ''))
const STDERR_TAIL = 4096

/** One warm worker process as the control plane sees it: start it, give it a task, learn how it died. */
export class WorkerProcess {
  /** Resolves when the project is loaded; rejects (TRB3034) when it failed to load. */
  readonly ready: Promise<void>
  /** Resolves when the process has ended and its output is read. */
  readonly exited: Promise<WorkerExit>
  private readonly child: ChildProcess
  private stderrTail = ''
  private nextId = 0
  private task: { readonly id: number; readonly host: StepHost; settle(outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void } | undefined
  private alive = true

  constructor(private options: WorkerOptions) {
    const heap = options.maxHeapMb ? [`--max-old-space-size=${options.maxHeapMb}`] : []
    this.child = fork(ENTRY, [], {
      execArgv: [...CONDITIONS, ...LOADER, ...heap],
      env: { ...process.env, [PROJECT_DIR_ENV]: options.projectDir },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    recordWorker(this.child.pid)
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => this.stray('stdout', text))
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL)
      this.stray('stderr', text)
    })
    // Read to its end, so V8's last words (out of memory) are in the tail when the exit is judged.
    const stderrEnded = new Promise<void>((resolve) => this.child.stderr!.once('close', resolve))
    this.exited = new Promise((resolve) => {
      // Not the child's 'close' event: it never comes once the control plane closed the IPC channel.
      this.child.once('exit', (code, signal) => {
        this.alive = false
        forgetWorker(this.child.pid)
        const drained = Promise.race([stderrEnded, new Promise((done) => setTimeout(done, 500).unref())])
        void drained.then(() => resolve({ code, signal, stderrTail: this.stderrTail }))
      })
    })
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') resolve()
        else if (message.type === 'failed') {
          const cause = fromWire(message.error)
          reject(workerStartError(`a worker process could not load the project: ${cause.message}`, cause))
        }
      }
      this.child.on('message', onMessage)
      void this.exited.then((exit) => reject(workerStartError(`a worker process ended while loading the project (${exit.signal ?? `exit code ${exit.code}`}): ${this.stderrTail.trim().split('\n').slice(-3).join(' ')}`)))
    })
    this.ready.catch(() => undefined)
    this.child.on('message', (message: FromWorker) => this.receive(message))
    // An IPC write to a dying worker fails; its 'close' reports what happened.
    this.child.on('error', () => undefined)
  }

  /** The worker's process id. */
  get pid(): number | undefined {
    return this.child.pid
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.alive
  }

  /**
   * Runs one task. On abort the task's ctx.signal aborts in the worker; if the task has not
   * ended `graceMs` later, the worker is killed. Settles only once the worker is idle or dead,
   * so no code of the step still runs (or writes) when the step is recorded.
   */
  run(task: ExecutorTask, host: StepHost, signal: AbortSignal): Promise<unknown> {
    const id = this.nextId++
    let cancelKill: (() => void) | undefined
    const onAbort = () => {
      this.send({ type: 'abort', id, reason: toWire(signal.reason) })
      cancelKill = startTimer(this.options.clock ?? systemClock, this.options.graceMs, () => this.kill())
    }
    return new Promise<unknown>((resolve, reject) => {
      const end = () => {
        this.task = undefined
        cancelKill?.()
        signal.removeEventListener('abort', onAbort)
      }
      // The worker answered: what the code returned or threw, unless the step was aborted meanwhile.
      const settle = (outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
        end()
        if (signal.aborted) reject(signal.reason)
        else if (outcome.ok) resolve(outcome.value)
        else reject(outcome.error)
      }
      this.task = { id, host, settle }
      void this.exited.then((exit) => {
        if (this.task?.id !== id) return
        end()
        // Killed because the signal aborted: a timeout says so with its own code, a cancel stays a cancel.
        const reason: unknown = signal.reason
        const whose = task.kind === 'sensor' ? { subject: `sensor ${task.sensorName}` } : { subject: `asset ${task.assetKey}`, assetKey: task.assetKey }
        if (!signal.aborted) reject(workerDiedError(whose, exit, this.options.maxHeapMb))
        else if (reason instanceof TributaryError && reason.code === ErrorCode.StepTimeout) reject(workerTimedOutError(whose, reason.detail.replace(`${whose.subject} `, ''), this.options.graceMs))
        else reject(reason)
      })
      signal.addEventListener('abort', onAbort, { once: true })
      this.send({ type: 'run', id, task })
      if (signal.aborted) onAbort()
    })
  }

  /** The grace period, and its clock, of the steps it runs from now on (a pool adopting a prestarted worker sets its own). */
  setGrace(graceMs: number, clock?: Clock): void {
    this.options = { ...this.options, graceMs, clock }
  }

  /** Kills the process at once (SIGKILL): a busy loop ignores anything gentler. */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL')
  }

  /** Ends an idle worker: closing the IPC channel makes it exit on its own. */
  async stop(): Promise<void> {
    if (this.alive && this.child.connected) this.child.disconnect()
    const exited = await Promise.race([this.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref())])
    if (!exited) this.kill()
    await this.exited
  }

  private send(message: ToWorker): void {
    if (this.alive && this.child.connected) this.child.send(message, (error) => error && undefined)
  }

  private receive(message: FromWorker): void {
    const task = this.task
    if (!task || !('id' in message) || message.id !== task.id) return
    if (message.type === 'log') task.host.log(message.level, message.message, { stream: message.stream, at: message.at })
    else if (message.type === 'call') {
      task.host.warehouse(message.request).then(
        (value) => this.send({ type: 'reply', id: message.id, call: message.call, ok: true, value }),
        (error: unknown) => this.send({ type: 'reply', id: message.id, call: message.call, ok: false, error: toWire(error) }),
      )
    } else if (message.type === 'done') {
      task.settle(message.ok ? { ok: true, value: message.value } : { ok: false, error: fromWire(message.error) })
    }
  }

  // Output that bypassed console and process.stdout (native code, V8's fatal errors): the running step's log.
  private stray(stream: 'stdout' | 'stderr', text: string): void {
    const task = this.task
    if (!task) return
    const at = new Date()
    for (const line of text.split('\n')) if (line.trim()) task.host.log(stream === 'stdout' ? 'info' : 'error', line, { stream, at })
  }
}
