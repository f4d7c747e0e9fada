// A run canceled while the control plane decides a step bound for a queue worker enqueues nothing:
// the cancel is looked at right before the write that would enqueue it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import { remoteDeps, remoteExecutor } from './helpers/remote-executor.js'
import { defineAsset } from '../src/model/asset.js'
import type { Store } from '../src/store/store.js'
import { openProject } from './helpers/temp-project.js'

test('a cancel while a remote step is being decided ends it canceled without enqueuing it', async () => {
  const a = defineAsset({ key: 'a', io: 'none', materialize: () => undefined })
  const b = defineAsset({ key: 'b', io: 'none', ins: { a }, materialize: () => undefined })
  const p = await openProject({ assets: [a, b] })
  try {
    assert.equal((await p.instance.materialize('a')).status, 'succeeded')
    const cancel = new AbortController()
    // Deciding b (not forced, its upstream built in the run) reads a's state: the cancel lands then.
    const store: Store = Object.assign(Object.create(p.instance.store) as Store, {
      assetStates: (...args: Parameters<Store['assetStates']>) => {
        if (args[0]?.length === 1 && args[0][0] === 'a') cancel.abort()
        return p.instance.store.assetStates(...args)
      },
    })
    const submitted: string[] = []
    const remote = remoteExecutor({
      runAttempt: async (attempt) => {
        submitted.push(`run ${attempt.assetKey}`)
        return { status: 'succeeded', durationMs: 0 }
      },
      startAttempt: async (attempt) => {
        submitted.push(`start ${attempt.assetKey}`)
        return { acquired: true, holder: attempt.runId, stale: false, outcome: Promise.resolve({ status: 'succeeded', durationMs: 0 }) }
      },
    })
    const deps = await remoteDeps(p.instance, p.dir, remote, store)
    const result = await executeRun(deps, planRun(p.instance.graph, ['a', 'b']), { signal: cancel.signal, trigger: 'test' })
    assert.equal(result.status, 'canceled')
    // a (no upstream, nothing to decide) went to the worker; b, decided after the cancel, did not.
    assert.deepEqual(submitted, ['start a'])
    // (a's records are a worker's to write; this fake writes none.)
    const b = (await p.instance.store.listSteps(result.runId)).find((s) => s.assetKey === 'b')
    assert.deepEqual([b?.status, b?.reason], ['canceled', 'the run was canceled before this step started'])
  } finally {
    await p.close()
  }
})
