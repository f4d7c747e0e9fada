import type { AssetGraph } from '../graph/asset-graph.js'
import type { Store } from '../store/store.js'

/**
 * Keys of the graph's warehouse assets (those with a relation) that the store records as
 * published. Read only when the warehouse looks wrong (missing, foreign), so not on a hot path.
 */
export async function publishedAssets(graph: AssetGraph, store: Store): Promise<string[]> {
  const tables = [...graph.nodes.values()].filter((node) => node.relation && node.def.type !== 'source').map((node) => node.key)
  if (tables.length === 0) return []
  const states = await store.assetStateSummaries(tables)
  return [...new Set(states.filter((state) => state.lastMaterialization).map((state) => state.assetKey))].sort()
}
