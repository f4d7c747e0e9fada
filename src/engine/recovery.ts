import { rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { FINAL_STEP_STATUSES, type RunRecord } from '../store/records.js'
import type { Warehouse } from '../warehouse/warehouse.js'
import type { EngineDeps } from './engine-deps.js'
import { fileOutputPaths } from './file-output.js'

/** A run found interrupted and how it was settled. */
export interface RecoveredRun {
  readonly runId: string
  /** Steps whose publication reached the warehouse before the crash and are now recorded. */
  readonly reconciled: readonly string[]
  /** Steps marked failed because their process died mid-step. */
  readonly failed: readonly string[]
}

/**
 * How long a run on this host may go without a heartbeat (written every second) before it is
 * presumed dead, whatever its PID says: a PID is reused (PID 1 in a container, this very
 * process). Default: 60 s, the lease TTL, after which its assets' leases have expired anyway.
 */
export const STALE_HEARTBEAT_MS = 60_000

/** The same for a run on another host, whose clock may differ from ours. Default: 5 minutes. */
const FOREIGN_RUN_GRACE_MS = 5 * 60_000

/** Ids of the runs this process is executing now (run-executor keeps it); they are alive by definition. */
export const runsExecutingHere = new Set<string>()

/**
 * Settles runs whose process died: a step whose publish reached the warehouse is recorded
 * as succeeded (never published twice), every other unfinished step is marked failed, the
 * staging its steps left (tables and `.staging-<run>` directories, except a blocked step's,
 * kept for inspection) is removed, its leases released, and the run is marked failed.
 */
export async function recoverInterruptedRuns(deps: EngineDeps): Promise<RecoveredRun[]> {
  const recovered: RecoveredRun[] = []
  for (const run of await deps.store.listActiveRuns()) {
    if (isAlive(run, deps.clock.now())) continue
    const published = new Map((await deps.warehouse.publications(run.id)).map((p) => [`${p.assetKey}\0${p.partition ?? ''}`, p]))
    const reconciled: string[] = []
    const failed: string[] = []
    const now = deps.clock.now()
    const steps = await deps.store.listSteps(run.id)
    for (const step of steps) {
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
      const died = step.status === 'running' || step.status === 'waiting'
      await deps.store.updateStep({
        runId: run.id, assetKey: step.assetKey, partition: step.partition, at: now,
        status: died ? 'failed' : 'canceled',
        error: died ? { code: ErrorCode.ProcessDied, message: `the process running ${step.assetKey} (pid ${run.pid} on ${run.host}) died mid-step; nothing was published`, hint: 'Re-run it; re-running is safe.' } : null,
        reason: died ? 'process died' : 'the run’s process died before this step started',
      })
      if (died) failed.push(step.assetKey)
    }
    // Staging of every step but a succeeded (already published) or blocked (kept on purpose) one:
    // a step that failed or timed out may have died before its own cleanup ran.
    await removeStaging(deps, run.id, steps.filter((s) => s.status !== 'succeeded' && s.status !== 'blocked'))
    await deps.store.releaseLeasesOf(run.id)
    await deps.store.finishRun(run.id, 'failed', now, { code: ErrorCode.ProcessDied, message: `the process of run ${run.id} (pid ${run.pid} on ${run.host}) died; ${failed.length} step(s) marked failed, ${reconciled.length} publication(s) recorded`, hint: 'Re-run the selection; re-running is safe.' })
    recovered.push({ runId: run.id, reconciled, failed })
  }
  return recovered
}

async function removeStaging(deps: EngineDeps, runId: string, steps: readonly { assetKey: string; partition: string | null }[]): Promise<void> {
  const tables = steps.flatMap((step) => {
    const relation = deps.graph.nodes.get(step.assetKey)?.relation
    return relation ? [deps.warehouse.stagingRelation(relation, runId, step.partition)] : []
  })
  if (tables.length > 0) {
    const session = await deps.warehouse.session()
    try {
      for (const table of tables) await session.drop(table)
    } finally {
      await session.close()
    }
  }
  for (const step of steps) {
    const node = deps.graph.nodes.get(step.assetKey)
    if (node && node.def.type !== 'source' && node.def.io === 'files') {
      await rm(fileOutputPaths(deps.stateDir, step.assetKey, runId).staging, { recursive: true, force: true })
    }
  }
}

/**
 * Settles dead runs, if there are any: the readers (status, ready, runs, serve, the daemon) call
 * it, so a dead run never stays "running". Cheap when none is dead (one query); the warehouse is
 * opened only then. When another process holds the warehouse (TRB5001), that live process
 * settles them instead, and this returns []; so it does when the warehouse cannot be reached
 * from here (TRB5020: a reader on a machine with the store's URL only), leaving them to a process that can.
 */
export async function settleDeadRuns(deps: Omit<EngineDeps, 'warehouse'>, warehouse: () => Promise<Warehouse>): Promise<RecoveredRun[]> {
  const now = deps.clock.now()
  if ((await deps.store.listActiveRuns()).every((run) => isAlive(run, now))) return []
  let opened: Warehouse
  try {
    opened = await warehouse()
  } catch (error) {
    if (error instanceof TributaryError && (error.code === ErrorCode.WarehouseLocked || error.code === ErrorCode.WarehouseUnreachable)) return []
    throw error
  }
  return recoverInterruptedRuns({ ...deps, warehouse: opened })
}

/**
 * True while a running run's process is alive: a run of this process always is; any other needs
 * a recent heartbeat (within {@link STALE_HEARTBEAT_MS} on this host, 5 minutes on others), and
 * on this host a PID that still exists. A PID alone never keeps a run alive.
 */
export function isAlive(run: RunRecord, now: Date): boolean {
  if (runsExecutingHere.has(run.id)) return true
  const silentMs = now.getTime() - run.heartbeatAt.getTime()
  if (run.host !== hostname()) return silentMs < FOREIGN_RUN_GRACE_MS
  if (silentMs >= STALE_HEARTBEAT_MS) return false
  if (run.pid === process.pid) return true
  try {
    process.kill(run.pid, 0)
    return true
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
