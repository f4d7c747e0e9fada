import { hostname } from 'node:os'
import { ErrorCode } from '../model/errors.js'
import { FINAL_STEP_STATUSES, type RunRecord } from '../store/records.js'
import type { EngineDeps } from './engine-deps.js'

/** A run found interrupted and how it was settled. */
export interface RecoveredRun {
  readonly runId: string
  /** Steps whose publication reached the warehouse before the crash and are now recorded. */
  readonly reconciled: readonly string[]
  /** Steps marked failed because their process died mid-step. */
  readonly failed: readonly string[]
}

/** How long a run on another host may go without a heartbeat before it is presumed dead. Default: 5 minutes. */
const FOREIGN_RUN_GRACE_MS = 5 * 60_000

/**
 * Settles runs whose process died: a step whose publish reached the warehouse is recorded
 * as succeeded (never published twice), every other unfinished step is marked failed, its
 * staging is dropped and its leases released, and the run is marked failed.
 */
export async function recoverInterruptedRuns(deps: EngineDeps): Promise<RecoveredRun[]> {
  const recovered: RecoveredRun[] = []
  for (const run of await deps.store.listActiveRuns()) {
    if (isAlive(run, deps.clock.now())) continue
    const published = new Map((await deps.warehouse.publications(run.id)).map((p) => [`${p.assetKey}\0${p.partition ?? ''}`, p]))
    const reconciled: string[] = []
    const failed: string[] = []
    const now = deps.clock.now()
    for (const step of await deps.store.listSteps(run.id)) {
      if (FINAL_STEP_STATUSES.has(step.status)) continue
      const node = deps.graph.nodes.get(step.assetKey)
      const publication = published.get(`${step.assetKey}\0${step.partition ?? ''}`)
      if (publication && node) {
        await deps.store.completeStep({
          step: { runId: run.id, assetKey: step.assetKey, partition: step.partition, status: 'succeeded', attempt: step.attempt, at: now, reason: 'published before the process died; recorded on recovery' },
          materialization: {
            assetKey: step.assetKey, partition: step.partition, runId: run.id, codeVersion: node.codeVersion, dataVersion: publication.dataVersion,
            inputVersions: {}, rowCount: publication.rowCount, columns: null, durationMs: 0, createdAt: publication.publishedAt,
          },
        })
        reconciled.push(step.assetKey)
        continue
      }
      if (node?.relation && step.status === 'running') {
        const session = await deps.warehouse.session()
        try {
          await session.drop(deps.warehouse.stagingRelation(node.relation, run.id, step.partition))
        } finally {
          await session.close()
        }
      }
      const died = step.status === 'running' || step.status === 'waiting'
      await deps.store.updateStep({
        runId: run.id, assetKey: step.assetKey, partition: step.partition, at: now,
        status: died ? 'failed' : 'canceled',
        error: died ? { code: ErrorCode.ProcessDied, message: `the process running ${step.assetKey} (pid ${run.pid} on ${run.host}) died mid-step; nothing was published`, hint: 'Re-run it; re-running is safe.' } : null,
        reason: died ? 'process died' : 'the run’s process died before this step started',
      })
      if (died) failed.push(step.assetKey)
    }
    await deps.store.releaseLeasesOf(run.id)
    await deps.store.finishRun(run.id, 'failed', now, { code: ErrorCode.ProcessDied, message: `the process of run ${run.id} (pid ${run.pid} on ${run.host}) died; ${failed.length} step(s) marked failed, ${reconciled.length} publication(s) recorded`, hint: 'Re-run the selection; re-running is safe.' })
    recovered.push({ runId: run.id, reconciled, failed })
  }
  return recovered
}

/** True while the process of a running run is alive (same host) or still heartbeating (other hosts). */
export function isAlive(run: RunRecord, now: Date): boolean {
  if (run.host !== hostname()) return now.getTime() - run.heartbeatAt.getTime() < FOREIGN_RUN_GRACE_MS
  if (run.pid === process.pid) return true
  try {
    process.kill(run.pid, 0)
    return true
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
