// Records of the worker processes this machine's control planes started, so a worker that outlived
// its control plane is ended by the next one. A worker ends itself when its IPC channel closes and,
// once ready, from a watchdog thread; a worker whose main thread is stuck before that (a config that
// never finishes loading) would otherwise live on after a SIGKILL of its control plane.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One file per live worker, named by its pid, holding its control plane's pid. */
export const WORKER_RECORDS_DIR = join(tmpdir(), `tributary-workers-${process.getuid?.() ?? 'user'}`)

let swept = false

/** Notes that this process started worker `pid`; the first call also ends orphans of dead control planes. */
export function recordWorker(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    if (!swept) {
      swept = true
      endOrphanedWorkers()
    }
    mkdirSync(WORKER_RECORDS_DIR, { recursive: true })
    writeFileSync(join(WORKER_RECORDS_DIR, String(pid)), String(process.pid))
  } catch {
    // Records are a second line of defence: a worker still ends with its IPC channel.
  }
}

/** Removes the record of a worker that ended. */
export function forgetWorker(pid: number | undefined): void {
  if (pid !== undefined) rmSync(join(WORKER_RECORDS_DIR, String(pid)), { force: true })
}

/**
 * Ends (SIGKILL) every recorded worker whose control plane is gone and that is still a Tributary
 * worker (its command line names worker-main; read from /proc, so on Linux only), and removes
 * the records of dead control planes. Returns the pids it ended.
 */
export function endOrphanedWorkers(): number[] {
  let names: string[]
  try {
    names = readdirSync(WORKER_RECORDS_DIR).filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
  const ended: number[] = []
  for (const name of names) {
    const file = join(WORKER_RECORDS_DIR, name)
    let parent: number
    try {
      parent = Number(readFileSync(file, 'utf8'))
    } catch {
      continue
    }
    if (parent > 0 && running(parent)) continue
    const pid = Number(name)
    if (running(pid) && isWorker(pid)) {
      try {
        process.kill(pid, 'SIGKILL')
        ended.push(pid)
      } catch {
        // Ended meanwhile.
      }
    }
    rmSync(file, { force: true })
  }
  return ended
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// A recycled pid may belong to anything by now: only a process running worker-main is ended.
function isWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => /worker-main\.[jt]s$/.test(arg))
  } catch {
    return false
  }
}
