// The catalog and its history: /api/assets, /api/assets/{key}, /api/materializations, /api/check-results.
import { Hono } from 'hono'
import type { GraphNode } from '../graph/asset-graph.js'
import type { Tributary } from '../instance/tributary.js'
import type { ApiAssetDetail, ApiAssetStatus, ApiAssetSummary, ApiCheck, ApiCheckResult, ApiMaterialization } from './api-types.js'
import type { AuthEnv } from './auth.js'
import { searchCatalog } from './catalog.js'
import { enumParam, intParam, knownKey, requiredParam } from './params.js'
import { toAssetSummary, toCheckResult, toMaterialization } from './to-api.js'

const STATUSES: readonly ApiAssetStatus[] = ['fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running']

/** Every asset and source of the instance, summarized, upstream first. */
export async function summaries(instance: Tributary): Promise<ApiAssetSummary[]> {
  const statuses = await instance.status()
  return statuses.map((status) => toAssetSummary(instance.graph.get(status.key), status))
}

/** Routes of the catalog, mounted under /api. */
export function assetRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/assets', async (c) => {
    const query = {
      q: c.req.query('q'), owner: c.req.query('owner'), tag: c.req.query('tag'), group: c.req.query('group'), kind: c.req.query('kind'),
      status: enumParam(c, 'status', STATUSES), limit: intParam(c, 'limit', 100, 1000), offset: intParam(c, 'offset', 0),
    }
    return c.json(searchCatalog(await summaries(instance()), query))
  })

  // The key keeps its slashes: /api/assets/marts/revenue.
  routes.get('/assets/:key{.+}', async (c) => {
    const current = instance()
    const key = knownKey(current, c.req.param('key'))
    return c.json(await assetDetail(current, current.graph.get(key)))
  })

  routes.get('/materializations', async (c) => {
    const current = instance()
    const key = knownKey(current, requiredParam(c, 'key'))
    const records = await current.store.listMaterializations(key, { limit: intParam(c, 'limit', 50, 1000) })
    return c.json<ApiMaterialization[]>(records.map(toMaterialization))
  })

  routes.get('/check-results', async (c) => {
    const current = instance()
    const key = knownKey(current, requiredParam(c, 'key'))
    const records = await current.store.listCheckResults(key, { limit: intParam(c, 'limit', 100, 1000) })
    return c.json<ApiCheckResult[]>(records.map(toCheckResult))
  })

  return routes
}

async function assetDetail(instance: Tributary, node: GraphNode): Promise<ApiAssetDetail> {
  const def = node.def
  const isSource = def.type === 'source'
  const [status, [materialization], [observation], results] = await Promise.all([
    instance.ready(node.key),
    isSource ? Promise.resolve([]) : instance.store.listMaterializations(node.key, { limit: 1 }),
    isSource ? instance.store.latestObservations([node.key]) : Promise.resolve([]),
    instance.store.listCheckResults(node.key, { limit: 200 }),
  ])
  // Newest first, so the first result per check name is its latest.
  const latest = new Map<string, ApiCheckResult>()
  for (const result of results) if (!latest.has(result.checkName)) latest.set(result.checkName, toCheckResult(result))
  const checks: ApiCheck[] = (def.checks ?? []).map((check) => ({
    name: check.name, type: check.type, severity: check.severity, blocking: check.blocking, lastResult: latest.get(check.name) ?? null,
  }))
  return {
    ...toAssetSummary(node, status),
    io: isSource ? null : def.io,
    relation: node.relation ? `${node.relation.schema}.${node.relation.name}` : null,
    code: def.type === 'sql' ? def.sql : def.type === 'asset' ? def.materialize.toString() : null,
    codeLanguage: def.type === 'sql' ? 'sql' : def.type === 'asset' ? 'typescript' : null,
    codeVersion: node.codeVersion,
    columns: (materialization?.columns ?? observation?.columns ?? []).map((column) => ({ name: column.name, type: column.type })),
    chain: status.chain,
    reasons: status.reasons.map((reason) => ({ type: reason.type, message: reason.message, ...(reason.upstream ? { upstream: reason.upstream } : {}) })),
    checks,
    upstream: node.upstream,
    downstream: node.downstream,
    lastRunId: status.lastRunId,
  }
}
