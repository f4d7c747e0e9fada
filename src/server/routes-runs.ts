// Runs: list, detail, start (and dry run), cancel.
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ErrorCode } from '../model/errors.js'
import type { Tributary } from '../instance/tributary.js'
import type { ApiRun, ApiRunCanceled, ApiRunStarted, ApiRunStatus, ApiStartRun } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import { badRequest, HttpError } from './errors.js'
import type { EventHub } from './events.js'
import { enumParam, intParam, jsonObjectBody } from './params.js'
import { toRun, toRunDetail } from './to-api.js'

const RUN_STATUSES: readonly ApiRunStatus[] = ['running', 'succeeded', 'failed', 'canceled']
/** Bodies are a selection and a flag; anything bigger is not a request this API understands. */
const MAX_BODY_BYTES = 64 * 1024

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
    const runs = await instance().store.listRuns({ limit: intParam(c, 'limit', 50, 1000), ...(status ? { status } : {}) })
    return c.json<ApiRun[]>(runs.map(toRun))
  })

  routes.get('/runs/:id', async (c) => c.json(toRunDetail(await instance().run(c.req.param('id')))))

  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HttpError(413, ErrorCode.Usage, `the body is larger than ${MAX_BODY_BYTES} bytes`) } })
  routes.post('/runs', operatorOnly, limit, async (c) => {
    const body = await startRunBody(c)
    const current = instance()
    if (body.dryRun) {
      return c.json<ApiRunStarted>({ runId: null, steps: current.plan(body.selection).steps.map((step) => step.key) }, 200)
    }
    const started = current.start(body.selection, { trigger: 'api' })
    // A run that ends, even failed, resolves; a rejection means it never got going, and whoever
    // holds its id (the caller, the UI) would otherwise wait for a run_finished that never comes.
    started.done.catch((error: unknown) => {
      options.log(`run ${started.runId} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      options.hub.publish({ type: 'run_finished', runId: started.runId, status: 'failed' })
    })
    return c.json<ApiRunStarted>({ runId: started.runId, steps: started.steps }, 202)
  })

  routes.post('/runs/:id/cancel', operatorOnly, (c) => {
    const runId = c.req.param('id')
    if (!instance().cancel(runId)) {
      throw new HttpError(404, ErrorCode.RunNotFound, `no active run ${runId} in this server`, 'Only runs this server started and that are still running can be canceled; GET /api/runs?status=running lists them.')
    }
    return c.json<ApiRunCanceled>({ runId, canceling: true }, 202)
  })

  return routes
}

/** Parses and checks the POST /api/runs body; an empty body means "everything". */
async function startRunBody(c: Context): Promise<ApiStartRun> {
  const body = await jsonObjectBody(c, 'Send {"selection": "marts/revenue+", "dryRun": false}.')
  const { selection, dryRun } = body
  if (selection !== undefined && typeof selection !== 'string') throw badRequest('selection must be a string', 'Selections look like "+marts/revenue" or "tag:finance"; see docs/selection.md.')
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw badRequest('dryRun must be true or false')
  return { ...(selection !== undefined ? { selection } : {}), ...(dryRun !== undefined ? { dryRun } : {}) }
}
