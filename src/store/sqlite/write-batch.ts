import type Database from 'better-sqlite3'

/**
 * Flushes one turn of the event loop may make before the next waits for the turn's end. One: the
 * turn's first commit goes at once, and writes asked for after it wait for the I/O callbacks the
 * turn still runs, so steps ending in worker processes (one IPC message each) share a commit
 * instead of paying for one each.
 */
export const CHAINED_FLUSHES = 1

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

interface Pending {
  readonly work: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * Group commit for one SQLite connection: writes asked for while promise continuations run
 * (steps going on at once) share one BEGIN IMMEDIATE transaction, each in its own savepoint, so one
 * failing write rolls back only itself. A write's promise settles once its transaction has
 * committed (or failed), so a caller that awaits it sees exactly what it did before; many
 * concurrent steps pay for one commit instead of one each.
 */
export class WriteBatch {
  private queue: Pending[] = []
  private scheduled = false
  private immediate: NodeJS.Immediate | undefined
  // Flushes since the event loop last turned (reset by an immediate), bounding how long writes chained
  // within one turn can keep timers and I/O waiting.
  private chained = 0
  private turn: NodeJS.Immediate | undefined
  // Prepared once: a transaction function per write would cost more than the write itself.
  private readonly run: (batch: readonly Pending[]) => Outcome[]
  private readonly savepoint: Database.Statement
  private readonly release: Database.Statement
  private readonly rollbackTo: Database.Statement

  /** `toError` turns a SQLite error into the store's own (a damaged file becomes TRB4001); `committed` is called after each commit. */
  constructor(private readonly db: Database.Database, private readonly toError: (error: unknown) => unknown, private readonly committed: () => void = () => undefined) {
    this.savepoint = db.prepare('SAVEPOINT batched_write')
    this.release = db.prepare('RELEASE batched_write')
    this.rollbackTo = db.prepare('ROLLBACK TO batched_write')
    // A lone write needs no savepoint: its failure rolls the whole transaction back.
    this.run = db.transaction((batch: readonly Pending[]): Outcome[] => batch.length === 1 ? [{ ok: true, value: batch[0]!.work() }] : batch.map(({ work }) => this.inSavepoint(work))).immediate
  }

  /** Queues `work` (synchronous statements) for this turn's transaction; resolves with its result once committed. */
  write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (this.scheduled) return
      this.scheduled = true
      // A tick queued from a promise continuation runs once no continuation is left: every step
      // continuing now queues its write first. Past CHAINED_FLUSHES in one turn, the end of the turn:
      // the ends other I/O callbacks of the turn bring join it, and timers and I/O are not starved.
      if (this.chained < CHAINED_FLUSHES) process.nextTick(() => this.flush())
      else this.immediate = setImmediate(() => this.flush())
    })
  }

  /** Commits every queued write now (before the connection closes). */
  flush(): void {
    if (this.immediate) clearImmediate(this.immediate)
    this.immediate = undefined
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    if (batch.length === 0) return
    this.chained++
    this.turn ??= setImmediate(() => {
      this.chained = 0
      this.turn = undefined
    })
    let outcomes: Outcome[]
    try {
      outcomes = this.run(batch)
    } catch (error) {
      const failure = this.toError(error)
      for (const { reject } of batch) reject(failure)
      return
    }
    this.committed()
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) resolve(outcome.value)
      else reject(this.toError(outcome.error))
    })
  }

  // One write of a batch: a failure undoes only its own statements.
  private inSavepoint(work: () => unknown): Outcome {
    this.savepoint.run()
    try {
      const value = work()
      this.release.run()
      return { ok: true, value }
    } catch (error) {
      // SQLite itself rolled the whole transaction back (a full disk, an I/O error): nothing of
      // the batch stands, so every write of it fails.
      if (!this.db.inTransaction) throw error
      this.rollbackTo.run()
      this.release.run()
      return { ok: false, error }
    }
  }
}
