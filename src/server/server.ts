import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Tributary } from '../instance/tributary.js'
import type { ApiEvent } from './api-types.js'
import { createApp } from './app.js'
import { assertBindable, authFromEnv, type AuthConfig } from './auth.js'
import { EventHub } from './events.js'

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
  /** Where internal errors are logged. Default: stderr. */
  readonly log?: (line: string) => void
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
    ...(options.log ? { log: options.log } : {}),
  })
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 3000 }, () => resolve(started as Server)) as Server
    started.once('error', reject)
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
