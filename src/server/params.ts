import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ErrorCode } from '../model/errors.js'
import type { Tributary } from '../instance/tributary.js'
import { closest } from '../model/similar.js'
import { badRequest, HttpError } from './errors.js'

/** A query parameter that must be one of `allowed` (undefined when absent). Prefer queryOf: the route's schema checks it already. */
export function enumParam<T extends string>(c: Context, name: string, allowed: readonly T[]): T | undefined {
  const text = c.req.query(name)
  if (text === undefined || text === '') return undefined
  if (!(allowed as readonly string[]).includes(text)) throw badRequest(`${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(text)}`)
  return text as T
}

/** A query parameter that must be present. */
export function requiredParam(c: Context, name: string): string {
  const text = c.req.query(name)
  if (!text) throw badRequest(`the ${name} parameter is required`, `Add ?${name}=… to the URL.`)
  return text
}

/** Checks that `key` is an asset or source of the project; 404 TRB2003 otherwise. */
export function knownKey(instance: Tributary, key: string): string {
  if (instance.graph.has(key)) return key
  const guess = closest(key, instance.graph.nodes.keys())
  throw new HttpError(404, ErrorCode.UnknownAsset, `${key} is not an asset of this project`, guess ? `Did you mean ${guess}?` : 'GET /api/assets lists the keys.')
}

/** The request body as a JSON object; an empty body is `{}`. Invalid JSON or a non-object is a 400 with `hint`. */
export async function jsonObjectBody(c: Context, hint?: string): Promise<Record<string, unknown>> {
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('the body is not valid JSON', hint)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object', hint)
  return body as Record<string, unknown>
}

/** Request bodies of this API are small JSON objects; anything bigger is not a request it understands. */
const MAX_BODY_BYTES = 64 * 1024

/** Middleware answering 413 (TRB6001) to a body larger than 64 KiB. */
export const smallBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HttpError(413, ErrorCode.Usage, `the body is larger than ${MAX_BODY_BYTES} bytes`) } })
