import { createHash } from 'node:crypto'
import type { AssetGraph } from '../../graph/asset-graph.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { ProjectDefinition } from '../../model/project.js'
import type { StepQueue } from '../../store/step-queue.js'
import type { Store } from '../../store/store.js'
import { VERSION } from '../../version.js'

/** The job queue of a project whose config says `executor: queue()`; TRB7001 when its store cannot carry one. */
export function stepQueueOf(store: Store): StepQueue {
  const carrier = store as Partial<{ stepQueue(): StepQueue }>
  if (store.dialect === 'postgres' && typeof carrier.stepQueue === 'function') return carrier.stepQueue()
  throw needsPostgres()
}

/** Refuses `executor: queue()` on a store other than PostgreSQL (TRB7001), before anything runs. */
export function checkQueueStore(project: ProjectDefinition): void {
  if (project.executor?.type === 'queue' && project.store?.type !== 'postgres') throw needsPostgres()
}

function needsPostgres(): TributaryError {
  return new TributaryError(ErrorCode.QueueNeedsPostgres, "the project asks for queue workers (executor: queue()) but its store is not PostgreSQL: the job queue lives in the PostgreSQL store's database", {
    hint: 'Set store: postgres({ url: process.env.TRIBUTARY_DATABASE_URL }) and a PostgreSQL warehouse, or remove executor: queue() to run steps in local worker processes.',
  })
}

/** Tributary's version and a fingerprint of the project's code (every asset's code version), as workers report it: `0.1.0+3f2a9c01b7d4`. */
export function fleetVersion(graph: AssetGraph): string {
  const hash = createHash('sha256')
  for (const [key, node] of [...graph.nodes].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`${key}\0${node.codeVersion}\0`)
  return `${VERSION}+${hash.digest('hex').slice(0, 12)}`
}
