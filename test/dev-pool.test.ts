// `tributary dev` with the process pool (real files, real processes): editing an asset changes its
// code version, the warm workers that hold the old code are replaced, and the next run runs the new code.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { alive, background, stop, workerPids } from './helpers/control-plane-project.js'
import { poll } from './helpers/poll.js'
import { openEvents } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `import { defineProject } from 'tributary-orchestrator'
import * as assets from './assets/index.js'

export default defineProject({ name: 'reloading', assets: Object.values(assets) })
`

// The asset says which code it is and which process runs it.
const asset = (version: string) => `import { defineAsset } from 'tributary-orchestrator'

export const versioned = defineAsset({ key: 'raw/versioned', async materialize(_inputs, ctx) {
  ctx.log.info('code ${version} in ' + process.pid)
  return [{ version: '${version}' }]
} })
`

const json = async <T>(url: string, init?: RequestInit) => (await fetch(url, init)).json() as Promise<T>

describe('dev with the process pool', () => {
  test('an edited asset: new code version, the warm workers with the old code end, the next run runs the new code in a new worker', async () => {
    const { dir, cleanup } = await tempDir('dev-pool-')
    try {
      await mkdir(join(dir, 'assets'))
      await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
      await writeFile(join(dir, 'assets', 'index.ts'), "export * from './versioned.js'\n")
      await writeFile(join(dir, 'assets', 'versioned.ts'), asset('A'))
      const dev = background(['dev', '--port', '0', '--no-daemon', '--project', dir])
      const url = (await dev.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
      const events = await openEvents(url)
      let newWorker = 0
      try {
        /** Runs raw/versioned on dev's control plane; resolves with the run's status, materialization and log lines. */
        const run = async () => {
          const { runId } = await json<{ runId: string }>(`${url}/api/runs`, { method: 'POST', body: JSON.stringify({ selection: 'raw/versioned' }) })
          await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId, 60_000)
          const detail = await json<{ run: { status: string }; steps: { error: { code: string } | null }[]; logs: { message: string }[] }>(`${url}/api/runs/${runId}`)
          const [materialization] = await json<{ runId: string; codeVersion: string }[]>(`${url}/api/materializations?key=raw/versioned&limit=1`)
          assert.equal(materialization?.runId, runId, JSON.stringify(detail))
          return { status: detail.run.status, codeVersion: materialization.codeVersion, logs: detail.logs.map((l) => l.message) }
        }
        const codeVersion = async () => (await json<{ codeVersion: string }>(`${url}/api/assets/raw/versioned`)).codeVersion

        const first = await run()
        assert.equal(first.status, 'succeeded')
        const [, pidA] = /^code A in (\d+)$/.exec(first.logs[0] ?? '') ?? []
        assert.ok(pidA && Number(pidA) !== dev.child.pid, `ran in a worker: ${first.logs}`)
        assert.equal(first.codeVersion, await codeVersion())
        // The worker stays warm for the next run.
        assert.ok(workerPids(dev.child.pid!).includes(Number(pidA)), 'the worker is kept warm')

        await writeFile(join(dir, 'assets', 'versioned.ts'), asset('B'))
        await events.waitFor((item) => 'event' in item && item.event === 'reload' && item.data.ok === true, 60_000)
        const newVersion = await codeVersion()
        assert.notEqual(newVersion, first.codeVersion, 'the edit changed the code version')
        // The warm worker holds the old code: it is retired, not handed the next step.
        await poll(`worker ${pidA} (old code) to end`, async () => (alive(Number(pidA)) ? undefined : true), 20_000)

        const second = await run()
        assert.equal(second.status, 'succeeded', JSON.stringify(second))
        const [, pidB] = /^code B in (\d+)$/.exec(second.logs[0] ?? '') ?? []
        assert.ok(pidB && pidB !== pidA, `the new code ran in a new worker: ${second.logs}`)
        assert.equal(second.codeVersion, newVersion)
        newWorker = Number(pidB)
      } finally {
        events.close()
        assert.equal(await stop(dev.child, dev.exited), 0, dev.output.stderr)
      }
      // dev's workers end with it.
      await poll(`worker ${newWorker} to end with dev`, async () => (alive(newWorker) ? undefined : true), 10_000)
    } finally {
      await cleanup()
    }
  })
})
