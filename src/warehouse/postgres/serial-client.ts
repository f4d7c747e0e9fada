import pg from 'pg'
import type { Clock } from '../../engine/clock.js'
import type { Row } from '../../model/context.js'
import { StatementGate } from '../statement-gate.js'
import { queryError } from './postgres-errors.js'
import { toPgParams } from './postgres-values.js'

/** Statements on a client the caller already holds exclusively. */
export interface Statements {
  /** Runs a query with `$1` parameters and returns its rows. */
  read(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** Runs one or more statements (several only without parameters). */
  run(sql: string, params?: readonly unknown[]): Promise<void>
  /** The raw client, for COPY streams. */
  readonly client: pg.PoolClient
  /** Wraps an error the way statements do (TRB5002, TRB5020). */
  wrap(error: unknown): Error
}

/**
 * One pooled PostgreSQL connection whose work runs one piece at a time, as DuckDB's
 * SerialConnection: a transaction must not interleave with other callers' statements.
 */
export class SerialClient {
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  private broken = false
  private readonly statements: Statements
  private readonly onError: () => void
  private readonly gate: StatementGate

  /** `clock` times the interrupt's resends (Default: the system clock). */
  constructor(client: pg.PoolClient, url: string, clock?: Clock) {
    const wrap = (error: unknown) => queryError(error, url)
    // The server process serving this client, from the BackendKeyData message of its connect.
    const backend = (client as unknown as { processID?: number }).processID
    const gate = (this.gate = new StatementGate(() => cancelBackend(url, backend), clock))
    this.statements = {
      client,
      wrap,
      read: (sql, params = []) => gate.statement(sql, async () => {
        try {
          return (await client.query<Row>(sql, toPgParams(params))).rows
        } catch (error) {
          throw wrap(error)
        }
      }),
      run: (sql, params = []) => gate.statement(sql, async () => {
        try {
          await client.query(sql, params.length > 0 ? toPgParams(params) : undefined)
        } catch (error) {
          throw wrap(error)
        }
      }),
    }
    // A connection the server dropped is reported here; it is not returned to the pool.
    this.onError = () => (this.broken = true)
    client.on('error', this.onError)
  }

  /**
   * Runs `work` with the client to itself, after everything queued before it. Once the client is
   * interrupted, work is refused (TRB5030) unless it is `cleanup`.
   */
  exclusive<T>(work: (statements: Statements) => Promise<T>, cleanup = false): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closed) throw new Error('this PostgreSQL warehouse session is closed')
      return this.gate.run(() => work(this.statements), cleanup)
    })
    this.tail = result.catch(() => undefined)
    return result
  }

  /**
   * Cancels the statement running (its transaction rolls back) and refuses later work but cleanup;
   * see StatementGate. The connection is then not returned to the pool: a cancel still on its way
   * must not reach another session's statement.
   */
  interrupt(): Promise<void> {
    this.broken = true
    return this.gate.interrupt()
  }

  /** Runs `work` in one transaction (`begin` may set its isolation level): committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (statements: Statements) => Promise<T>, begin = 'begin'): Promise<T> {
    return this.exclusive(async (s) => {
      await s.run(begin)
      try {
        const result = await work(s)
        await s.run('commit')
        return result
      } catch (error) {
        await s.run('rollback').catch(() => undefined)
        throw error
      }
    })
  }

  /** Returns the connection to the pool once queued work has finished. Safe to call twice. */
  close(): Promise<void> {
    return this.exclusive(async (s) => {
      this.closed = true
      // The pooled client outlives this session: a listener left on it would pile up, one per session.
      s.client.off('error', this.onError)
      s.client.release(this.broken)
    }, true).catch(() => undefined)
  }
}

/** How long the cancel's own connection may take to open. Default: 2 s. */
const CANCEL_CONNECT_TIMEOUT_MS = 2_000

// pg_cancel_backend from a connection of its own: the session's connection is busy with the
// statement, and the pool's may all be taken by other sessions.
async function cancelBackend(url: string, backend: number | undefined): Promise<void> {
  if (backend === undefined) return
  // Bounded: a server that does not answer must not hold up the rollback and drops that follow.
  const client = new pg.Client({ connectionString: url, application_name: 'tributary cancel', connectionTimeoutMillis: CANCEL_CONNECT_TIMEOUT_MS })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('select pg_cancel_backend($1)', [backend])
  } finally {
    await client.end().catch(() => undefined)
  }
}
