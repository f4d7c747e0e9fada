import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
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
