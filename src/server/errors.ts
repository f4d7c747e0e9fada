import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { redact as redactSecrets } from '../model/redact.js'
import type { ApiError } from './api-types.js'

/** The one error type routes throw for an HTTP answer other than 200: a status, a stable code, what to do. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }

  /** The JSON body every error response has. */
  toBody(): ApiError {
    return { error: { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) } }
  }
}

/** A bad request: a missing or malformed parameter or body (TRB6001). */
export function badRequest(message: string, hint?: string): HttpError {
  return new HttpError(400, ErrorCode.Usage, message, hint)
}

/** The bare answer to anything unexpected: no message of the error, no stack. */
export const INTERNAL_ERROR: ApiError = { error: { code: 'TRB0000', message: 'internal error' } }

/**
 * The central error handler. Tributary's own user-facing errors (definitions, selections, usage,
 * unknown runs) become 400 or 404 with their code and hint; anything else is logged and answered
 * with a bare 500, since its message may carry paths or connection details.
 */
export function errorHandler(log: (line: string) => void, secrets: readonly string[] = []) {
  // Messages echo the request (a selection, a key): a token pasted there must not come back.
  const redact = (text: string) => redactSecrets(text, secrets)
  return (error: Error, c: Context): Response => {
    const known = toHttpError(error)
    if (known) {
      const { code, message, hint } = known.toBody().error
      return c.json<ApiError>({ error: { code, message: redact(message), ...(hint ? { hint: redact(hint) } : {}) } }, known.status)
    }
    log(redact(`internal error on ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`))
    return c.json(INTERNAL_ERROR, 500)
  }
}

function toHttpError(error: Error): HttpError | undefined {
  if (error instanceof HttpError) return error
  if (!(error instanceof TributaryError)) return undefined
  if (error.code === ErrorCode.RunNotFound) return new HttpError(404, error.code, error.detail, error.hint)
  if (error.code === ErrorCode.RunNotActive) return new HttpError(409, error.code, error.detail, error.hint)
  // TRB1xxx definitions, TRB2xxx selections, TRB6001 usage: the caller can fix the request.
  if (/^TRB[12]\d{3}$/.test(error.code) || error.code === ErrorCode.Usage) return new HttpError(400, error.code, error.detail, error.hint)
  return undefined
}

/** The answer to an /api path no route serves (thrown, so the handler redacts the echoed path). */
export function apiNotFound(c: Context): never {
  throw new HttpError(404, ErrorCode.Usage, `no route ${c.req.method} ${c.req.path}`, 'GET /api/openapi.json lists every route.')
}
