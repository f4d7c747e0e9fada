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

test("a first attempt carries what its unpartitioned upstreams published earlier in the run, as their workers' ends said, so its worker does not read them back; a retry reads the store", async () => {
  const a = defineAsset({ key: 'a', io: 'none', materialize: () => undefined })
  const b = defineAsset({ key: 'b', io: 'none', ins: { a }, materialize: () => undefined })
  const c = defineAsset({ key: 'c', io: 'none', ins: { a, b }, materialize: () => undefined })
  const d = defineAsset({ key: 'd', io: 'none', ins: { c }, materialize: () => undefined })
  const e = defineAsset({ key: 'e', io: 'none', ins: { a }, retry: { attempts: 2, initialDelay: '1ms', jitter: 0 }, materialize: () => undefined })
  const p = await openProject({ assets: [a, b, c, d, e] })
  try {
    const attempts = new Map<string, RemoteAttempt>()
    // c's end says nothing of what it published (an older worker): d's worker reads it. e's first attempt fails.
    const outcome = (attempt: RemoteAttempt) => {
      attempts.set(`${attempt.assetKey}#${attempt.attempt}`, attempt)
      if (attempt.assetKey === 'e' && attempt.attempt === 1) return { status: 'failed' as const, error: new Error('flaky') }
      return { status: 'succeeded' as const, durationMs: 0, ...(attempt.assetKey === 'c' ? {} : { published: { dataVersion: `v-${attempt.assetKey}`, rowCount: attempt.assetKey.length } }) }
    }
    const remote = remoteExecutor({
      runAttempt: async (attempt) => outcome(attempt),
      startAttempt: async (attempt) => ({ acquired: true, holder: attempt.runId, stale: false, outcome: Promise.resolve(outcome(attempt)) }),
    })
    const result = await executeRun(await remoteDeps(p.instance, p.dir, remote), planRun(p.instance.graph, ['a', 'b', 'c', 'd', 'e']), { trigger: 'test', force: true })
    assert.equal(result.status, 'succeeded')
    assert.equal(attempts.get('a#1')?.known, undefined)
    assert.deepEqual(attempts.get('b#1')?.known, { a: { dataVersion: 'v-a', rowCount: 1 } })
    assert.deepEqual(attempts.get('c#1')?.known, { a: { dataVersion: 'v-a', rowCount: 1 }, b: { dataVersion: 'v-b', rowCount: 1 } })
    assert.equal(attempts.get('d#1')?.known, undefined)
    assert.deepEqual(attempts.get('e#1')?.known, { a: { dataVersion: 'v-a', rowCount: 1 } })
    assert.equal(attempts.get('e#2')?.known, undefined, 'a retry reads what is published then')
  } finally {
    await p.close()
  }
})

test("a hand-off offer carries what the offered step's other upstreams published earlier in the run", async () => {
  const a = defineAsset({ key: 'a', io: 'none', materialize: () => undefined })
  const b = defineAsset({ key: 'b', io: 'none', ins: { a }, materialize: () => undefined })
  const c = defineAsset({ key: 'c', io: 'none', ins: { a, b }, materialize: () => undefined })
  const p = await openProject({ assets: [a, b, c] })
  try {
    const attempts = new Map<string, RemoteAttempt>()
    const published = (key: string) => ({ dataVersion: `v-${key}`, rowCount: 1 })
    // a's worker does not hand b off (the control plane starts it); b's hands c off: the control plane adopts it.
    const outcome = (attempt: RemoteAttempt) => ({ status: 'succeeded' as const, durationMs: 0, published: published(attempt.assetKey), ...(attempt.next?.assetKey === 'c' ? { handedOff: { assetKey: 'c', partition: null } } : {}) })
    const remote = remoteExecutor({
      runAttempt: async (attempt) => (attempts.set(attempt.assetKey, attempt), outcome(attempt)),
      startAttempt: async (attempt) => {
        attempts.set(attempt.assetKey, attempt)
        return { acquired: true, holder: attempt.runId, stale: false, outcome: Promise.resolve(outcome(attempt)) }
      },
      adoptAttempt: async (attempt) => (attempts.set(attempt.assetKey, attempt), outcome(attempt)),
    })
    const result = await executeRun(await remoteDeps(p.instance, p.dir, remote), planRun(p.instance.graph, ['a', 'b', 'c']), { trigger: 'test', force: true })
    assert.equal(result.status, 'succeeded')
    assert.deepEqual(attempts.get('b')?.next, { assetKey: 'c', partition: null, codeVersion: p.instance.graph.get('c').codeVersion, pool: null, whenChanged: false, known: { a: published('a') } })
    // The adopted step's own attempts carry what both its upstreams published.
    assert.deepEqual(attempts.get('c')?.known, { a: published('a'), b: published('b') })
  } finally {
    await p.close()
  }
})
