// Change safety: column lineage (GET /api/lineage/columns) and the plan of the working tree (POST /api/plan).
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import type { AuthEnv } from './auth.js'
import { badRequest } from './errors.js'
import { enumParam, jsonObjectBody, knownKey, requiredParam } from './params.js'

/** Routes of column lineage and plan, mounted under /api. */
export function changeSafetyRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  // `?asset=marts/revenue&column=amount&direction=both`: edges into and out of the column, transitively.
  // Without column: every column of the asset with its direct sources and readers.
  routes.get('/lineage/columns', async (c) => {
    const current = instance()
    const asset = knownKey(current, requiredParam(c, 'asset'))
    const column = c.req.query('column')
    const direction = enumParam(c, 'direction', ['upstream', 'downstream', 'both'] as const) ?? 'both'
    const lineage = await current.columnLineage()
    if (column) {
      return c.json({
        asset, column,
        upstream: direction === 'downstream' ? [] : lineage.upstream(asset, column),
        downstream: direction === 'upstream' ? [] : lineage.downstream(asset, column),
      })
    }
    const columns = lineage.columnsOf(asset).map((name) => ({
      name,
      upstream: direction === 'downstream' ? [] : lineage.upstream(asset, name, false),
      downstream: direction === 'upstream' ? [] : lineage.downstream(asset, name, false),
    }))
    return c.json({ asset, columns })
  })

  // The working tree the server loaded against what is deployed; read-only, but computed on demand (POST: not cached).
  routes.post('/plan', async (c) => {
    const body = await jsonObjectBody(c, 'Send {} (no fields).')
    const unknown = Object.keys(body)
    if (unknown.length > 0) throw badRequest(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, 'POST /api/plan takes no fields: send {}.')
    return c.json(await instance().changePlan())
  })

  return routes
}
