import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Tributary } from '../instance/tributary.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ApiEvent } from './api-types.js'
import { createApp } from './app.js'
import { assertBindable, authFromEnv, type AuthConfig } from './auth.js'
import { EventHub } from './events.js'
import { allowedFromEnv, originPolicy } from './same-origin.js'

/** How to serve. */
export interface ServerOptions {
  /** The current instance; a getter lets `tributary dev` swap in reloaded definitions. */
  readonly instance: () => Tributary
  /** Default: '127.0.0.1'. Any other than loopback needs TRIBUTARY_TOKEN. */
  readonly host?: string
  /** Default: 3000. 0 picks a free port. */
  readonly port?: number
  /** The built UI. Default: `<repo>/ui/dist`. */
  readonly uiDir?: string
  /** Tokens. Default: from TRIBUTARY_TOKEN and TRIBUTARY_READ_TOKEN. */
  readonly auth?: AuthConfig
  /** Default: 15 000 ms. */
  readonly heartbeatMs?: number
  /** How often /api/events reads the event log for events of other processes. Default: 200 ms. */
  readonly eventPollMs?: number
  /** Where internal errors are logged. Default: stderr. */
  readonly log?: (line: string) => void
  /** How far a webhook's signed timestamp may be from the instance's clock. Default: 300 000 ms (5 min). */
  readonly webhookToleranceMs?: number
  /**
   * Host names and origins accepted besides the defaults (on loopback: localhost, 127.0.0.1, ::1
   * and the bound name; the server's own origin). Default: from TRIBUTARY_ALLOWED_HOSTS and
   * TRIBUTARY_ALLOWED_ORIGINS.
   */
  readonly allowed?: { readonly hosts?: readonly string[]; readonly origins?: readonly string[] }
}

/** A listening server. */
export interface RunningServer {
  /** `http://127.0.0.1:3000`, with the port actually bound. */
  readonly url: string
  /** Sends an event to every open /api/events stream (`tributary dev` announces reloads). */
  publish(event: ApiEvent): void
  /** Ends the event streams, then stops listening and closes every connection. */
  close(): Promise<void>
}

/** How long open requests get to finish on close before their connections are cut. */
const CLOSE_GRACE_MS = 2_000

/** Starts the HTTP server. Refuses (TRB6001) a non-loopback host without an operator token. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  const auth = options.auth ?? authFromEnv()
  assertBindable(host, auth)
  const hub = new EventHub()
  const app = createApp({
    instance: options.instance, auth, events: hub,
    ...(options.uiDir ? { uiDir: options.uiDir } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.eventPollMs ? { eventPollMs: options.eventPollMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    origins: originPolicy(host, options.allowed ?? allowedFromEnv()),
    ...(options.webhookToleranceMs ? { webhookToleranceMs: options.webhookToleranceMs } : {}),
  })
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 3000 }, () => resolve(started as Server)) as Server
    started.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, options.port ?? 3000)))
  })
  const address = server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  let closing: Promise<void> | undefined
  return {
    url,
    publish: (event) => hub.publish(event),
    close() {
      closing ??= new Promise<void>((resolve) => {
        hub.close()
        // Keep-alive connections turn idle only once their response (an event stream, say) has ended.
        const sweep = setInterval(() => server.closeIdleConnections(), 20)
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
        server.close(() => {
          clearInterval(sweep)
          clearTimeout(cut)
          resolve()
        })
      })
      return closing
    },
  }
}

// The usual reasons a port cannot be had are the user's to fix, not bugs.
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') return new TributaryError(ErrorCode.Usage, `port ${port} on ${host} is already in use`, { hint: 'Stop what uses it, or pass --port <n> (0 picks a free one).' })
  if (error.code === 'EACCES') return new TributaryError(ErrorCode.Usage, `not allowed to listen on port ${port}`, { hint: 'Ports below 1024 need privileges; pass --port 3000.' })
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return new TributaryError(ErrorCode.Usage, `cannot listen on ${host}: no such address on this machine`, { hint: 'Pass --host 127.0.0.1, or an address of this machine.' })
  return error
}
