import pg from 'pg'
import type { Clock } from '../../engine/clock.js'
import type { Relation } from '../../graph/asset-graph.js'
import { toPublication } from '../duckdb/ledger.js'
import { stagingRelation } from '../staging-name.js'
import type { PublicationRecord, Warehouse, WarehouseSession } from '../warehouse.js'
import type { PostgresWarehouseConfig } from '../warehouse-config.js'
import { createLedger, raiseFence, raiseFenceWithin, selectPublications } from './ledger.js'
import { isUnreachable, queryError, unreachableError } from './postgres-errors.js'
import { PostgresSession } from './postgres-session.js'
import { warehouseTypes } from './postgres-values.js'
import { SerialClient } from './serial-client.js'

// SQLSTATE of a lock wait past lock_timeout.
const LOCK_NOT_AVAILABLE = '55P03'

/** A warehouse inside a PostgreSQL database: a pool of connections, one per open session. */
export class PostgresWarehouse implements Warehouse {
  readonly dialect = 'postgres'
  private readonly sessions = new Set<PostgresSession>()
  private closed = false

  private constructor(
    private readonly config: PostgresWarehouseConfig,
    private readonly pool: pg.Pool,
    private readonly clock: Clock | undefined,
  ) {}

  /**
   * Connects and creates the ledger (`<schema>.publications`, schema Default: '_tributary')
   * when missing, safely when several processes start at once. TRB5020 when the server
   * cannot be reached. `applicationName` names its connections in pg_stat_activity (workers say whose they are);
   * `clock` times the resends of a session's interrupt (Default: the system clock).
   */
  static async open(config: PostgresWarehouseConfig, options: { readonly applicationName?: string; readonly poolSize?: number; readonly clock?: Clock } = {}): Promise<PostgresWarehouse> {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: options.poolSize ?? config.poolSize ?? 10,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      types: warehouseTypes,
      // UTC, so timestamptz values print and compare as Tributary writes them. No statement
      // timeout: a transform may run long, and the store's timeout is for its own short writes.
      options: '-c TimeZone=UTC',
    })
    // An idle connection the server drops must not crash the process; the next checkout reconnects.
    pool.on('error', () => undefined)
    // Nor one in use, whose loss its statements hear (pg-pool listens on a client only while idle).
    pool.on('connect', (client) => client.on('error', () => undefined))
    const schema = config.schema ?? '_tributary'
    try {
      const client = await pool.connect()
      try {
        await client.query('begin')
        await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`tributary:ledger:${schema}`])
        await client.query(createLedger(schema))
        await client.query('commit')
      } finally {
        client.release()
      }
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw isUnreachable(error) ? unreachableError(config.url, error) : queryError(error, config.url)
    }
    return new PostgresWarehouse(config, pool, options.clock)
  }

  /** A new session on its own pooled connection. */
  async session(): Promise<WarehouseSession> {
    if (this.closed) throw new Error('the PostgreSQL warehouse is closed')
    const client = await this.pool.connect().catch((error: unknown) => {
      throw unreachableError(this.config.url, error)
    })
    const session: PostgresSession = new PostgresSession(new SerialClient(client, this.config.url, this.clock), this.config.schema ?? '_tributary', () => this.sessions.delete(session))
    this.sessions.add(session)
    return session
  }

  /** `__trb_stage_<name>_<hash of run and partition>` beside the target, at most 63 characters. */
  stagingRelation(target: Relation, runId: string, partition: string | null): Relation {
    return stagingRelation(target, runId, partition)
  }

  /** Publications the ledger holds for `runId`, oldest first. */
  async publications(runId: string): Promise<PublicationRecord[]> {
    try {
      return (await this.pool.query(selectPublications(this.config.schema ?? '_tributary'), [runId])).rows.map(toPublication)
    } catch (error) {
      throw queryError(error, this.config.url)
    }
  }

  /** Raises the asset-partition's fence (see {@link Warehouse.raiseFence}); waits for a publish of it under way, at most `lockTimeoutMs`. */
  async raiseFence(assetKey: string, partition: string | null, fence: number, options: { readonly lockTimeoutMs?: number } = {}): Promise<boolean> {
    const schema = this.config.schema ?? '_tributary'
    try {
      if (options.lockTimeoutMs === undefined) await this.pool.query(raiseFence(schema), [assetKey, partition ?? '', fence])
      else await this.pool.query(raiseFenceWithin(schema, options.lockTimeoutMs, assetKey, partition ?? '', fence))
      return true
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === LOCK_NOT_AVAILABLE) return false
      throw queryError(error, this.config.url)
    }
  }

  /** Closes every session, then the pool. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.sessions].map((session) => session.close()))
    await this.pool.end()
  }
}
