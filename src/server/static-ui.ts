// Serves the built web UI (ui/dist) at /, with the single-page app's fallback to index.html.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import type { Hono, MiddlewareHandler } from 'hono'
import type { AuthEnv } from './auth.js'

/** Where `npm run build:ui` writes the UI: `<repo>/ui/dist`, found relative to this module. */
export const DEFAULT_UI_DIR = resolve(import.meta.dirname, '..', '..', 'ui', 'dist')

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tributary</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Tributary</h1>
<p>The web UI is not built yet. Run <code>npm run build:ui</code>, then reload this page.</p>
<p>The HTTP API works already: <a href="/api/health">/api/health</a>, <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body>
</html>
`

/**
 * Adds the UI routes to `app`; call after the /api routes. Any GET outside /api that is not a
 * file gets index.html, so the UI's own routes (/assets/marts/revenue) survive a reload.
 */
export function serveUi(app: Hono<AuthEnv>, uiDir: string = DEFAULT_UI_DIR): void {
  const isApi = (path: string) => path === '/api' || path.startsWith('/api/')
  // Made on first use: serveStatic complains at once about a directory that does not exist yet.
  let handlers: { files: MiddlewareHandler<AuthEnv>; index: MiddlewareHandler<AuthEnv> } | undefined
  app.get('*', async (c, next) => {
    if (isApi(c.req.path)) return next()
    // Checked per request: the UI may be built while the server runs (`tributary dev`).
    if (!existsSync(join(uiDir, 'index.html'))) return c.html(NOT_BUILT)
    handlers ??= { files: serveStatic<AuthEnv>({ root: uiDir }), index: serveStatic<AuthEnv>({ root: uiDir, path: 'index.html' }) }
    return next()
  })
  app.get('*', async (c, next) => (isApi(c.req.path) || !handlers ? next() : handlers.files(c, next)))
  app.get('*', async (c, next) => (isApi(c.req.path) || !handlers ? next() : handlers.index(c, next)))
}
