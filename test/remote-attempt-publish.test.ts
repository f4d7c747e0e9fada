// What the control plane tells its queue executor about an attempt's publish: one that writes
// files (no fence guards it) is not ended by a cancel while a worker runs it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import type { RemoteAttempt } from '../src/execution/executor.js'
import { defineAsset } from '../src/model/asset.js'
import { remoteDeps, remoteExecutor } from './helpers/remote-executor.js'
import { openProject } from './helpers/temp-project.js'

test('an attempt of an asset that publishes files says its publish is not fenced; others say nothing', async () => {
  const files = defineAsset({ key: 'f', io: 'files', materialize: () => undefined })
  const none = defineAsset({ key: 'n', io: 'none', materialize: () => undefined })
  const table = defineAsset({ key: 't', materialize: () => [{ id: 1 }] })
  const p = await openProject({ assets: [files, none, table] })
  try {
    const attempts = new Map<string, RemoteAttempt>()
    const remote = remoteExecutor({
      runAttempt: async (attempt) => {
        attempts.set(attempt.assetKey, attempt)
        return { status: 'succeeded', durationMs: 0 }
      },
      startAttempt: async (attempt) => {
        attempts.set(attempt.assetKey, attempt)
        return { acquired: true, holder: attempt.runId, stale: false, outcome: Promise.resolve({ status: 'succeeded', durationMs: 0 }) }
      },
    })
    const result = await executeRun(await remoteDeps(p.instance, p.dir, remote), planRun(p.instance.graph, ['f', 'n', 't']), { trigger: 'test' })
    assert.equal(result.status, 'succeeded')
    assert.equal(attempts.get('f')?.fencedPublish, false)
    assert.equal('fencedPublish' in attempts.get('n')!, false)
    assert.equal('fencedPublish' in attempts.get('t')!, false)
  } finally {
    await p.close()
  }
})
