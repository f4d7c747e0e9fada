// SIGTERM (systemd, Kubernetes, `timeout`) and SIGHUP (a closed terminal) stop a CLI run the way
// Ctrl-C does: the run is recorded canceled, never left "running", and the exit code says why.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { cli, cliProcess } from './helpers/cli.js'
import { runningStep } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineAsset, defineProject, dailyPartitions } from 'tributary-orchestrator'

const days = dailyPartitions({ start: '2026-03-01' })
export const first = defineAsset({ key: 'raw/first', async materialize() { return [{ id: 1 }] } })
// Hangs and ignores ctx.signal, like real code that forgets it: only the engine can stop it.
export const hung = defineAsset({ key: 'raw/hung', ins: { first }, async materialize() { await new Promise(() => setInterval(() => {}, 1000)) } })
export const after = defineAsset({ key: 'raw/after', ins: { hung }, async materialize() { return [{ id: 1 }] } })
export const events = defineAsset({
  key: 'raw/events', partitions: days,
  async materialize(_inputs, ctx) {
    if (ctx.partition === '2026-03-02') await new Promise(() => setInterval(() => {}, 1000))
    return [{ id: 1 }]
  },
})
export default defineProject({ name: 'signals', assets: [first, hung, after, events], concurrency: 1 })
`

function exited(child: ReturnType<typeof cliProcess>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })))
}

async function withProject(body: (dir: string, store: SqliteStore) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir('signals-')
  try {
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const init = cli(['runs', '--project', dir]) // creates and migrates the store
    assert.equal(init.code, 0, init.stderr)
    const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
    try {
      await body(dir, store)
    } finally {
      await store.close()
    }
  } finally {
    await cleanup()
  }
}

describe('stop signals', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    test(`${signal} during materialize: the run is recorded canceled and the CLI exits ${code}`, async () => {
      await withProject(async (dir, store) => {
        const child = cliProcess(['materialize', '+raw/after', '--project', dir, '--json'])
        const done = exited(child)
        try {
          const runId = await runningStep(store, 'raw/hung')
          child.kill(signal)
          const result = await done
          assert.equal(result.signal, null, `the process handled ${signal} instead of dying of it`)
          assert.equal(result.code, code, result.stderr)
          assert.match(result.stderr, new RegExp(`${signal}: canceling the run`))
          assert.equal(JSON.parse(result.stdout).status, 'canceled')
          const run = (await store.getRun(runId))!
          assert.equal(run.status, 'canceled', 'the run is not left running')
          assert.ok(run.finishedAt)
          const steps = Object.fromEntries((await store.listSteps(runId)).map((s) => [s.assetKey, s.status]))
          assert.deepEqual(steps, { 'raw/first': 'succeeded', 'raw/hung': 'canceled', 'raw/after': 'canceled' })
          assert.deepEqual(await store.listActiveRuns(), [])
        } finally {
          child.kill('SIGKILL')
        }
      })
    })
  }

  test('SIGTERM during a backfill cancels it at once (no waiting for running steps) and it stays resumable', async () => {
    await withProject(async (dir, store) => {
      const child = cliProcess(['backfill', 'raw/events', '--from', '2026-03-01', '--to', '2026-03-04', '--only', 'all', '--project', dir])
      const done = exited(child)
      try {
        const runId = await runningStep(store, 'raw/events', '2026-03-02')
        child.kill('SIGTERM')
        const result = await done
        assert.equal(result.code, 143, result.stderr)
        assert.match(result.stderr, /SIGTERM: canceling the backfill/)
        assert.match(result.stdout, new RegExp(`resume: tributary backfill --resume ${runId}`))
        assert.equal((await store.getRun(runId))!.status, 'canceled')
        const hung = (await store.listSteps(runId)).find((s) => s.partition === '2026-03-02')
        assert.equal(hung?.status, 'canceled', 'the hung step was stopped, not waited for')
      } finally {
        child.kill('SIGKILL')
      }
    })
  })
})
