import pg from 'pg'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { redact, redactUrl } from '../../model/redact.js'
import type { PostgresStoreConfig } from '../store-config.js'

/** The slice of pg's pool and client the stores use, so the stores read like their SQLite twins. */
export type Pool = pg.Pool
export type Client = pg.PoolClient

// bigint (int8) columns hold epoch milliseconds, ids and counts, all far below 2^53: read them
// as numbers. Per pool, never pg's global parser table, which the user's own pg code may use.
const INT8_OID = 20
const NUMERIC_OID = 1700
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID || oid === NUMERIC_OID ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
}

/**
 * `url` with `settings` given to every connection opened from it (`-c name=value` in its `options`
 * parameter), before the options it has, so a setting the URL names itself wins; its other parts
 * are kept as written. Only the query string is parsed: a URL naming a socket directory
 * (`postgresql://user@/db?host=/run/postgresql`), which pg accepts and `new URL` does not, works too.
 */
export function withSessionSettings(url: string, settings: Readonly<Record<string, string>>): string {
  const at = url.indexOf('?')
  const query = new URLSearchParams(at < 0 ? '' : url.slice(at + 1))
  const given = query.get('options')
  const added = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)
  query.set('options', [...added, ...(given ? [given] : [])].join(' '))
  return `${at < 0 ? url : url.slice(0, at)}?${query.toString()}`
}

/**
 * Plans made once per connection, not on every run: `SET LOCAL` in the fleet's enqueue (see
 * PostgresStepQueue.enqueueStep), and the setting of the queue's own connections (graphile-worker's
 * fetch). PostgreSQL plans a prepared statement again on every run while a plan for the given values
 * looks cheaper than the generic one, and the enqueue (one statement of many parts, graphile-worker's
 * add_jobs among them) cost more to plan than to run. And every statement of a fleet worker's store
 * (see PostgresStore.open), whose claims and completions are as costly to plan. Not a control plane's
 * other statements: some read with optional filters (`@x IS NULL OR col = @x`), where only a plan
 * for the given values uses the index.
 */
export const GENERIC_PLANS: Readonly<Record<string, string>> = { plan_cache_mode: 'force_generic_plan' }

/**
 * A pool on the configured database: `poolSize` connections, `statementTimeoutMs` per statement.
 * `pipeline`: a statement goes out while those before it on the connection are still answered,
 * so a transaction's independent statements cost one round trip. Default: false.
 */
export function openPool(config: PostgresStoreConfig, options: { pipeline?: boolean } = {}): Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    ...(options.pipeline ? { pipeline: true } : {}),
    max: config.poolSize,
    statement_timeout: config.statementTimeoutMs,
    connectionTimeoutMillis: 10_000,
    // A connection whose peer went silent (a failover, a cut network) is found by TCP keepalives, not after the kernel's 15 minutes.
    keepAlive: true,
    types,
  })
  // An idle connection the server drops (a restart, a failover) must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  // Nor one in use: pg also emits the end of a connection lost under a statement, which its
  // statements hear as their own failures, on the client, where pg-pool listens only while idle.
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

/**
 * Tells a connection failure apart from a failing statement: the first becomes TRB4020 naming
 * the database by its redacted URL; anything else passes through with URLs redacted from its message.
 */
export function asStoreError(error: unknown, url: string): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? redact(error.message, [url]) : String(error)
  if (typeof code === 'string' ? unreachable(code, message) : /connection timeout|timeout expired/i.test(message) || CONNECTION_ENDED.test(message)) {
    return new TributaryError(ErrorCode.StoreUnreachable, `the PostgreSQL store ${redactUrl(url)} cannot be reached: ${message}`, {
      hint: 'Check that PostgreSQL runs, that the database exists and that the URL (from the environment) names it; `pg_isready -h HOST` tells whether the server answers.',
      context: { file: redactUrl(url) },
      cause: error,
    })
  }
  if (error instanceof Error && message !== error.message) error.message = message
  return error
}

// Node's socket errors (server down, wrong host) and pg's own connect timeout.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EAI_AGAIN'])

// The server's codes for a database out of reach: connection exceptions (08…), no such database
// (3D000), a login refused (28…), the server shutting down or starting up, or the database dropped
// under the session (57P…), and a database closed to connections (ALLOW_CONNECTIONS false).
function unreachable(code: string, message: string): boolean {
  return CONNECTION_CODES.has(code) || code.startsWith('08') || code === '3D000' || code.startsWith('28') || code.startsWith('57P')
    || (code === '55000' && /not currently accepting connections/.test(message))
}

// pg's own errors for a connection that ended under a query (no code): a proxy restarted, a backend killed.
const CONNECTION_ENDED = /Connection terminated|not queryable|connection error/i

/** Runs `fn` in one transaction on one connection, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: Client) => Promise<T>, lockKey?: number): Promise<T> {
  const client = await pool.connect()
  try {
    // One round trip for both: on a loaded machine each one costs more than the statements.
    await client.query(lockKey === undefined ? 'BEGIN' : `BEGIN; SELECT pg_advisory_xact_lock(${Math.trunc(lockKey)})`)
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
