import type { EngineDeps } from '../../engine/engine-deps.js'
import type { Claim, StepJob, StepQueue } from '../../store/step-queue.js'
import type { Store } from '../../store/store.js'
import type { Warehouse, WarehouseSession } from '../../warehouse/warehouse.js'

/**
 * The engine's deps for one claimed attempt on a queue worker: the store records the attempt's
 * end only while `fence` is the step's (completeFenced), the warehouse publishes only while no
 * higher fence published the asset-partition, and staging is the attempt's own, so an attempt
 * that lost its lease can neither record, publish, nor touch the staging of the one that took over.
 */
export function fencedDeps(deps: EngineDeps, queue: StepQueue, fence: number): EngineDeps {
  const store = new Proxy(deps.store, {
    get(target, property) {
      if (property === 'completeStep') return (completion: Parameters<Store['completeStep']>[0]) => queue.completeFenced(completion, fence)
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  const inner = deps.warehouse
  const warehouse: Warehouse = {
    dialect: inner.dialect,
    session: async () => fencedSession(await inner.session(), fence),
    stagingRelation: (target, runId, partition) => inner.stagingRelation(target, `${runId}~${fence}`, partition),
    publications: (runId) => inner.publications(runId),
    // The worker's warehouse outlives every attempt.
    close: async () => undefined,
  }
  return { ...deps, store, warehouse }
}

/**
 * Claims an attempt for `workerId` (a new fence) and, when its asset publishes to the warehouse,
 * raises the asset-partition's fence there before the attempt runs: from then on an older attempt
 * of the step (a worker whose lease expired) can no longer publish, even before this one does.
 */
export async function claimFenced(deps: EngineDeps, queue: StepQueue, job: StepJob, workerId: string, jobId: string | null, at: Date): Promise<Claim> {
  const claim = await queue.claimStep(job, workerId, jobId, at)
  if (claim.claimed && deps.graph.nodes.get(job.assetKey)?.relation) {
    // A warehouse that cannot be reached now fails the attempt when it stages; until then the
    // publish's own fence check still keeps an older attempt from publishing over a newer one.
    await deps.warehouse.raiseFence?.(job.assetKey, job.partition, claim.fence).catch(() => undefined)
  }
  return claim
}

function fencedSession(session: WarehouseSession, fence: number): WarehouseSession {
  return new Proxy(session, {
    get(target, property) {
      if (property === 'publish') {
        return (...[staging, relation, meta, options]: Parameters<WarehouseSession['publish']>) => target.publish(staging, relation, { ...meta, fence }, options)
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
