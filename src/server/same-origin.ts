// Refuses cross-site requests (CSRF) and requests for a foreign Host (DNS rebinding), even on
// loopback without a token: a web page the user visits can reach 127.0.0.1, but only with its own
// Origin, or through a name of its own that resolves to 127.0.0.1 and arrives with that Host.
import type { MiddlewareHandler } from 'hono'
import { ErrorCode } from '../model/errors.js'
import { isLoopback } from './auth.js'
import { HttpError } from './errors.js'

/** Which Host and Origin headers the server answers. */
export interface OriginPolicy {
  /** Host names (no port) accepted in `Host`; undefined accepts any (a token then guards the server). */
  readonly hosts?: readonly string[] | undefined
  /** Origins (`http://localhost:5173`) accepted besides the server's own. Default: none. */
  readonly origins?: readonly string[] | undefined
}

/**
 * The policy of a server bound to `boundHost`: on loopback, Host must be localhost, 127.0.0.1,
 * ::1 or the bound name, plus `extraHosts`; elsewhere only `extraHosts` when given, else any.
 */
export function originPolicy(boundHost: string, extra: { hosts?: readonly string[]; origins?: readonly string[] } = {}): OriginPolicy {
  const extraHosts = (extra.hosts ?? []).map(hostName)
  const hosts = isLoopback(boundHost) ? ['localhost', '127.0.0.1', '::1', hostName(boundHost), ...extraHosts]
    : extraHosts.length > 0 ? [hostName(boundHost), ...extraHosts] : undefined
  return { hosts: hosts ? [...new Set(hosts)] : undefined, origins: (extra.origins ?? []).map((origin) => origin.replace(/\/+$/, '').toLowerCase()) }
}

/** Reads extra hosts and origins from TRIBUTARY_ALLOWED_HOSTS and TRIBUTARY_ALLOWED_ORIGINS (comma-separated). */
export function allowedFromEnv(env: NodeJS.ProcessEnv = process.env): { hosts: string[]; origins: string[] } {
  const list = (text: string | undefined) => (text ?? '').split(',').map((item) => item.trim()).filter(Boolean)
  return { hosts: list(env.TRIBUTARY_ALLOWED_HOSTS), origins: list(env.TRIBUTARY_ALLOWED_ORIGINS) }
}

/**
 * Middleware for every route: 403 TRB6021 for a Host outside the policy, 403 TRB6020 for an
 * Origin other than the server's own (scheme and Host of the request) or an allowed one. A
 * request without Origin (curl, the CLI, a webhook sender) passes the Origin check: browsers
 * send Origin on every cross-origin request that can change state.
 */
export function sameOrigin(policy: OriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host
    if (policy.hosts && !policy.hosts.includes(hostName(host))) {
      throw new HttpError(403, ErrorCode.ForeignHost, `this server does not answer for the host ${JSON.stringify(host)}`,
        `Open it as http://localhost or http://127.0.0.1; to serve another name, list it in TRIBUTARY_ALLOWED_HOSTS (comma-separated).`)
    }
    const origin = c.req.header('origin')
    if (origin !== undefined && !sameAs(origin, host) && !(policy.origins ?? []).includes(origin.toLowerCase())) {
      throw new HttpError(403, ErrorCode.ForeignOrigin, `requests from the page ${JSON.stringify(origin)} are refused: only this server's own pages may call it`,
        'Use the UI this server serves; to allow another origin (a UI dev server), list it in TRIBUTARY_ALLOWED_ORIGINS.')
    }
    return next()
  }
}

// `Origin: null` (sandboxed frames, file: pages) is never the server's own.
function sameAs(origin: string, host: string): boolean {
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host.toLowerCase()
  } catch {
    return false
  }
}

/** `Localhost:3000` → `localhost`; `[::1]:3000` → `::1`. */
function hostName(host: string): string {
  const bare = host.trim().toLowerCase()
  const bracketed = /^\[([^\]]*)\]/.exec(bare)
  if (bracketed) return bracketed[1]!
  // One colon means host:port; more means a bare IPv6 address.
  return bare.split(':').length === 2 ? bare.split(':')[0]! : bare
}
