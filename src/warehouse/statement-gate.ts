import { startTimer, systemClock, type Clock } from '../engine/clock.js'
import { ErrorCode, TributaryError } from '../model/errors.js'

/** How soon an interrupt is sent again while the interrupted work still runs; each wait doubles, up to 1 s. Default: 50 ms. */
const RESEND_MS = 50
const RESEND_MAX_MS = 1_000
// A transaction's end is left to finish: stopping a commit midway could leave its outcome unknown.
const ENDING = /^\s*(commit|rollback|end|abort)\b/i
const ROLLBACK = /^\s*(rollback|abort)\b/i

/** TRB5030: warehouse work stopped, or refused, because the session was interrupted. */
export function interruptedError(cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.WarehouseInterrupted, 'the warehouse statement was interrupted: its step ran out of time or its run was canceled', {
    cause,
    retryable: true,
    hint: "Nothing to undo: the interrupted statement's transaction rolled back. Raise the asset's timeout if the statement needs longer.",
  })
}

/**
 * The part of a serial connection (DuckDB's SerialConnection, PostgreSQL's SerialClient) that lets
 * one caller stop the work another runs on it: `interrupt` stops the statement running, again and
 * again until its piece of work has ended (a statement sent but not started yet misses a single
 * interrupt), and refuses every later piece except cleanup (dropping staging, closing). The
 * statement interrupted fails, so a transaction it was part of rolls back. The resends are timed on
 * the injected clock (Default: the system clock).
 */
export class StatementGate {
  private interrupted = false
  // The piece of work running now, whether the statement it has in flight ends a transaction, the
  // interrupt stopping it (one however often interrupt is called) and what wakes that interrupt's wait when the piece ends.
  private piece: Piece | undefined
  // The stop sent last: the next statement waits for it, so it cannot land on that statement instead.
  private stopping: Promise<void> = Promise.resolve()

  constructor(
    /** Stops whatever statement the connection runs now; a connection running none ignores it. */
    private readonly stop: () => void | Promise<void>,
    /** Times the resends. Default: the system clock. */
    private readonly clock: Clock = systemClock,
  ) {}

  /** Whether the connection was interrupted. */
  get wasInterrupted(): boolean {
    return this.interrupted
  }

  /** Runs one piece of work, its turn come; refused (TRB5030) once interrupted, unless it is `cleanup`. */
  async run<T>(work: () => Promise<T>, cleanup = false): Promise<T> {
    if (this.interrupted && !cleanup) throw interruptedError()
    const piece: Piece = { cleanup, ending: false }
    this.piece = piece
    try {
      return await work()
    } finally {
      if (this.piece === piece) this.piece = undefined
      piece.ended?.()
    }
  }

  /** Runs one statement of the current piece; after an interrupt only a rollback (or cleanup) goes through, and what fails says TRB5030. */
  async statement<T>(sql: string, run: () => Promise<T>): Promise<T> {
    const piece = this.piece
    const refused = () => this.interrupted && !piece?.cleanup && !ROLLBACK.test(sql)
    if (refused()) throw interruptedError()
    // Only after an interrupt is there a stop on its way to wait for (no extra await otherwise).
    if (this.interrupted) {
      await this.stopping
      if (refused()) throw interruptedError()
    }
    if (piece) piece.ending = ENDING.test(sql)
    try {
      return await run()
    } catch (error) {
      throw this.interrupted && !piece?.cleanup ? interruptedError(error) : error
    } finally {
      if (piece) piece.ending = false
    }
  }

  /** Stops the running piece of work and refuses later ones but cleanup; resolves once that piece has ended. */
  async interrupt(): Promise<void> {
    this.interrupted = true
    const piece = this.piece
    if (!piece || piece.cleanup) return
    // A second interrupt of the same piece joins the first rather than sending stops of its own.
    piece.stopping ??= this.stopUntilEnded(piece)
    return piece.stopping
  }

  private async stopUntilEnded(piece: Piece): Promise<void> {
    // Backing off: a stop that cannot reach the statement (a pooler hiding the server's process) is
    // not sent 20 times a second for as long as the statement runs.
    for (let wait = RESEND_MS; this.piece === piece; wait = Math.min(wait * 2, RESEND_MAX_MS)) {
      if (!piece.ending) {
        this.stopping = Promise.resolve().then(this.stop).catch(() => undefined)
        await this.stopping
      }
      if (this.piece !== piece) break
      // Until the resend is due on the clock, or the piece ends: then the interrupt resolves at once,
      // its timer stopped (a manual clock that never moves again does not hold it up).
      await new Promise<void>((resolve) => {
        const cancel = startTimer(this.clock, wait, () => {
          piece.ended = undefined
          resolve()
        })
        piece.ended = () => {
          cancel()
          resolve()
        }
      })
      piece.ended = undefined
    }
  }
}

interface Piece {
  readonly cleanup: boolean
  ending: boolean
  stopping?: Promise<void>
  ended?: () => void
}
