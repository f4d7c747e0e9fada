// Backfills: plan (dry run), start, list with progress, pause, resume, cancel.
import { Hono, type Context } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import { BACKFILL_TRIGGER, type BackfillPlan } from '../engine/backfill.js'
import type { ApiBackfill, ApiBackfillStarted, ApiRun, ApiRunStatus, ApiStartBackfill } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import { badRequest } from './errors.js'
import type { RunRouteOptions } from './routes-runs.js'
import { enumParam, intParam, jsonObjectBody, smallBody } from './params.js'
import { recordGate, untilRecorded } from './run-start.js'
import { toBackfill, toRun } from './to-api.js'

const RUN_STATUSES: readonly ApiRunStatus[] = ['running', 'succeeded', 'failed', 'canceled', 'paused']
const BODY_HINT = 'Send {"selection": "raw/payments", "from": "2026-03-01", "to": "2026-03-31", "only": "missing", "dryRun": true}.'

/** Routes of backfills, mounted under /api. Starting, pausing, resuming and canceling need the operator role. */
export function backfillRoutes(instance: () => Tributary, options: RunRouteOptions): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/backfills', async (c) => {
    const status = enumParam(c, 'status', RUN_STATUSES)
    const list = await instance().listBackfills({ limit: intParam(c, 'limit', 20, 200), ...(status ? { status } : {}) })
    return c.json<ApiBackfill[]>(list.map(toBackfill))
  })

  routes.get('/backfills/:id', async (c) => c.json<ApiBackfill>(toBackfill(await instance().backfillProgress(c.req.param('id')))))

  routes.post('/backfills', operatorOnly, smallBody, async (c) => {
    const { dryRun, selection, ...rest } = await startBackfillBody(c)
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
    const body = await jsonObjectBody(c, 'Send {} or {"concurrency": 4}.')
    const unknown = Object.keys(body).filter((name) => name !== 'concurrency')
    if (unknown.length > 0) throw badRequest(`unknown field(s) ${unknown.join(', ')}`, 'Send {} or {"concurrency": 4}.')
    const concurrency = concurrencyOf(body.concurrency)
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

function concurrencyOf(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badRequest('concurrency must be a whole number ≥ 1', 'e.g. "concurrency": 4')
  return value
}

/** Parses and checks the POST /api/backfills body. */
async function startBackfillBody(c: Context): Promise<ApiStartBackfill> {
  const body = await jsonObjectBody(c, BODY_HINT)
  const known = new Set(['selection', 'from', 'to', 'partition', 'only', 'concurrency', 'resume', 'dryRun'])
  const unknown = Object.keys(body).filter((name) => !known.has(name))
  if (unknown.length > 0) throw badRequest(`unknown field(s) ${unknown.join(', ')}`, BODY_HINT)
  const text = (name: 'selection' | 'from' | 'to' | 'partition' | 'resume') => {
    const value = body[name]
    if (value === undefined) return {}
    if (typeof value !== 'string' || value === '') throw badRequest(`${name} must be a non-empty string`, BODY_HINT)
    return { [name]: value }
  }
  if (body.only !== undefined && !['missing', 'failed', 'all'].includes(body.only as string)) throw badRequest('only must be "missing", "failed" or "all"', BODY_HINT)
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw badRequest('dryRun must be true or false')
  const concurrency = concurrencyOf(body.concurrency)
  return {
    ...text('selection'), ...text('from'), ...text('to'), ...text('partition'), ...text('resume'),
    ...(body.only !== undefined ? { only: body.only as 'missing' } : {}), ...(concurrency ? { concurrency } : {}),
    ...(body.dryRun !== undefined ? { dryRun: body.dryRun as boolean } : {}),
  }
}
