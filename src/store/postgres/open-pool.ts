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
 * `url` with `settings` added to its `options` parameter (`-c name=value`, after any it has), so
 * every connection opened from it starts with them; its other parameters are kept.
 */
export function withSessionSettings(url: string, settings: Readonly<Record<string, string>>): string {
  const parsed = new URL(url)
  const given = parsed.searchParams.get('options')
  const added = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)
  parsed.searchParams.set('options', [...(given ? [given] : []), ...added].join(' '))
  return parsed.toString()
}

/**
 * The store's statements are prepared once per connection and look rows up by key. PostgreSQL
 * would plan the fleet's (one statement per claim, enqueue and completion, each many CTEs) again
 * on every run, since a plan for the given values looks cheaper than the generic one; planning
 * them costs more than running them. Generic plans are made once per connection.
 */
export const STORE_SESSION_SETTINGS: Readonly<Record<string, string>> = { plan_cache_mode: 'force_generic_plan' }

/**
 * A pool on the configured database: `poolSize` connections, `statementTimeoutMs` per statement,
 * generic plans (STORE_SESSION_SETTINGS).
 * `pipeline`: a statement goes out while those before it on the connection are still answered,
 * so a transaction's independent statements cost one round trip. Default: false.
 */
export function openPool(config: PostgresStoreConfig, options: { pipeline?: boolean } = {}): Pool {
  const pool = new pg.Pool({
    connectionString: withSessionSettings(config.url, STORE_SESSION_SETTINGS),
    ...(options.pipeline ? { pipeline: true } : {}),
    max: config.poolSize,
    statement_timeout: config.statementTimeoutMs,
    connectionTimeoutMillis: 10_000,
    types,
  })
  // An idle connection the server drops (a restart, a failover) must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  return pool
}

/**
 * Tells a connection failure apart from a failing statement: the first becomes TRB4020 naming
 * the database by its redacted URL; anything else passes through with URLs redacted from its message.
 */
export function asStoreError(error: unknown, url: string): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? redact(error.message, [url]) : String(error)
  if (typeof code === 'string' ? CONNECTION_CODES.has(code) || code.startsWith('08') || code === '3D000' || code.startsWith('28') : /connection timeout|timeout expired/i.test(message)) {
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
