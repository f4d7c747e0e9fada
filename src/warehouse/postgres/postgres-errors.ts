import { ErrorCode, TributaryError } from '../../model/errors.js'
import { redactUrl } from '../../model/redact.js'

// SQLSTATE classes that fail the same way on every attempt (syntax, undefined objects, bad data,
// constraint violations, privileges); others (connection loss, serialization, lock timeouts) may pass.
const DETERMINISTIC_CLASSES = new Set(['22', '23', '28', '2B', '3D', '3F', '42', '44'])
// Connection-level failures: the server is down, restarting or refusing us.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'])

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Whether the error is a lost or refused connection rather than a failed statement. */
export function isUnreachable(error: unknown): boolean {
  const code = codeOf(error)
  return (code !== undefined && UNREACHABLE.has(code)) || /Connection terminated|connection timeout/i.test(String((error as Error)?.message))
}

/** TRB5020: the warehouse server cannot be reached; retryable, the URL shown without its secrets. */
export function unreachableError(url: string, error: unknown): TributaryError {
  const message = error instanceof Error ? error.message : String(error)
  return new TributaryError(ErrorCode.WarehouseUnreachable, `cannot reach the PostgreSQL warehouse at ${redactUrl(url)}: ${message}`, {
    cause: error,
    retryable: true,
    hint: 'Check that PostgreSQL is running and the warehouse URL (from the environment) names the right host, port, database and user.',
  })
}

/** Wraps a failed statement as TRB5002 keeping PostgreSQL's message and SQLSTATE; TRB5020 for a lost connection. */
export function queryError(error: unknown, url: string): TributaryError {
  if (error instanceof TributaryError) return error
  if (isUnreachable(error)) return unreachableError(url, error)
  const message = error instanceof Error ? error.message : String(error)
  const code = codeOf(error)
  const retryable = code === undefined || !DETERMINISTIC_CLASSES.has(code.slice(0, 2))
  return new TributaryError(ErrorCode.WarehouseQuery, `PostgreSQL query failed: ${message}${code === undefined ? '' : ` (SQLSTATE ${code})`}`, {
    cause: error,
    retryable,
    hint: retryable
      ? 'This may be temporary (a conflicting transaction, a timeout or a restart); running the step again may succeed.'
      : 'Fix the SQL or the relations it reads; running it again unchanged will fail the same way.',
  })
}
