// Opens a project on disk for the process-pool benchmarks: workers load the project from its
// config file, so the bench writes one with the graph of its in-process twin.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Tributary, type AnyNode } from '../src/index.js'
import { WorkerProcess } from '../src/execution/worker-process.js'
import { inTempDir } from './harness.js'

/**
 * Writes a config with the same graph as `assets` (keys and inputs), every asset's materialize
 * function being `materialize` (source text), opens it on the pool executor and hands the
 * instance to `work`. The config is self-contained, as a user's would be.
 */
export async function withPoolInstance<T>(
  prefix: string,
  assets: readonly AnyNode[],
  materialize: string,
  options: { concurrency?: number },
  work: (instance: Tributary, projectDir: string) => Promise<T>,
): Promise<T> {
  return inTempDir(`${prefix}-pool`, async (projectDir) => {
    const shape = assets.map((def) => ({ key: def.key, ins: def.type === 'asset' ? Object.values(def.ins ?? {}).map((up) => (up as AnyNode).key) : [] }))
    await writeFile(join(projectDir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
    await writeFile(join(projectDir, 'tributary.config.ts'), `import { defineAsset, defineProject, type AnyNode } from 'tributary-orchestrator'
const shape: { key: string; ins: string[] }[] = ${JSON.stringify(shape)}
const made = new Map<string, AnyNode>()
for (const { key, ins } of shape) {
  made.set(key, defineAsset({ key, io: 'none', ins: Object.fromEntries(ins.map((up, i) => [\`in_\${i}\`, made.get(up)!])), materialize: ${materialize} }))
}
export default defineProject({ name: 'bench-${prefix}-pool', assets: [...made.values()], concurrency: ${options.concurrency ?? 4} })
`)
    const instance = await Tributary.open({ projectDir, executor: 'pool' })
    try {
      return await work(instance, projectDir)
    } finally {
      await instance.close()
    }
  })
}

/** Milliseconds from starting a worker process to its having loaded the project: what a crashed worker costs. */
export async function workerStartMs(projectDir: string): Promise<number> {
  const started = performance.now()
  const worker = new WorkerProcess({ projectDir, graceMs: 1000 })
  await worker.ready
  const ms = performance.now() - started
  await worker.stop()
  return ms
}
