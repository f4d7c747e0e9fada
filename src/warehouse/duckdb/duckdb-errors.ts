import { ErrorCode, TributaryError } from '../../model/errors.js'

// DuckDB prefixes every message with its error kind ("Binder Error: ..."). These kinds fail
// the same way on every attempt, so retrying them only wastes time.
const DETERMINISTIC = /^(Parser|Binder|Catalog|Conversion|Constraint|Invalid Input|Invalid Type|Not implemented|Out of Range|Type Mismatch|Dependency|Syntax|Permission|Sequence) Error/i
const LOCKED = /could not set lock|conflicting lock/i
const CONFLICT = /write-write conflict|transaction conflict/i

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Whether a DuckDB error is another transaction touching the same catalog entry or rows. */
export function isConflict(error: unknown): boolean {
  return CONFLICT.test(messageOf(error instanceof TributaryError && error.cause !== undefined ? error.cause : error))
}

/** Wraps a failed statement as TRB5002, keeping DuckDB's message (with its LINE pointer) and the cause. */
export function queryError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error
  const message = messageOf(error)
  const retryable = !DETERMINISTIC.test(message)
  return new TributaryError(ErrorCode.WarehouseQuery, `DuckDB query failed: ${message}`, {
    cause: error,
    retryable,
    hint: retryable
      ? 'This may be temporary (a conflicting transaction or an I/O problem); running the step again may succeed.'
      : 'Fix the SQL or the relations it reads; running it again unchanged will fail the same way.',
  })
}

/** Turns a failure to open the warehouse file into TRB5001 (locked by another process) or TRB5002. */
export function openError(file: string, error: unknown): TributaryError {
  const message = messageOf(error)
  if (LOCKED.test(message)) {
    const pid = message.match(/PID (\d+)/)?.[1]
    const holder = pid === undefined ? 'Another Tributary process' : `Another Tributary process (PID ${pid})`
    return lockedError(file, `${holder} is using the warehouse; wait for it to finish or stop it, then try again.`, error)
  }
  return new TributaryError(ErrorCode.WarehouseQuery, `could not open the DuckDB warehouse ${file}: ${message}`, {
    cause: error,
    context: { file },
    hint: 'Check that the path is a DuckDB database file you can read and write.',
  })
}

/** TRB5001: the warehouse file is held by someone else; `hint` says who and what to do. */
export function lockedError(file: string, hint: string, cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.WarehouseLocked, `the DuckDB warehouse ${file} is locked`, { cause, context: { file }, retryable: true, hint })
}
