// Change safety: column lineage (GET /api/lineage/columns) and the plan of the working tree (POST /api/plan).
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import { contractColumns, type ResolvedContractColumn } from '../model/contract.js'
import type { ApiAssetColumns, ApiPlan } from './api-types.js'
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
    // Each column with its type where known, its direct sources and readers; where the columns
    // are not known yet, the readers at asset granularity and a note saying so (never a guess).
    const schema = lineage.schemaOf(asset)
    const node = current.graph.get(asset)
    const types = new Map(schema?.columns.map((col) => [col.name.toLowerCase(), col.type]) ?? [])
    const guaranteed = new Map((node.def.contract ? contractColumns(node.def.contract) : []).map((col) => [col.name.toLowerCase(), col]))
    const columns = lineage.columnsOf(asset).map((name) => ({
      name,
      type: types.get(name.toLowerCase()) ?? null,
      contract: contractOf(guaranteed.get(name.toLowerCase())),
      upstream: direction === 'downstream' ? [] : lineage.upstream(asset, name, false),
      downstream: direction === 'upstream' ? [] : lineage.downstream(asset, name, false),
    }))
    const body: ApiAssetColumns = {
      asset, columnsKnown: schema !== undefined, schemaFrom: schema?.from ?? null,
      note: schema ? null : `The columns of ${asset} are not known yet: they are recorded when it is first ${node.def.type === 'source' ? 'observed' : 'published'}, or declared by a contract.`,
      columns,
      readers: node.downstream.map((key) => ({ asset: key, owner: current.graph.get(key).def.owner ?? null })),
    }
    return c.json(body)
  })

  // The working tree the server loaded against what is deployed; read-only, but computed on demand (POST: not cached).
  routes.post('/plan', async (c) => {
    const body = await jsonObjectBody(c, 'Send {} (no fields).')
    const unknown = Object.keys(body)
    if (unknown.length > 0) throw badRequest(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, 'POST /api/plan takes no fields: send {}.')
    const plan: ApiPlan = await instance().changePlan()
    return c.json(plan)
  })

  return routes
}

function contractOf(column: ResolvedContractColumn | undefined): ApiAssetColumns['columns'][number]['contract'] {
  return column ? { type: column.type, nullable: column.nullable, description: column.description } : null
}
