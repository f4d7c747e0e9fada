import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { StoreOutage } from '../store.js'
import { asStoreError } from './open-pool.js'

// Waits between tries: 100 ms, doubling, at most 2 s.
const FIRST_WAIT_MS = 100
const MAX_WAIT_MS = 2_000

/**
 * A store's way through a short outage (a database restart, a failover): a statement that fails
 * because the store is out of reach (TRB4020) is sent again, for up to `retryForMs` from the call,
 * when that is safe. A read, or a write that does the same twice (`idempotent`), always is; any
 * other write only when the failure came before anything reached the server (a connection refused,
 * not let in: `neverSent`), never when the connection ended under it, which may have committed.
 * The first failure of an outage and the first success after it are told to the watchers.
 * `retryForMs` 0: every failure is thrown at once (a fleet worker, which rides out outages its
 * own way, see QueueWorker).
 */
export class RideOut {
  private readonly watchers = new Set<(outage: StoreOutage) => void>()
  private outageSince: number | undefined

  constructor(private readonly url: string, private readonly retryForMs: number) {}

  /** Calls `watcher` with each outage's start and end; returns how to stop. */
  watch(watcher: (outage: StoreOutage) => void): () => void {
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }

  /**
   * Runs `fn`, trying it again through an outage as the class says (`once`: never); its last failure
   * is thrown, as the store's error.
   */
  async run<T>(fn: () => Promise<T>, options: { idempotent: boolean; once?: boolean }): Promise<T> {
    const start = performance.now()
    for (let attempt = 0; ; attempt++) {
      let failure: unknown
      try {
        const result = await fn()
        this.reached()
        return result
      } catch (error) {
        failure = asStoreError(error, this.url)
        const again = !options.once && this.retryForMs > 0 && unreachable(failure) && (options.idempotent || neverSent(error))
        if (!again || performance.now() - start >= this.retryForMs) throw failure
      }
      this.failed(failure as TributaryError)
      await sleep(Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** attempt, Math.max(0, this.retryForMs - (performance.now() - start))))
    }
  }

  private failed(error: TributaryError): void {
    if (this.outageSince !== undefined) return
    this.outageSince = performance.now()
    this.tell({ type: 'store_unreachable', at: new Date(), message: error.message, retryForMs: this.retryForMs })
  }

  private reached(): void {
    if (this.outageSince === undefined) return
    const afterMs = performance.now() - this.outageSince
    this.outageSince = undefined
    this.tell({ type: 'store_reachable', at: new Date(), afterMs })
  }

  private tell(outage: StoreOutage): void {
    for (const watcher of this.watchers) {
      try {
        watcher(outage)
      } catch {
        // A watcher's failure is its own.
      }
    }
  }
}

const unreachable = (error: unknown) => error instanceof TributaryError && error.code === ErrorCode.StoreUnreachable

/**
 * Whether a failure came before the statement reached the server, so that sending it again cannot
 * apply it twice: the server refused the connection or the login (no such database, a role not let
 * in, a database closed to connections, a server starting up), or nothing answered at the
 * address. A connection that ended under a statement (57P01, a reset, "Connection
 * terminated") is not: its transaction may have committed.
 */
export function neverSent(error: unknown): boolean {
  const cause = error instanceof TributaryError && error.cause !== undefined ? error.cause : error
  const code = (cause as { code?: unknown } | null)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  // pg's own connect timeout: no answer while connecting.
  if (typeof code !== 'string') return /Connection terminated due to connection timeout/i.test(message)
  // A socket's error counts only from connecting: on a connection already open (EHOSTUNREACH after a keepalive) the statement may have gone.
  const syscall = (cause as { syscall?: unknown } | null)?.syscall
  if (NOT_CONNECTED.has(code)) return syscall === 'connect' || syscall === 'getaddrinfo'
  return code === '3D000' || code.startsWith('28') || code === '57P03'
    || (code === '55000' && /not currently accepting connections/.test(message))
}

// Node's errors for a connection never made: refused, no such host, no route.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])
