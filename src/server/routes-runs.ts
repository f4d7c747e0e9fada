// Runs: list, detail, start (and dry run), cancel.
import { Hono, type Context } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import type { ApiRun, ApiRunCanceled, ApiRunStarted, ApiRunStatus, ApiStartRun } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import { badRequest } from './errors.js'
import type { EventHub } from './events.js'
import { enumParam, intParam, jsonObjectBody, smallBody } from './params.js'
import { acceptRun } from './run-start.js'
import { toRun, toRunDetail } from './to-api.js'

const RUN_STATUSES: readonly ApiRunStatus[] = ['running', 'succeeded', 'failed', 'canceled', 'paused']

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
    const status = enumParam(c, 'status', RUN_STATUSES)
    // A run whose process died is settled first, so it is not listed as running.
    await instance().settleDeadRuns()
    const runs = await instance().store.listRuns({ limit: intParam(c, 'limit', 50, 1000), ...(status ? { status } : {}) })
    return c.json<ApiRun[]>(runs.map(toRun))
  })

  routes.get('/runs/:id', async (c) => c.json(toRunDetail(await instance().run(c.req.param('id')))))

  routes.post('/runs', operatorOnly, smallBody, async (c) => {
    const body = await startRunBody(c)
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

/** Parses and checks the POST /api/runs body; an empty body means "everything". */
async function startRunBody(c: Context): Promise<ApiStartRun> {
  const body = await jsonObjectBody(c, 'Send {"selection": "marts/revenue+", "dryRun": false}.')
  const { selection, dryRun, partition, from, to } = body
  if (selection !== undefined && typeof selection !== 'string') throw badRequest('selection must be a string', 'Selections look like "+marts/revenue" or "tag:finance"; see docs/selection.md.')
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw badRequest('dryRun must be true or false')
  for (const [name, value] of [['partition', partition], ['from', from], ['to', to]] as const) {
    if (value !== undefined && typeof value !== 'string') throw badRequest(`${name} must be a partition key (a string)`, 'Send {"selection": "raw/payments+", "partition": "2026-03-01"} or "from" and "to".')
  }
  return {
    ...(selection !== undefined ? { selection } : {}), ...(dryRun !== undefined ? { dryRun } : {}),
    ...(partition !== undefined ? { partition: partition as string } : {}), ...(from !== undefined ? { from: from as string } : {}), ...(to !== undefined ? { to: to as string } : {}),
  }
}
