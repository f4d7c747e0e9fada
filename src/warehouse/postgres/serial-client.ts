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
    // Where the client is connected and the key of the server process serving it (BackendKeyData of its connect).
    const key = cancelKey(client)
    const gate = (this.gate = new StatementGate(() => (key ? sendCancelRequest(key) : undefined), clock))
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

/** How long the cancel's own connection may take to open, and the server to close it once the request is sent. Default: 2 s. */
const CANCEL_TIMEOUT_MS = 2_000

/** What a cancel request of a client's statement needs: where the client is connected, how, and its server process's key. */
interface CancelKey {
  readonly host: string
  readonly port: number
  readonly ssl: unknown
  readonly sslNegotiation: string | undefined
  readonly processID: number
  readonly secretKey: number
}

// The fields node-postgres keeps on a connected client (not in its types).
interface ConnectedClient {
  readonly host?: string
  readonly port?: number
  readonly ssl?: unknown
  readonly sslNegotiation?: string
  readonly processID?: number | null
  readonly secretKey?: number | null
}

// The parts of node-postgres's protocol connection a cancel request uses.
interface RawConnection {
  readonly stream: { destroy(): void }
  connect(port: number | string, host?: string): void
  requestSsl(): void
  cancel(processID: number, secretKey: number): void
  on(event: string, listener: (...args: unknown[]) => void): unknown
  once(event: string, listener: (...args: unknown[]) => void): unknown
}

function cancelKey(client: pg.PoolClient): CancelKey | undefined {
  const c = client as unknown as ConnectedClient
  if (typeof c.processID !== 'number' || typeof c.secretKey !== 'number' || !c.host || !c.port) return undefined
  return { host: c.host, port: c.port, ssl: c.ssl, sslNegotiation: c.sslNegotiation, processID: c.processID, secretKey: c.secretKey }
}

/**
 * PostgreSQL's CancelRequest (the protocol's cancel, as libpq's PQcancel): a connection of its own
 * to the client's server (or pooler) that sends the process id and secret key of the client's
 * BackendKeyData instead of logging in, so it needs no free slot under max_connections, and a pooler
 * (PgBouncer) forwards it to the server process running the client's statement now, which
 * pg_cancel_backend of the process id the client saw would miss. Over TLS when the client's
 * connection is. Resolves once the server has taken the request and closed the connection;
 * rejects when the connection does not open within 2 s or fails before the request is sent.
 */
function sendCancelRequest(key: CancelKey): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const connection = new pg.Connection({ ssl: key.ssl, sslNegotiation: key.sslNegotiation } as pg.ConnectionConfig) as unknown as RawConnection
    let sent = false
    let timer: NodeJS.Timeout | undefined
    const finish = (error?: unknown) => {
      clearTimeout(timer)
      connection.stream.destroy()
      if (error) reject(error instanceof Error ? error : new Error(String(error)))
      else resolve()
    }
    // Bounded, on the wall clock as any network wait: a server that does not answer must not hold
    // up the rollback and drops that follow. Once the request is sent, a server slow to close the
    // connection ends the wait without an error (the interrupt sends it again if the statement runs on).
    const bound = () => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(sent ? undefined : new Error(`the cancel request's connection to ${key.host}:${key.port} did not open within ${CANCEL_TIMEOUT_MS} ms`)), CANCEL_TIMEOUT_MS)
    }
    const send = () => {
      sent = true
      bound()
      connection.cancel(key.processID, key.secretKey)
    }
    // The server answers a cancel request by closing the connection; a reset then is that too.
    connection.on('error', (error) => finish(sent ? undefined : error))
    connection.once('end', () => finish(sent ? undefined : new Error(`the cancel request's connection to ${key.host}:${key.port} closed before the request was sent`)))
    connection.once('connect', () => {
      if (!key.ssl) send()
      else if (key.sslNegotiation !== 'direct') connection.requestSsl()
    })
    connection.once('sslconnect', send)
    bound()
    if (key.host.startsWith('/')) connection.connect(`${key.host}/.s.PGSQL.${key.port}`)
    else connection.connect(key.port, key.host)
  })
}
