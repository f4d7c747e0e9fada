// GET /api/control-plane: who this server is, so a CLI can tell a live control plane from a stale advertisement;
// GET /api/workers: the worker fleet (executor: queue()).
import { Hono } from 'hono'
import { fleetVersion } from '../execution/queue/step-queue-of.js'
import type { Tributary } from '../instance/tributary.js'
import type { ApiControlPlane, ApiWorkers } from './api-types.js'
import type { AuthEnv } from './auth.js'

/** The identity route, mounted under /api. */
export function controlPlaneRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()
  routes.get('/control-plane', (c) => c.json<ApiControlPlane>({ pid: process.pid, project: instance().project.name, projectDir: instance().projectDir }))
  // The fleet is read from the store, so any replica answers the same.
  routes.get('/workers', async (c) => {
    const current = instance()
    const workers = await current.workers()
    return c.json<ApiWorkers>({
      queue: current.project.executor?.type === 'queue',
      version: fleetVersion(current.graph),
      workers: workers.map((w) => ({
        ...w, startedAt: w.startedAt.toISOString(), heartbeatAt: w.heartbeatAt.toISOString(), stoppedAt: w.stoppedAt?.toISOString() ?? null,
        currentSteps: w.currentSteps.map((s) => ({ ...s, since: s.since.toISOString() })),
      })),
    })
  })
  return routes
}
