// Runs: list, detail, start (and dry run), cancel.
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import type { ApiRun, ApiRunCanceled, ApiRunStarted } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import type { EventHub } from './events.js'
import { smallBody } from './params.js'
import { acceptRun } from './run-start.js'
import { bodyOf, queryOf } from './validate.js'
import { toRun, toRunDetail } from './to-api.js'


/** What the run routes report to besides the caller. */
export interface RunRouteOptions {
  /** Where a run that could not even start (store or warehouse unavailable) is announced as failed. */
  readonly hub: EventHub
  readonly log: (line: string) => void
}

/** Routes of runs, mounted under /api. Starting and canceling need the operator role. */
export function runRoutes(instance: () => Tributary, options: RunRouteOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/runs', async (c) => {
    const { status, limit } = queryOf(c, 'GET /api/runs')
    // A run whose process died is settled first, so it is not listed as running.
    await instance().settleDeadRuns()
    const runs = await instance().store.listRuns({ limit, ...(status ? { status } : {}) })
    return c.json<ApiRun[]>(runs.map(toRun))
  })

  routes.get('/runs/:id', async (c) => c.json(toRunDetail(await instance().run(c.req.param('id')))))

  routes.post('/runs', operatorOnly, smallBody, async (c) => {
    const body = bodyOf(c, 'POST /api/runs')
    const current = instance()
    if (body.dryRun) {
      return c.json<ApiRunStarted>({ runId: null, steps: current.plan(body.selection).steps.map((step) => step.key) }, 200)
    }
    const { selection, dryRun: _dryRun, ...partitions } = body
    const started = await acceptRun(current, (onProgress) => current.start(selection, { trigger: 'api', ...partitions, onProgress }), { selection: selection ?? '', trigger: 'api' }, options)
    return c.json<ApiRunStarted>({ runId: started.runId, steps: started.steps }, 202)
  })

  // Runs of other processes (a CLI backfill) are canceled too, at their next heartbeat.
  routes.post('/runs/:id/cancel', operatorOnly, async (c) => {
    const run = await instance().cancel(c.req.param('id'))
    return c.json<ApiRunCanceled>({ runId: run.id, canceling: true }, 202)
  })

  return routes
}
