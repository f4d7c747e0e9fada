import pg from 'pg'
import type { PostgresStoreConfig } from '../store-config.js'

/**
 * One LISTEN connection per store, shared by every live tail of the process: PostgreSQL
 * notifies `tributary_events` after each statement that appends events (migration 0001's
 * trigger), and each listener then reads the log from the last id it saw. Notifications carry
 * nothing, so merged or missed ones lose no event; a tail still reads the log once on start.
 */
export class EventListener {
  private readonly listeners = new Set<(payload: string) => void>()
  private client: Promise<pg.Client> | undefined
  // The connection that listens now: a lost one's late errors are not taken for the next one's.
  private live: pg.Client | undefined
  private retry: NodeJS.Timeout | undefined
  private closed = false

  /** `channel`: what it listens to. Default: `tributary_events`. */
  constructor(private readonly config: PostgresStoreConfig, private readonly channel = 'tributary_events') {}

  /** Calls `listener` after events are appended by any process (with the notification's payload; '' after a reconnect); returns how to stop. */
  async add(listener: (payload: string) => void): Promise<() => void> {
    this.listeners.add(listener)
    await this.connect()
    return () => this.listeners.delete(listener)
  }

  /** Ends the LISTEN connection. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    const client = this.client
    this.client = undefined
    this.live = undefined
    this.listeners.clear()
    await (await client?.catch(() => undefined))?.end()
  }

  private connect(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client({ connectionString: this.config.url, keepAlive: true })
      client.on('notification', (message) => {
        for (const listener of this.listeners) listener(message.payload ?? '')
      })
      // A dropped connection (a restart, a failover): wake every tail so it reads the log, and listen
      // again as soon as the store lets us, so that notifications resume without a new add().
      client.on('error', () => {
        if (this.live !== client) return
        this.live = undefined
        this.client = undefined
        this.wake()
        this.reconnect(0)
      })
      await client.connect()
      await client.query(`LISTEN "${this.channel}"`)
      this.live = client
      return client
    })()
    this.client.catch(() => (this.client = undefined))
    return this.client
  }

  // Tries again after 250 ms, doubling up to 5 s, while anyone listens; wakes them once it listens
  // again (notifications sent meanwhile were lost, the log was not).
  private reconnect(attempt: number): void {
    if (this.closed || this.listeners.size === 0 || this.retry) return
    this.retry = setTimeout(() => {
      this.retry = undefined
      this.connect().then(() => this.wake(), () => this.reconnect(attempt + 1))
    }, Math.min(5_000, 250 * 2 ** attempt))
    this.retry.unref()
  }

  private wake(): void {
    for (const listener of this.listeners) listener('')
  }
}
