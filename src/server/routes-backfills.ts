// Backfills: plan (dry run), start, list with progress, pause, resume, cancel.
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import { BACKFILL_TRIGGER, type BackfillPlan } from '../engine/backfill.js'
import type { ApiBackfill, ApiBackfillStarted, ApiRun } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import type { RunRouteOptions } from './routes-runs.js'
import { smallBody } from './params.js'
import { recordGate, untilRecorded } from './run-start.js'
import { bodyOf, queryOf } from './validate.js'
import { toBackfill, toRun } from './to-api.js'


/** Routes of backfills, mounted under /api. Starting, pausing, resuming and canceling need the operator role. */
export function backfillRoutes(instance: () => Tributary, options: RunRouteOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/backfills', async (c) => {
    const { status, limit } = queryOf(c, 'GET /api/backfills')
    const list = await instance().listBackfills({ limit, ...(status ? { status } : {}) })
    return c.json<ApiBackfill[]>(list.map(toBackfill))
  })

  routes.get('/backfills/:id', async (c) => c.json<ApiBackfill>(toBackfill(await instance().backfillProgress(c.req.param('id')))))

  routes.post('/backfills', operatorOnly, smallBody, async (c) => {
    const { dryRun, selection, ...rest } = bodyOf(c, 'POST /api/backfills')
    const current = instance()
    if (dryRun) return c.json<ApiBackfillStarted>(started(null, await current.planBackfill(selection, rest)), 200)
    const gate = recordGate()
    const begun = await current.startBackfill(selection, { ...rest, onProgress: gate.onProgress })
    if (!begun.runId) return c.json<ApiBackfillStarted>(started(null, begun), 200)
    await untilRecorded(current, { runId: begun.runId, done: begun.done }, gate.recorded, { selection: begun.identity, trigger: BACKFILL_TRIGGER }, options)
    return c.json<ApiBackfillStarted>(started(begun.runId, begun), 202)
  })

  routes.post('/backfills/:id/pause', operatorOnly, async (c) => c.json<ApiRun>(toRun(await instance().pause(c.req.param('id'))), 202))
  routes.post('/backfills/:id/cancel', operatorOnly, async (c) => c.json<ApiRun>(toRun(await instance().cancel(c.req.param('id'))), 202))

  routes.post('/backfills/:id/resume', operatorOnly, smallBody, async (c) => {
    const { concurrency } = bodyOf(c, 'POST /api/backfills/{id}/resume')
    // Planning answers 404 (TRB6002) for a run that is not a backfill.
    const current = instance()
    const gate = recordGate()
    const begun = await current.startBackfill(undefined, { resume: c.req.param('id'), ...(concurrency ? { concurrency } : {}), onProgress: gate.onProgress })
    if (begun.runId) await untilRecorded(current, { runId: begun.runId, done: begun.done }, gate.recorded, { selection: begun.identity, trigger: BACKFILL_TRIGGER }, options)
    return c.json<ApiBackfillStarted>(started(begun.runId, begun), begun.runId ? 202 : 200)
  })

  return routes
}

function started(runId: string | null, planned: BackfillPlan): ApiBackfillStarted {
  const assets = new Map<string, { partitions: number; first: string | null; last: string | null }>()
  for (const step of planned.plan.steps) {
    const asset = assets.get(step.key)
    if (!asset) assets.set(step.key, { partitions: 1, first: step.partition, last: step.partition })
    else {
      asset.partitions++
      if (step.partition !== null && (asset.first === null || step.partition < asset.first)) asset.first = step.partition
      if (step.partition !== null && (asset.last === null || step.partition > asset.last)) asset.last = step.partition
    }
  }
  return {
    runId, identity: planned.identity, total: planned.plan.steps.length, alreadyDone: planned.alreadyDone, resumes: planned.resumes,
    assets: [...assets].map(([key, asset]) => ({ key, ...asset })),
  }
}

