import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import type { ProjectSpec } from '../../src/model/project.js'
import { defineProject } from '../../src/model/project.js'
import { Tributary } from '../../src/instance/tributary.js'
import type { EngineSettings } from '../../src/engine/engine-deps.js'
import type { Clock } from '../../src/engine/clock.js'

/** Root for test projects inside the repository, so their configs can import 'tributary'. */
export const TEST_PROJECTS = join(import.meta.dirname, '..', '..', '.test-projects')

/** A fresh directory for one test's project; removed by the returned cleanup. */
export async function tempDir(prefix = 'p-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  mkdirSync(TEST_PROJECTS, { recursive: true })
  const dir = await mkdtemp(join(TEST_PROJECTS, prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Opens an instance over an in-memory project in a fresh directory, with short waits. */
export async function openProject(spec: Omit<ProjectSpec, 'name'> & { name?: string }, options: { clock?: Clock; settings?: Partial<EngineSettings>; dir?: string } = {}) {
  const temp = options.dir ? { dir: options.dir, cleanup: async () => undefined } : await tempDir()
  const instance = await Tributary.open({
    projectDir: temp.dir,
    project: defineProject({ name: 'test', ...spec }),
    ...(options.clock ? { clock: options.clock } : {}),
    settings: { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50, ...options.settings },
  })
  return {
    instance,
    dir: temp.dir,
    async close() {
      await instance.close()
      await temp.cleanup()
    },
  }
}
