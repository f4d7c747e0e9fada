// One reader of the store's event log for every open event stream of a server.
import type { EventRecord } from '../store/records.js'
import type { Store } from '../store/store.js'

/** How many events one read takes; a busy log is read in pages of this size. */
const PAGE = 1_000

/** Options of an EventLogTail. */
export interface EventLogTailOptions {
  /** How often the log is read for events written by other processes (also when the store notifies of them). Default: 200 ms. */
  readonly intervalMs?: number
  /** Where a failed read is reported (once until a read succeeds again). Default: ignored. */
  readonly log?: (line: string) => void
}

/**
 * Tails the append-only event log by id, so events written by any process (a CLI run, another
 * server) reach every subscriber in id order, each exactly once. SQLite commits one writer at a
 * time, so ids become visible in increasing order and reading "id > cursor" never skips one.
 * (PostgreSQL's store serializes its writes for the same reason.) It reads only while someone
 * subscribes; `wake()` reads at once (this process just wrote), and so does a notification from
 * a store that sends them (PostgreSQL's NOTIFY), so other processes' events arrive without the poll's delay.
 */
export class EventLogTail {
  private cursor: number | undefined
  private readonly subscribers = new Set<(events: readonly EventRecord[]) => void>()
  private timer: NodeJS.Timeout | undefined
  private reading: Promise<void> | undefined
  private again = false
  private failing = false
  private unwatch: Promise<(() => void) | undefined> | undefined

  constructor(private readonly store: () => Store, private readonly options: EventLogTailOptions = {}) {}

  /**
   * Receives every event with an id above the returned cursor, in batches, until unsubscribed.
   * The cursor is null while the store cannot be read (the stream then carries no log events
   * until it can, and starts at what is newest then).
   */
  async subscribe(listener: (events: readonly EventRecord[]) => void): Promise<{ cursor: number | null; unsubscribe: () => void }> {
    await this.start()
    // Synchronous from here: no batch can slip between reading the cursor and joining.
    this.subscribers.add(listener)
    this.timer ??= setInterval(() => this.wake(), this.options.intervalMs ?? 200)
    // A failed LISTEN leaves the poll to do the work.
    this.unwatch ??= this.store().watchEvents?.(() => this.wake()).catch(() => undefined)
    return {
      cursor: this.cursor ?? null,
      unsubscribe: () => {
        this.subscribers.delete(listener)
        if (this.subscribers.size === 0) this.stop()
      },
    }
  }

  /** Reads new events now (at most one read at a time; a wake during a read reads once more after it). */
  wake(): void {
    if (this.subscribers.size === 0) return
    if (this.reading) {
      this.again = true
      return
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined
      if (this.again) {
        this.again = false
        this.wake()
      }
    })
  }

  /** Stops reading; subscribers stay registered but receive nothing more. */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    void this.unwatch?.then((unwatch) => unwatch?.())
    this.unwatch = undefined
  }

  private async start(): Promise<void> {
    if (this.cursor !== undefined && this.subscribers.size > 0) return
    try {
      const newest = await this.store().lastEventId()
      // With no one subscribed the cursor may lag (nobody read while idle): a new stream starts at
      // what is newest. The cursor only moves forward, so no subscriber ever gets an event twice.
      if (this.cursor === undefined || this.subscribers.size === 0) this.cursor = Math.max(this.cursor ?? 0, newest)
      this.failing = false
    } catch (error) {
      this.report(error)
    }
  }

  private async read(): Promise<void> {
    if (this.cursor === undefined) return this.start()
    try {
      for (;;) {
        const events = await this.store().listEvents({ afterId: this.cursor, limit: PAGE })
        if (events.length === 0) break
        // Advance and deliver together, so a subscriber joining later gets exactly what follows its cursor.
        this.cursor = events.at(-1)!.id
        for (const listener of [...this.subscribers]) listener(events)
        if (events.length < PAGE) break
      }
      this.failing = false
    } catch (error) {
      this.report(error)
    }
  }

  private report(error: unknown): void {
    if (this.failing) return
    this.failing = true
    this.options.log?.(`reading the event log failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}
