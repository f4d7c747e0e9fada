// GET /api/control-plane: who this server is, so a CLI can tell a live control plane from a stale advertisement.
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import type { ApiControlPlane } from './api-types.js'
import type { AuthEnv } from './auth.js'

/** The identity route, mounted under /api. */
export function controlPlaneRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()
  routes.get('/control-plane', (c) => c.json<ApiControlPlane>({ pid: process.pid, project: instance().project.name, projectDir: instance().projectDir }))
  return routes
}
