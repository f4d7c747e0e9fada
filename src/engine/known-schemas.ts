import type { AssetGraph } from '../graph/asset-graph.js'
import type { KnownColumns, SchemaMap } from '../graph/column-lineage.js'
import { contractColumns } from '../model/contract.js'
import type { Store } from '../store/store.js'

/**
 * The columns known for each asset and source: of its last published materialization (of any
 * partition), else of its latest observation, else of its contract. Assets never published and
 * sources never observed, without a contract, are absent (their SQL lineage keeps `*`). `keys`:
 * only those (Default: every node).
 */
export async function knownColumns(store: Pick<Store, 'assetStates' | 'latestObservations'>, graph: AssetGraph, keys?: readonly string[]): Promise<Map<string, KnownColumns>> {
  const sources = keys?.filter((key) => graph.nodes.get(key)?.def.type === 'source')
  const [states, observations] = await Promise.all([store.assetStates(keys?.filter((key) => !sources!.includes(key))), store.latestObservations(sources)])
  const known = new Map<string, KnownColumns>()
  for (const state of states) {
    const columns = state.lastMaterialization?.columns
    if (columns && graph.nodes.has(state.assetKey) && !known.has(state.assetKey)) known.set(state.assetKey, { from: 'published', columns })
  }
  for (const observation of observations) {
    if (observation.columns && graph.nodes.has(observation.sourceKey) && !known.has(observation.sourceKey)) known.set(observation.sourceKey, { from: 'observed', columns: observation.columns })
  }
  for (const node of keys ? keys.flatMap((key) => graph.nodes.get(key) ?? []) : graph.nodes.values()) {
    const contract = node.def.contract
    if (contract && !known.has(node.key)) known.set(node.key, { from: 'contract', columns: contractColumns(contract).map((c) => ({ name: c.name, type: c.type })) })
  }
  return known
}

/** The column names of {@link knownColumns}, as column lineage reads them. */
export async function knownSchemas(store: Pick<Store, 'assetStates' | 'latestObservations'>, graph: AssetGraph): Promise<SchemaMap> {
  return namesOf(await knownColumns(store, graph))
}

/** Column names per key of known schemas. */
export function namesOf(known: ReadonlyMap<string, KnownColumns>): SchemaMap {
  return new Map([...known].map(([key, schema]) => [key, schema.columns.map((c) => c.name)]))
}
