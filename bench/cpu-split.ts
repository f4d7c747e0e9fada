// CPU time by process on this machine, from /proc (Linux): the benchmark's own process, given
// child processes, and every PostgreSQL server process. Where /proc is missing, NaN.
import { readdirSync, readFileSync } from 'node:fs'

/** CPU milliseconds used so far: by this process, by the given child processes, by their own children (a pool's), and by all `postgres` processes. */
export interface CpuSnapshot {
  readonly self: number
  readonly children: number
  readonly grandchildren: number
  readonly postgres: number
}

const TICK_MS = 10 // USER_HZ is 100 on Linux.

function ticksOf(pid: number | string): { comm: string; parent: number; ms: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After the command's name: state, parent pid, ... utime and stime (the 14th and 15th fields).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), parent: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS }
  } catch {
    return undefined
  }
}

/**
 * Takes a snapshot. Processes count only while they live: a PostgreSQL backend or a pool's child
 * that ended between two snapshots is missed (the benchmarks keep theirs for the whole measure).
 */
export function cpuSnapshot(childPids: readonly number[]): CpuSnapshot {
  const self = ticksOf('self')?.ms ?? Number.NaN
  const children = childPids.reduce((sum, pid) => sum + (ticksOf(pid)?.ms ?? Number.NaN), 0)
  let dirs: string[]
  try {
    dirs = readdirSync('/proc')
  } catch {
    return { self, children, grandchildren: Number.NaN, postgres: Number.NaN }
  }
  const given = new Set(childPids)
  let grandchildren = 0
  let postgres = 0
  for (const dir of dirs) {
    if (!/^\d+$/.test(dir)) continue
    const process = ticksOf(dir)
    if (process?.comm === 'postgres') postgres += process.ms
    else if (process && given.has(process.parent)) grandchildren += process.ms
  }
  return { self, children, grandchildren, postgres }
}

/** CPU milliseconds between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return { self: after.self - before.self, children: after.children - before.children, grandchildren: after.grandchildren - before.grandchildren, postgres: after.postgres - before.postgres }
}
