// A run in a process of its own that reports its instance's events on stdout, so a test waits
// on a moment of that run (staging written, checks done) before it kills the process.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { TributaryEvent } from '../../src/instance/tributary.js'

const ENTRY = `${import.meta.dirname}/run-process-main.ts`

/** A run started by startRunProcess: its process, and the events it reported. */
export interface RunProcess {
  readonly child: ChildProcess
  /**
   * Resolves with the first event of `type` that `match` accepts, reported so far or later;
   * rejects when the process ends without it, or after `timeoutMs` (Default: 60 000).
   */
  event<T extends TributaryEvent['type']>(type: T, match?: (event: Extract<TributaryEvent, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<TributaryEvent, { type: T }>>
}

/**
 * Materializes `selection` (Default: everything) of the project in `dir` in a new process whose
 * working directory is `dir` (as are its workers': the project's executor, a pool by default).
 */
export function startRunProcess(dir: string, selection = ''): RunProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, dir, selection], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
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
