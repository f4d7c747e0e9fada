// The catalog and its history: /api/assets, /api/assets/{key}, /api/materializations, /api/check-results, /api/partitions.
import { Hono } from 'hono'
import type { GraphNode } from '../graph/asset-graph.js'
import type { Tributary } from '../instance/tributary.js'
import { partitionKeys } from '../model/partitions.js'
import type { ApiAssetDetail, ApiAssetSummary, ApiCheck, ApiCheckResult, ApiMaterialization, ApiPartition, ApiPartitionState, ApiPartitionStatus } from './api-types.js'
import type { AuthEnv } from './auth.js'
import { searchCatalog } from './catalog.js'
import { knownKey } from './params.js'
import { queryOf } from './validate.js'
import { toAssetSummary, toCheckResult, toMaterialization } from './to-api.js'
import { definitionSource } from './definition-source.js'

/** At most this many partitions are listed, the newest. */
export const MAX_PARTITIONS = 400

/** Every asset and source of the instance, summarized, upstream first. */
export async function summaries(instance: Tributary): Promise<ApiAssetSummary[]> {
  const statuses = await instance.status()
  return statuses.map((status) => toAssetSummary(instance.graph.get(status.key), status))
}

/** Routes of the catalog, mounted under /api. */
export function assetRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/assets', async (c) => {
    return c.json(searchCatalog(await summaries(instance()), queryOf(c, 'GET /api/assets')))
  })

  // The key keeps its slashes: /api/assets/marts/revenue.
  routes.get('/assets/:key{.+}', async (c) => {
    const current = instance()
    const key = knownKey(current, c.req.param('key'))
    return c.json(await assetDetail(current, current.graph.get(key)))
  })

  routes.get('/materializations', async (c) => {
    const current = instance()
    const { key: asked, limit } = queryOf(c, 'GET /api/materializations')
    const key = knownKey(current, asked)
    const records = await current.store.listMaterializations(key, { limit })
    return c.json<ApiMaterialization[]>(records.map(toMaterialization))
  })

  routes.get('/check-results', async (c) => {
    const current = instance()
    const { key: asked, limit } = queryOf(c, 'GET /api/check-results')
    const key = knownKey(current, asked)
    const records = await current.store.listCheckResults(key, { limit })
    return c.json<ApiCheckResult[]>(records.map(toCheckResult))
  })

  routes.get('/partitions', async (c) => {
    const current = instance()
    const key = knownKey(current, queryOf(c, 'GET /api/partitions').key)
    return c.json(await partitionStatus(current, current.graph.get(key)))
  })

  return routes
}

const NO_COUNTS: Readonly<Record<ApiPartitionState, number>> = { fresh: 0, stale: 0, failed: 0, missing: 0, running: 0 }

/** Every partition's state (the newest MAX_PARTITIONS listed), with when it was published and by which run. */
async function partitionStatus(instance: Tributary, node: GraphNode): Promise<ApiPartitionStatus> {
  const def = node.partitions
  if (!def) return { key: node.key, partitioned: false, cadence: null, total: 0, counts: NO_COUNTS, partitions: [], truncated: false }
  const [[status], states] = await Promise.all([
    instance.partitionStatus(node.key).then((all) => all.filter((s) => s.key === node.key)),
    instance.store.assetStates([node.key]),
  ])
  const keys = partitionKeys(def, instance.clock.now())
  const shown = keys.slice(-MAX_PARTITIONS)
  const stateOf = new Map<string, ApiPartitionState>()
  for (const [state, list] of [['missing', status?.missing], ['failed', status?.failed], ['stale', status?.stale], ['running', status?.running]] as const) {
    for (const partition of list ?? []) stateOf.set(partition, state)
  }
  const records = new Map(states.filter((s) => s.partition !== null).map((s) => [s.partition!, s]))
  const partitions = shown.map((partition): ApiPartition => {
    const state = stateOf.get(partition) ?? (status ? 'fresh' : 'missing')
    const record = records.get(partition)
    const materialization = record?.lastMaterialization ?? null
    const troubled = state === 'failed' || state === 'running'
    return {
      key: partition, status: state,
      lastUpdated: materialization ? materialization.createdAt.toISOString() : null,
      runId: (troubled ? record?.lastStep?.runId : materialization?.runId ?? record?.lastStep?.runId) ?? null,
      reason: status?.failures?.[partition] ?? null,
    }
  })
  return {
    key: node.key, partitioned: true, cadence: def.type === 'static' ? 'static' : def.cadence,
    total: status?.total ?? keys.length, counts: status?.counts ?? { ...NO_COUNTS, missing: keys.length },
    partitions, truncated: keys.length > shown.length,
  }
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
    // The code as the user wrote it; the function's own text is what a transpiler made of it.
    code: def.type === 'sql' ? def.sql : def.type === 'asset' ? (definitionSource(def)?.code ?? def.materialize.toString()) : null,
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
