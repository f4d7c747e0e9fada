import { Hono } from 'hono'
import { compress } from 'hono/compress'
import { secureHeaders } from 'hono/secure-headers'
import type { Tributary } from '../instance/tributary.js'
import type { ApiHealth } from './api-types.js'
import { authenticate, type AuthConfig, type AuthEnv } from './auth.js'
import { apiNotFound, errorHandler } from './errors.js'
import { EventHub, eventRoutes } from './events.js'
import { createMetrics } from './metrics.js'
import { openApiDocument } from './openapi.js'
import { assetRoutes } from './routes-assets.js'
import { graphRoutes } from './routes-graph.js'
import { changeSafetyRoutes } from './routes-change-safety.js'
import { automationRoutes, sensorRoutes } from './routes-automation.js'
import { backfillRoutes } from './routes-backfills.js'
import { runRoutes } from './routes-runs.js'
import { sameOrigin, type OriginPolicy } from './same-origin.js'
import { controlPlaneRoutes } from './routes-control-plane.js'
import { serveUi } from './static-ui.js'
import { smallBody } from './params.js'
import { validRequest } from './validate.js'
import { VERSION } from '../version.js'

/** The API's version: the package's, read from package.json. */
export const API_VERSION = VERSION

/** What the app is built from. */
export interface AppOptions {
  /** The current instance; a getter so `tributary dev` can swap in reloaded definitions. */
  readonly instance: () => Tributary
  /** Accepted tokens. Default: none, so every caller is an operator (fine on loopback only). */
  readonly auth?: AuthConfig
  /** The built UI. Default: `<repo>/ui/dist`. */
  readonly uiDir?: string
  /** Reload events and the off switch of open event streams. Default: a new hub. */
  readonly events?: EventHub
  /** Default: 15 000 ms. */
  readonly heartbeatMs?: number
  /** How often /api/events reads the event log for events of other processes. Default: 200 ms. */
  readonly eventPollMs?: number
  /** Where internal errors are logged. Default: stderr. */
  readonly log?: (line: string) => void
  /** How far a webhook's signed timestamp may be from the instance's clock. Default: 300 000 ms (5 min). */
  readonly webhookToleranceMs?: number
  /** Accepted Host and Origin headers. Default: any Host, only same-origin Origins (startServer passes the bound host's policy). */
  readonly origins?: OriginPolicy
}

/**
 * The Content-Security-Policy of every response: the UI's own scripts, styles, workers and API
 * only, and no framing (clickjacking). Styles allow 'unsafe-inline' for React's style attributes.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"], workerSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
}

/** Builds the HTTP API and the UI's static files as a Hono app (no listening; see startServer). */
export function createApp(options: AppOptions): Hono<AuthEnv> {
  const { instance } = options
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const app = new Hono<AuthEnv>()
  const auth = options.auth ?? {}
  app.onError(errorHandler(log, [auth.operatorToken, auth.readToken, auth.localSecret].filter((token): token is string => Boolean(token))))

  // First, for every route (the UI's pages included): a foreign Host or Origin gets nowhere.
  app.use('*', sameOrigin(options.origins ?? {}))
  app.use('*', secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, xFrameOptions: 'DENY', referrerPolicy: 'no-referrer', strictTransportSecurity: false }))
  // JSON, the UI's scripts and styles, gzipped for a client that accepts it (the whole lineage of
  // 10,000 assets: about 1.7 MiB of JSON). Never the event stream, whose events must arrive as they happen.
  app.use('*', compress())
  const hub = options.events ?? new EventHub()
  // Before token auth: a webhook sensor authenticates its caller by the HMAC signature of the body.
  app.route('/api', sensorRoutes(instance, { hub, log, ...(options.webhookToleranceMs ? { toleranceMs: options.webhookToleranceMs } : {}) }))
  app.use('/api/*', authenticate(auth))
  // Prometheus's scrape, where it looks by default: the same tokens as the API (a read token will do).
  const metrics = createMetrics(instance)
  app.use('/metrics', authenticate(auth))
  app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }))
  // Every route's query and body against its schema (request-schemas.ts) before the route runs.
  app.use('/api/*', smallBody, validRequest)
  app.get('/api/health', (c) => {
    const current = instance()
    return c.json<ApiHealth>({ ok: true, project: current.project.name, assets: current.graph.nodes.size, role: c.get('role') })
  })
  app.get('/api/openapi.json', (c) => c.json(openApiDocument(API_VERSION)))
  app.route('/api', assetRoutes(instance))
  app.route('/api', graphRoutes(instance))
  app.route('/api', changeSafetyRoutes(instance))
  app.route('/api', runRoutes(instance, { hub, log }))
  app.route('/api', backfillRoutes(instance, { hub, log }))
  app.route('/api', automationRoutes(instance))
  app.route('/api', eventRoutes(instance, { hub, log, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}), ...(options.eventPollMs ? { pollMs: options.eventPollMs } : {}) }))
  app.route('/api', controlPlaneRoutes(instance))
  app.all('/api/*', apiNotFound)
  app.all('/api', apiNotFound)

  serveUi(app, options.uiDir)
  return app
}
