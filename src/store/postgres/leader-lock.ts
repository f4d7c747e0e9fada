import pg from 'pg'
import type { LeaderLock } from '../automation-store.js'
import type { PostgresStoreConfig } from '../store-config.js'
import { asStoreError } from './open-pool.js'

/**
 * How long a hold may go unconfirmed: a ping on the lock's connection that takes longer fails,
 * and the process stops leading. Default: 10 s.
 */
const PING_TIMEOUT_MS = 10_000

// When the leader's machine vanishes without closing its socket, PostgreSQL only notices through
// TCP keepalives; the operating system's defaults wait two hours. These bound it: 10 s idle, then
// 3 probes 5 s apart, so the lock is freed about 25 s after the machine went silent.
const KEEPALIVES = 'SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3'

/**
 * Leadership by a session-level advisory lock held on a connection of its own (never a pooled
 * one, which would hand the lock to whoever borrows the connection next). PostgreSQL releases
 * a session lock the moment its session ends, so when the leader dies — killed, crashed, its
 * machine gone — the lock is free as soon as PostgreSQL sees the connection close, and a
 * standby's next try takes it. The lock is per database: processes sharing a store compete for it.
 */
export class PostgresLeaderLock implements LeaderLock {
  private client: pg.Client | undefined
  private leading = false

  constructor(private readonly config: PostgresStoreConfig, private readonly role: string) {}

  get held(): boolean {
    return this.leading
  }

  async tryAcquire(): Promise<boolean> {
    try {
      const client = this.client ?? (await this.connect())
      // A leader confirms its hold on the same connection: a lost session has lost the lock.
      if (this.leading) await client.query('SELECT 1')
      else this.leading = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.key()])).rows[0]?.ok === true
      return this.leading
    } catch (error) {
      this.drop()
      throw asStoreError(error, this.config.url)
    }
  }

  async release(): Promise<void> {
    const client = this.client
    this.client = undefined
    const wasLeading = this.leading
    this.leading = false
    if (!client) return
    try {
      // Ending the session would release it too; unlocking first frees it even if the end lingers.
      if (wasLeading) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.key()])
    } catch {
      // The connection is already gone, and the lock with it.
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  private key(): string {
    return `tributary:leader:${this.role}`
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.config.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, query_timeout: PING_TIMEOUT_MS, connectionTimeoutMillis: 10_000 })
    // The connection dropped (server restart, network): whatever it held is gone.
    const lost = () => {
      if (this.client === client) this.drop()
    }
    client.on('error', lost)
    client.on('end', lost)
    await client.connect()
    try {
      await client.query(KEEPALIVES)
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
    this.client = client
    return client
  }

  private drop(): void {
    const client = this.client
    this.client = undefined
    this.leading = false
    void client?.end().catch(() => undefined)
  }
}
