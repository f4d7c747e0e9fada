import { ErrorCode, TributaryError } from '../model/errors.js'
import { redactUrl } from '../model/redact.js'

/**
 * A warehouse inside a PostgreSQL database, as `postgres({ url, schema })` makes it (its pool
 * size applies, its statement timeout does not: transforms may run long, bounded by the step's timeout).
 */
export interface PostgresWarehouseConfig {
  readonly type: 'postgres'
  /** `postgres://user@host:5432/db`; read it from the environment, never write it in the config. */
  readonly url: string
  /** Schema of Tributary's publication ledger. Default: '_tributary'. */
  readonly schema?: string
  /** Connections each process keeps open. Default: 10. */
  readonly poolSize?: number
}

/**
 * The older spelling of `postgres({ url, schema, poolSize })` for the warehouse: `url`
 * (required), `schema` for the ledger (Default: '_tributary'), `poolSize` (Default: 10). Throws
 * TRB5022 on a bad option, the URL shown without secrets.
 * @deprecated Use `postgres()`, the same factory as the store's.
 */
export function postgresWarehouse(options: { url: string | undefined; schema?: string; poolSize?: number }): PostgresWarehouseConfig {
  const url = options?.url
  if (typeof url !== 'string' || !/^postgres(?:ql)?:\/\/./.test(url)) {
    const shown = typeof url === 'string' ? ` (got ${JSON.stringify(redactUrl(url))})` : ' (got nothing: is the environment variable set?)'
    throw invalid(`the PostgreSQL warehouse needs a url of the form postgres://user@host:5432/database${shown}`,
      'Pass it from the environment: postgres({ url: process.env.TRIBUTARY_WAREHOUSE_URL }).')
  }
  const schema = options.schema ?? '_tributary'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw invalid(`the PostgreSQL warehouse schema must be a plain name of at most 63 letters, digits and underscores (got ${JSON.stringify(schema)})`, "Leave it out for '_tributary'.")
  }
  const poolSize = options.poolSize ?? 10
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw invalid(`the PostgreSQL warehouse poolSize must be a whole number from 1 to 1000 (got ${String(options.poolSize)})`, 'Leave it out for 10 connections per process.')
  }
  return Object.freeze({ type: 'postgres' as const, url, schema, poolSize })
}

function invalid(message: string, hint: string): TributaryError {
  return new TributaryError(ErrorCode.InvalidWarehouse, message, { hint })
}
