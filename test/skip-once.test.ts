import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import { defineAsset } from '../src/model/asset.js'
import type { Store } from '../src/store/store.js'
import { openProject } from './helpers/temp-project.js'

test('two upstreams failing at once skip their common downstream once: one record, one event, counts that add up', async () => {
  const a = defineAsset({ key: 'raw/a', io: 'none', materialize() { throw new Error('a broke') } })
  const b = defineAsset({ key: 'raw/b', io: 'none', materialize() { throw new Error('b broke') } })
  const both = defineAsset({ key: 'marts/both', io: 'none', ins: { a, b }, materialize() {} })
  const after = defineAsset({ key: 'marts/after', io: 'none', ins: { both }, materialize() {} })
  const p = await openProject({ assets: [a, b, both, after] })
  try {
    const progress: string[] = []
    const result = await p.instance.materialize(undefined, { onProgress: (event) => void (event.type === 'step' && event.status === 'skipped' && progress.push(event.key)) })
    assert.equal(result.status, 'failed')
    assert.deepEqual(result.counts, { queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 2, blocked: 0, skipped: 2, canceled: 0 })
    assert.deepEqual(progress.sort(), ['marts/after', 'marts/both'])
    const skippedEvents = (await p.instance.store.listEvents({ runId: result.runId, limit: 1000 })).filter((e) => e.type === 'step_skipped')
    assert.deepEqual(skippedEvents.map((e) => e.assetKey).sort(), ['marts/after', 'marts/both'])
  } finally {
    await p.close()
  }
})

test('a skip the store fails to record is asked again: the step and its downstream end skipped, not left for the run end to cancel', async () => {
  const a = defineAsset({ key: 'raw/a', io: 'none', materialize() { throw new Error('a broke') } })
  const both = defineAsset({ key: 'marts/both', io: 'none', ins: { a }, materialize() {} })
  const after = defineAsset({ key: 'marts/after', io: 'none', ins: { both }, materialize() {} })
  const p = await openProject({ assets: [a, both, after] })
  try {
    const real = p.instance.store
    let failures = 0
    // The real store, failing the first record of a skip once.
    const store: Store = Object.assign(Object.create(real) as Store, {
      updateStep: (update: Parameters<Store['updateStep']>[0]) => {
        if (update.status === 'skipped' && failures++ === 0) return Promise.reject(new Error('store unreachable for a moment'))
        return real.updateStep(update)
      },
    })
    const deps = { graph: p.instance.graph, store, warehouse: await p.instance.warehouse(), clock: p.instance.clock, projectDir: p.dir, stateDir: p.instance.stateDir, settings: p.instance.settings }
    const result = await executeRun(deps, planRun(p.instance.graph, ['raw/a', 'marts/both', 'marts/after']), { trigger: 'test' })
    assert.equal(failures, 3)
    assert.deepEqual(result.counts, { queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 1, blocked: 0, skipped: 2, canceled: 0 })
    const steps = await real.listSteps(result.runId)
    assert.deepEqual(Object.fromEntries(steps.map((s) => [s.assetKey, s.status])), { 'raw/a': 'failed', 'marts/both': 'skipped', 'marts/after': 'skipped' })
  } finally {
    await p.close()
  }
})
