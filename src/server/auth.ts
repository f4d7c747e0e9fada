import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { HttpError } from './errors.js'

/** What a caller may do: 'operator' may start and cancel runs, 'read' only reads. */
export type Role = 'operator' | 'read'

/** The tokens the server accepts. With neither set, every request is an operator (loopback only). */
export interface AuthConfig {
  /** Grants the operator role. From TRIBUTARY_TOKEN. */
  readonly operatorToken?: string | undefined
  /** Grants the read role. From TRIBUTARY_READ_TOKEN. */
  readonly readToken?: string | undefined
  /** Grants the operator role: the secret a control plane advertises in `.tributary/control-plane.json` for local CLI commands. */
  readonly localSecret?: string | undefined
}

/** Hono variables the auth middleware sets for the routes. */
export interface AuthEnv {
  Variables: { role: Role }
}

/** Reads the tokens from TRIBUTARY_TOKEN and TRIBUTARY_READ_TOKEN; empty values count as unset. */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  return { operatorToken: env.TRIBUTARY_TOKEN || undefined, readToken: env.TRIBUTARY_READ_TOKEN || undefined }
}

/** True for 127.0.0.1 (any 127/8), ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1'
}

/** Refuses to serve beyond this machine without an operator token (DESIGN.md, security defaults). */
export function assertBindable(host: string, auth: AuthConfig): void {
  if (isLoopback(host) || auth.operatorToken) return
  throw new TributaryError(ErrorCode.Usage, `refusing to listen on ${host} without a token: anyone who can reach it could run and cancel your assets`, {
    hint: 'Set TRIBUTARY_TOKEN (operator) and optionally TRIBUTARY_READ_TOKEN (read-only), or listen on 127.0.0.1.',
  })
}

/**
 * Resolves the caller's role for /api requests. Tokens come in `Authorization: Bearer <token>`
 * or, for EventSource (which cannot set headers), `?token=` on GET /api/events only.
 */
export function authenticate(auth: AuthConfig): MiddlewareHandler<AuthEnv> {
  const required = Boolean(auth.operatorToken || auth.readToken)
  return async (c, next) => {
    if (!required) {
      c.set('role', 'operator')
      return next()
    }
    const header = c.req.header('authorization')
    const bearer = header && /^Bearer\s+(.+)$/i.exec(header.trim())?.[1]
    const query = c.req.path === '/api/events' ? c.req.query('token') : undefined
    const presented = bearer || query
    const role: Role | undefined = !presented ? undefined
      : auth.operatorToken && sameToken(presented, auth.operatorToken) ? 'operator'
      : auth.readToken && sameToken(presented, auth.readToken) ? 'read'
      : auth.localSecret && sameToken(presented, auth.localSecret) ? 'operator'
      : undefined
    if (!role) {
      c.header('WWW-Authenticate', 'Bearer realm="tributary"')
      throw new HttpError(401, ErrorCode.Usage, presented ? 'the token is not valid' : 'this server needs a token',
        'Send `Authorization: Bearer <token>` with TRIBUTARY_TOKEN or TRIBUTARY_READ_TOKEN (for /api/events, `?token=` works too).')
    }
    c.set('role', role)
    return next()
  }
}

/** Lets only operators through: starting and canceling runs change things. */
export const operatorOnly: MiddlewareHandler<AuthEnv> = async (c, next) => {
  if (c.get('role') !== 'operator') {
    throw new HttpError(403, ErrorCode.Usage, 'this token is read-only; starting and canceling runs need the operator token', 'Use TRIBUTARY_TOKEN for operator requests.')
  }
  return next()
}

// Equal-length buffers in constant time; a length mismatch is answered after the same work.
function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(expected)
  if (a.length !== b.length) {
    timingSafeEqual(b, b)
    return false
  }
  return timingSafeEqual(a, b)
}
