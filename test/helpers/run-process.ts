// A run in a process of its own that reports its instance's events on stdout, so a test waits
// on a moment of that run (staging written, checks done) before it kills the process.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { after } from 'node:test'
import type { TributaryEvent } from '../../src/instance/tributary.js'

const ENTRY = `${import.meta.dirname}/run-process-main.ts`

// Every run process started here: a test that fails before it kills its own (an event never came)
// would leave it, and its pool's workers, holding the test file open; they are killed after the file's tests.
const started = new Set<ChildProcess>()
after(() => Promise.all([...started].map(killGroup)))

// SIGKILL to the run process's group (the process and its pool's workers), then its exit awaited.
async function killGroup(child: ChildProcess): Promise<void> {
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit')
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {
    // The group is gone already (every member exited).
  }
  await exited
  started.delete(child)
}

/** A run started by startRunProcess: its process, and the events it reported. */
export interface RunProcess {
  readonly child: ChildProcess
  /** SIGKILLs the run process and its pool's workers (its process group); resolves once it exited. Call it in `finally`. */
  kill(): Promise<void>
  /**
   * Resolves with the first event of `type` that `match` accepts, reported so far or later;
   * rejects when the process ends without it, or after `timeoutMs` (Default: 60 000).
   */
  event<T extends TributaryEvent['type']>(type: T, match?: (event: Extract<TributaryEvent, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<TributaryEvent, { type: T }>>
}

/**
 * Materializes `selection` (Default: everything) of the project in `dir` in a new process whose
 * working directory is `dir` (as are its workers': the project's executor, a pool by default).
 * The process leads a process group of its own, so kill() reaches its workers too.
 */
export function startRunProcess(dir: string, selection = ''): RunProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, dir, selection], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  started.add(child)
  const events: TributaryEvent[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  let ended = false
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return
    events.push(JSON.parse(line) as TributaryEvent)
    for (const wake of [...waiters]) wake()
  })
  child.once('exit', () => {
    ended = true
    for (const wake of [...waiters]) wake()
  })
  return {
    child,
    kill: () => killGroup(child),
    event(type, match = () => true, timeoutMs = 60_000) {
      type Wanted = Extract<TributaryEvent, { type: typeof type }>
      return new Promise<Wanted>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no ${type} event from the run process within ${timeoutMs} ms; it said:\n${stderr}`)), timeoutMs)
        const finish = (outcome: Wanted | Error) => {
          clearTimeout(timer)
          waiters.delete(look)
          if (outcome instanceof Error) reject(outcome)
          else resolve(outcome)
        }
        const look = () => {
          const found = events.find((event): event is Wanted => event.type === type && match(event as Wanted))
          if (found) finish(found)
          else if (ended) finish(new Error(`the run process ended without a ${type} event (exit ${child.exitCode ?? child.signalCode}):\n${stderr}`))
        }
        waiters.add(look)
        look()
      })
    },
  }
}
