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
    const client = this.client
    this.client = undefined
    this.listeners.clear()
    await (await client?.catch(() => undefined))?.end()
  }

  private connect(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client({ connectionString: this.config.url })
      client.on('notification', (message) => {
        for (const listener of this.listeners) listener(message.payload ?? '')
      })
      // A dropped connection: forget it, so the next add() reconnects; wake every tail so it reads the log.
      client.on('error', () => {
        this.client = undefined
        for (const listener of this.listeners) listener('')
      })
      await client.connect()
      await client.query(`LISTEN "${this.channel}"`)
      return client
    })()
    this.client.catch(() => (this.client = undefined))
    return this.client
  }
}
