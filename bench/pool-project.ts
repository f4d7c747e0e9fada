// Opens a project on disk for the process-pool benchmarks: workers load the project from its
// config file, so the assets come from a module both the bench and the workers import.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Tributary } from '../src/index.js'
import { WorkerProcess } from '../src/execution/worker-process.js'
import { inTempDir } from './harness.js'

/**
 * Writes a config whose assets are `exportName()` of `module` (an absolute path), opens it on the
 * pool executor, runs `warmSelection` once so every worker has loaded the project, then hands
 * the instance to `work`.
 */
export async function withPoolInstance<T>(
  prefix: string,
  source: { readonly module: string; readonly exportName: string },
  options: { concurrency?: number },
  work: (instance: Tributary, projectDir: string) => Promise<T>,
): Promise<T> {
  return inTempDir(`${prefix}-pool`, async (projectDir) => {
    const index = pathToFileURL(join(import.meta.dirname, '..', 'src', 'index.ts')).href
    await writeFile(join(projectDir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
    await writeFile(join(projectDir, 'tributary.config.ts'), [
      `import { defineProject } from '${index}'`,
      `import { ${source.exportName} } from '${pathToFileURL(source.module).href}'`,
      `export default defineProject({ name: 'bench-${prefix}-pool', assets: ${source.exportName}(), concurrency: ${options.concurrency ?? 4} })`,
    ].join('\n'))
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
