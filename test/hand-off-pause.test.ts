// A run on an executor that can adopt handed-off steps (queue workers): a pause asked in the
// control plane's own process is stored on the run, so workers hand off no more of its steps.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import type { RemoteOutcome } from '../src/execution/executor.js'
import { remoteDeps, remoteExecutor } from './helpers/remote-executor.js'
import { defineAsset } from '../src/model/asset.js'
import { openProject } from './helpers/temp-project.js'
import { poll } from './helpers/poll.js'

test('a pause given in-process is stored on the run (once: one run_requested event) when the executor adopts hand-offs', async () => {
  const a = defineAsset({ key: 'a', io: 'none', materialize: () => undefined })
  const b = defineAsset({ key: 'b', io: 'none', ins: { a }, materialize: () => undefined })
  const project = await openProject({ assets: [a, b] })
  try {
    const { instance } = project
    let finish: (outcome: RemoteOutcome) => void = () => undefined
    const outcome = new Promise<RemoteOutcome>((resolve) => (finish = resolve))
    let started: () => void = () => undefined
    const attemptStarted = new Promise<void>((resolve) => (started = resolve))
    // The first attempt runs until the test ends it.
    const remote = remoteExecutor({
      runAttempt: () => outcome,
      startAttempt: async (attempt) => {
        started()
        return { acquired: true, holder: attempt.runId, stale: false, outcome }
      },
      adoptAttempt: () => outcome,
    })
    const deps = await remoteDeps(instance, project.dir, remote)
    const pause = new AbortController()
    const done = executeRun(deps, planRun(instance.graph, ['a', 'b']), { runId: 'r-pause', trigger: 'backfill', pauseSignal: pause.signal })
    await attemptStarted
    pause.abort()
    await poll('the pause stored on the run', async () => ((await instance.store.getRun('r-pause'))?.requested === 'pause' ? true : undefined), 10_000, 5)
    finish({ status: 'succeeded', durationMs: 0 })
    const result = await done
    assert.equal(result.status, 'paused')
    assert.deepEqual(result.counts.succeeded, 1)
    const requests = (await instance.store.listEvents({ runId: 'r-pause' })).filter((e) => e.type === 'run_requested')
    assert.equal(requests.length, 1)
  } finally {
    await project.close()
  }
})
