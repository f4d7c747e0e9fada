// The graph and the readiness board: /api/lineage, /api/ready.
import { Hono } from 'hono'
import { kindOf } from '../graph/selection.js'
import type { Tributary } from '../instance/tributary.js'
import type { ApiLineage, ApiReadyItem } from './api-types.js'
import type { AuthEnv } from './auth.js'
import { badRequest } from './errors.js'
import { knownKey } from './params.js'
import { queryOf } from './validate.js'
import { toReadyItem } from './to-api.js'

/** Kinds that people outside the data team read; tag 'business' adds any other asset to the board. */
export const BOARD_KINDS: ReadonlySet<string> = new Set(['dashboard', 'report', 'extract'])

/** Routes of lineage and readiness, mounted under /api. */
export function graphRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  // No key: the whole graph. With a key: it and its neighbours up to `depth` edges away.
  routes.get('/lineage', async (c) => {
    const current = instance()
    const graph = current.graph
    const { key, direction = 'both', depth = Number.POSITIVE_INFINITY } = queryOf(c, 'GET /api/lineage')
    if (depth < 1) throw badRequest('depth must be at least 1', 'Leave it out for the whole lineage.')
    let keys: Set<string>
    if (key) {
      knownKey(current, key)
      keys = new Set([key])
      if (direction !== 'downstream') for (const k of graph.upstreamOf(key, depth)) keys.add(k)
      if (direction !== 'upstream') for (const k of graph.downstreamOf(key, depth)) keys.add(k)
    } else {
      keys = new Set(graph.order)
    }
    const statuses = new Map((await current.status()).map((s) => [s.key, s]))
    const ordered = graph.sort(keys)
    const lineage: ApiLineage = {
      nodes: ordered.map((k) => {
        const node = graph.get(k)
        return { key: k, kind: kindOf(node), type: node.def.type, status: statuses.get(k)!.status, owner: node.def.owner ?? null, group: node.def.group ?? null }
      }),
      edges: ordered.flatMap((k) => graph.get(k).upstream.filter((u) => keys.has(u)).map((u) => ({ from: u, to: k }))),
    }
    return c.json(lineage)
  })

  routes.get('/ready', async (c) => {
    const current = instance()
    const keys = current.graph.order.filter((key) => {
      const node = current.graph.get(key)
      return BOARD_KINDS.has(kindOf(node)) || (node.def.tags ?? []).includes('business')
    })
    // The predicted ready time walks each item's upstream critical path over recent history.
    const { statuses, predictions } = await current.forecast(keys)
    return c.json<ApiReadyItem[]>(keys.map((key) => {
      const status = statuses.get(key)!
      const expectedAt = status.ready ? null : (predictions.get(key)?.predictedAt ?? null)
      return toReadyItem(current.graph.get(key), status, expectedAt)
    }))
  })

  return routes
}
