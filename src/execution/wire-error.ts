import { TributaryError, type ErrorCodeValue, type ErrorContext } from '../model/errors.js'

/** An error as it crosses the process boundary: plain data that keeps Tributary's code, hint and retry intent. */
export interface WireError {
  readonly name: string
  readonly message: string
  readonly stack?: string | undefined
  /** Set for TributaryErrors (TRBnnnn). */
  readonly code?: string | undefined
  readonly hint?: string | undefined
  readonly retryable?: boolean | undefined
  readonly context?: ErrorContext | undefined
  readonly cause?: WireError | undefined
}

/** Turns anything thrown into a WireError. */
export function toWire(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const tributary = error as Partial<TributaryError>
  const code = typeof tributary.code === 'string' && /^TRB\d{4}$/.test(tributary.code) ? tributary.code : undefined
  return {
    name: error.name, message: error.message, stack: error.stack,
    ...(code ? { code, hint: tributary.hint, retryable: tributary.retryable === true, context: { ...tributary.context } } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: toWire(error.cause, depth + 1) } : {}),
  }
}

/** Rebuilds a thrown error from a WireError: a TributaryError when it had a code, else an Error. */
export function fromWire(wire: WireError): Error {
  const cause = wire.cause ? fromWire(wire.cause) : undefined
  let error: Error
  if (wire.code) {
    const detail = wire.message.startsWith(`${wire.code}: `) ? wire.message.slice(wire.code.length + 2) : wire.message
    error = new TributaryError(wire.code as ErrorCodeValue, detail, { hint: wire.hint, context: wire.context, retryable: wire.retryable === true, cause })
    Object.defineProperty(error, 'name', { value: wire.name })
  } else {
    error = new Error(wire.message, cause === undefined ? undefined : { cause })
    error.name = wire.name
  }
  if (wire.stack) error.stack = wire.stack
  return error
}
