import type { AssetGraph } from '../graph/asset-graph.js'
import type { SchemaMap } from '../graph/column-lineage.js'
import type { Store } from '../store/store.js'

/**
 * The columns known for each asset and source: of its last published materialization (of any
 * partition), else of its latest observation. Assets never published and sources never
 * observed are absent (their SQL lineage keeps `*`).
 */
export async function knownSchemas(store: Store, graph: AssetGraph): Promise<SchemaMap> {
  const [states, observations] = await Promise.all([store.assetStates(), store.latestObservations()])
  const schemas = new Map<string, string[]>()
  for (const state of states) {
    const columns = state.lastMaterialization?.columns
    if (columns && graph.nodes.has(state.assetKey) && !schemas.has(state.assetKey)) schemas.set(state.assetKey, columns.map((c) => c.name))
  }
  for (const observation of observations) {
    if (observation.columns && graph.nodes.has(observation.sourceKey) && !schemas.has(observation.sourceKey)) schemas.set(observation.sourceKey, observation.columns.map((c) => c.name))
  }
  return schemas
}
