import type { Duration } from '../model/duration.js'
import { tryParseDuration } from '../model/duration.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { redactUrl } from '../model/redact.js'
import { unknownOption } from '../model/unknown-fields.js'

/** Where the metadata store lives: chosen in the project config by `sqlite()` or `postgres({ url })`. */
export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig

/** The embedded store: `metadata.sqlite` in the project's state directory. */
export interface SqliteStoreConfig {
  readonly type: 'sqlite'
}

/** A PostgreSQL database shared by every process and machine of the project (what postgres() returns). */
export interface PostgresStoreConfig {
  readonly type: 'postgres'
  /** `postgres://user@host:5432/db`; read it from the environment, never write it in the config. */
  readonly url: string
  /** Connections each process keeps open. Default: 10. */
  readonly poolSize: number
  /** Longest any one statement of the store may run before PostgreSQL cancels it, in ms (the warehouse ignores it). Default: 30,000 (30 s). */
  readonly statementTimeoutMs: number
  /**
   * How long a control plane tries a statement again while the store is out of reach (a restart, a
   * failover), where that is safe (see RideOut), in ms; 0: never. Fleet workers ride out outages by
   * queue({ giveUp }) instead. Default: 30,000 (30 s).
   */
  readonly retryForMs?: number
  /** The warehouse's ledger schema; only a warehouse's postgres() may set it. Default: '_tributary'. */
  readonly schema?: string
}

/** The embedded SQLite store (the default). */
export function sqlite(): SqliteStoreConfig {
  return Object.freeze({ type: 'sqlite' as const })
}

/** How long a control plane rides out a store outage unless `postgres({ retryFor })` says otherwise: 30 s. */
export const DEFAULT_RETRY_FOR_MS = 30_000

type PostgresOptions = { url: string | undefined; poolSize?: number; statementTimeout?: Duration; retryFor?: Duration; schema?: string }
const POSTGRES_OPTIONS = { url: true, poolSize: true, statementTimeout: true, retryFor: true, schema: true } as const satisfies Record<keyof PostgresOptions, true>

/**
 * A PostgreSQL database, for the store (`store: postgres({ url })`) or the warehouse
 * (`warehouse: postgres({ url, schema })`), or both. `poolSize`: connections per process
 * (Default: 10); `statementTimeout`: the store's limit per statement, a duration such as '30s'
 * or milliseconds (Default: '30s'; a warehouse's transforms are bounded by their step's timeout
 * instead); `retryFor`: how long a control plane tries a statement again while the store is out of
 * reach, where that is safe (Default: '30s'; '0s': never); `schema`: the warehouse's ledger schema (Default: '_tributary'; a store refuses it,
 * TRB1060). Throws TRB1050 on a bad option; the URL never appears in the error unredacted.
 */
export function postgres(options: PostgresOptions): PostgresStoreConfig {
  const unknown = unknownOption('postgres', options, POSTGRES_OPTIONS)
  if (unknown) throw invalid(unknown.message, unknown.hint)
  const url = options?.url
  if (typeof url !== 'string' || !/^postgres(?:ql)?:\/\/./.test(url)) {
    const shown = typeof url === 'string' ? ` (got ${JSON.stringify(redactUrl(url))})` : url === undefined ? ' (got nothing: is the environment variable set?)' : ''
    throw invalid(`postgres() needs a url of the form postgres://user@host:5432/database${shown}`,
      'Pass it from the environment: postgres({ url: process.env.TRIBUTARY_DATABASE_URL }).')
  }
  const poolSize = options.poolSize ?? 10
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw invalid(`postgres() poolSize must be a whole number from 1 to 1000 (got ${String(options.poolSize)})`, 'Leave it out for 10 connections per process.')
  }
  const statementTimeoutMs = options.statementTimeout === undefined ? 30_000 : tryParseDuration(options.statementTimeout)
  if (statementTimeoutMs === undefined || statementTimeoutMs <= 0) {
    throw invalid(`postgres() statementTimeout must be a positive duration such as '30s' (got ${JSON.stringify(options.statementTimeout)})`, "Leave it out for '30s'.")
  }
  const retryForMs = options.retryFor === undefined ? DEFAULT_RETRY_FOR_MS : tryParseDuration(options.retryFor)
  if (retryForMs === undefined || retryForMs < 0) {
    throw invalid(`postgres() retryFor must be a duration such as '30s', or '0s' for never (got ${JSON.stringify(options.retryFor)})`, "Leave it out for '30s'.")
  }
  const schema = options.schema
  if (schema !== undefined && (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))) {
    throw invalid(`postgres() schema must be a plain name of at most 63 letters, digits and underscores (got ${JSON.stringify(schema)})`, "Leave it out for '_tributary'.")
  }
  return Object.freeze({ type: 'postgres' as const, url, poolSize, statementTimeoutMs, retryForMs, ...(schema === undefined ? {} : { schema }) })
}

function invalid(message: string, hint: string): TributaryError {
  return new TributaryError(ErrorCode.InvalidStore, message, { hint })
}
