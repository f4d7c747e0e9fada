// The project's control plane advertises itself in its state directory, so CLI commands
// submit to it instead of fighting it for the warehouse.
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The advertisement file's name inside the state directory. */
export const CONTROL_PLANE_FILE = 'control-plane.json'

/** What a live control plane writes about itself to `.tributary/control-plane.json`. */
export interface ControlPlaneInfo {
  /** The format of this file. */
  readonly version: 1
  readonly pid: number
  /** The loopback URL clients call, e.g. http://127.0.0.1:3000. */
  readonly url: string
  readonly port: number
  /** A random secret: clients present it as `Authorization: Bearer <secret>`; it grants the operator role. */
  readonly secret: string
  readonly startedAt: string
  /** The command that advertises: 'serve' or 'dev'. */
  readonly command: string
}

/** A control plane advertised by this process, and how to stop advertising it. */
export interface Advertisement {
  readonly info: ControlPlaneInfo
  /** Removes the file if it is still this process's (idempotent). */
  withdraw(): Promise<void>
}

/** A fresh local secret: 32 random bytes, hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex')
}

/** The URL a client on this machine uses for a server listening on `url` (a wildcard address becomes loopback). */
export function clientUrl(url: string): string {
  return url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:')
}

/**
 * Writes the advertisement atomically (a temporary file renamed over the old one, so a reader
 * never sees half a file) and removes it when the process exits, even by an uncaught error.
 */
export async function advertise(stateDir: string, info: Omit<ControlPlaneInfo, 'version' | 'pid' | 'startedAt'>): Promise<Advertisement> {
  const file = join(stateDir, CONTROL_PLANE_FILE)
  const full: ControlPlaneInfo = { version: 1, pid: process.pid, startedAt: new Date().toISOString(), ...info, url: clientUrl(info.url) }
  await mkdir(stateDir, { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  // Mode 0600: the secret is an operator credential for whoever can read it.
  await writeFile(temporary, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, file)
  const onExit = () => {
    // Synchronous at exit: only remove the file if it still names this process.
    if (readControlPlane(stateDir)?.pid === process.pid) {
      rmSync(file, { force: true })
    }
  }
  process.once('exit', onExit)
  return {
    info: full,
    async withdraw() {
      process.off('exit', onExit)
      if (readControlPlane(stateDir)?.pid === process.pid) await rm(file, { force: true })
    },
  }
}

/** The advertisement in `stateDir` as written, or undefined when there is none or it is unreadable. */
export function readControlPlane(stateDir: string): ControlPlaneInfo | undefined {
  let text: string
  try {
    text = readFileSync(join(stateDir, CONTROL_PLANE_FILE), 'utf8')
  } catch {
    return undefined
  }
  try {
    const info = JSON.parse(text) as Partial<ControlPlaneInfo>
    if (info.version !== 1 || typeof info.pid !== 'number' || typeof info.url !== 'string' || typeof info.secret !== 'string') return undefined
    return info as ControlPlaneInfo
  } catch {
    return undefined
  }
}

/** Whether a process with this pid exists on this machine (EPERM: it does, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The live control plane of the project whose state directory is `stateDir`, or undefined.
 * Live means: the advertised pid exists and its server answers GET /api/control-plane with
 * that pid within `timeoutMs` (Default: 2 000 ms). A stale file (dead pid, or a pid reused by
 * another program) is removed, so the next command does not probe it again.
 */
export async function findControlPlane(stateDir: string, options: { timeoutMs?: number } = {}): Promise<ControlPlaneInfo | undefined> {
  const info = readControlPlane(stateDir)
  if (!info || info.pid === process.pid) return undefined
  if (processExists(info.pid) && (await probe(info, options.timeoutMs ?? 2_000))) return info
  // Remove only the file we judged, never one a new control plane just wrote.
  if (readControlPlane(stateDir)?.secret === info.secret && !processExists(info.pid)) await rm(join(stateDir, CONTROL_PLANE_FILE), { force: true })
  return undefined
}

async function probe(info: ControlPlaneInfo, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${info.url}/api/control-plane`, {
      headers: { authorization: `Bearer ${info.secret}` }, signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) return false
    const body = (await response.json()) as { pid?: unknown }
    return body.pid === info.pid
  } catch {
    return false
  }
}
