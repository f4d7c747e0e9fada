import type { Store } from '../store/store.js'
import type { DeployedAsset } from './change-plan.js'

/**
 * What is deployed, from the store: each asset's last published materialization (the newest
 * of its partitions) and each source's last observed columns.
 */
export async function deployedState(store: Store): Promise<{ deployed: Map<string, DeployedAsset>; observed: Map<string, string[]> }> {
  const [states, observations] = await Promise.all([store.assetStates(), store.latestObservations()])
  const deployed = new Map<string, DeployedAsset & { at: number }>()
  for (const state of states) {
    const last = state.lastMaterialization
    if (!last) continue
    const seen = deployed.get(state.assetKey)
    if (!seen || seen.at < last.createdAt.getTime()) deployed.set(state.assetKey, { codeVersion: last.codeVersion, columns: last.columns, durationMs: last.durationMs, at: last.createdAt.getTime() })
  }
  const observed = new Map<string, string[]>()
  for (const observation of observations) if (observation.columns) observed.set(observation.sourceKey, observation.columns.map((c) => c.name))
  return { deployed, observed }
}
