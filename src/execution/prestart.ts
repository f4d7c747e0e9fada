// A worker started before the project is even loaded. A CLI command that runs steps starts one
// first thing, so the worker's own start-up (Node, its imports, loading the project) overlaps with
// the command's (its imports, the store, the warehouse) instead of following it. The first pool
// made for that project adopts it; an unadopted one is stopped when the command ends.
import { WorkerProcess } from './worker-process.js'

let early: { readonly projectDir: string; readonly worker: WorkerProcess } | undefined

/**
 * Forks one worker for `projectDir` now, with the default settings (no heap limit). It loads the
 * compiled config from the project's config cache (compiling it when stale), as any worker does.
 */
export function prestartWorker(projectDir: string): void {
  if (early) return
  early = { projectDir, worker: new WorkerProcess({ projectDir, graceMs: 2000 }) }
}

/**
 * The prestarted worker for `projectDir`, handed over once, when it fits: a pool with a heap limit
 * needs workers started with that limit, so it gets none (and the early one is stopped).
 */
export function takePrestartedWorker(projectDir: string, settings: { readonly maxHeapMb: number | undefined }): WorkerProcess | undefined {
  if (!early || early.projectDir !== projectDir) return undefined
  const { worker } = early
  early = undefined
  if (settings.maxHeapMb === undefined && worker.running) return worker
  void worker.stop()
  return undefined
}

/** Stops a prestarted worker nobody adopted (the command did not run steps after all). */
export async function discardPrestartedWorker(): Promise<void> {
  const worker = early?.worker
  early = undefined
  await worker?.stop()
}
