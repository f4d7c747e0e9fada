// A worker stuck before it can watch its parent (its project never finishes loading) outlives a
// control plane killed with SIGKILL; the next control plane finds it in the worker records and
// ends it. Real CLI processes, real workers.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { WORKER_RECORDS_DIR } from '../src/execution/worker-records.js'
import { PROJECT_DIR_ENV } from '../src/execution/ipc-protocol.js'
import { alive } from './helpers/control-plane-project.js'
import { cli, cliProcess } from './helpers/cli.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

// In a worker (never in the control plane), while ./hang-load exists, loading the project spins for good.
const CONFIG = `
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineAsset, defineProject } from 'tributary-orchestrator'

const dir = process.env.${PROJECT_DIR_ENV}
if (dir && existsSync(join(dir, 'hang-load'))) {
  writeFileSync(join(dir, 'loading-' + process.pid), '')
  for (;;) { /* never loads */ }
}
export default defineProject({ name: 'orphans', assets: [defineAsset({ key: 'raw/quick', async materialize() { return [{ id: 1 }] } })] })
`

describe('orphaned workers', () => {
  test('workers stuck loading outlive a SIGKILLed CLI; the next run ends them and drops their records', async () => {
    const { dir, cleanup } = await tempDir('orphans-')
    try {
      await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
      await writeFile(join(dir, 'hang-load'), '')
      const child = cliProcess(['materialize', 'raw/quick', '--project', dir])
      const stuck = await poll('a worker to start loading', async () => {
        const pids = readdirSync(dir).flatMap((name) => /^loading-(\d+)$/.exec(name)?.[1] ?? []).map(Number)
        return pids.length > 0 ? pids : undefined
      }, 60_000)
      // Each worker is recorded with the pid of the process that started it.
      for (const pid of stuck) assert.equal(readFileSync(join(WORKER_RECORDS_DIR, String(pid)), 'utf8'), String(child.pid))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))

      await rm(join(dir, 'hang-load'))
      const next = cli(['materialize', 'raw/quick', '--project', dir])
      assert.equal(next.code, 0, next.stderr)
      await poll(`stuck workers ${stuck.join(', ')} to be ended`, async () => (stuck.some(alive) ? undefined : true), 10_000)
      for (const pid of stuck) assert.equal(existsSync(join(WORKER_RECORDS_DIR, String(pid))), false, `record of ${pid} removed`)
      // The next run's own workers ended normally and took their records with them.
      const left = readdirSync(WORKER_RECORDS_DIR).filter((name) => readFileSync(join(WORKER_RECORDS_DIR, name), 'utf8') === String(child.pid))
      assert.deepEqual(left, [])
    } finally {
      await cleanup()
    }
  })
})
