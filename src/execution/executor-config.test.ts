import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset } from '../model/asset.js'
import { TributaryError } from '../model/errors.js'
import { defineProject } from '../model/project.js'
import { postgres, sqlite } from '../store/store-config.js'
import { pool, queue } from './executor-config.js'
import { checkQueueStore } from './queue/step-queue-of.js'

test('queue(): a 30 s lease, a 5 s heartbeat and 2 min to give up by default; durations parsed; a heartbeat not shorter than the lease, or a give-up not longer than the heartbeat, is TRB7004', () => {
  assert.deepEqual(queue(), { type: 'queue', leaseMs: 30_000, heartbeatMs: 5_000, giveUpMs: 120_000 })
  assert.deepEqual(queue({ lease: '2s', heartbeat: '250ms', giveUp: '1m' }), { type: 'queue', leaseMs: 2_000, heartbeatMs: 250, giveUpMs: 60_000 })
  assert.deepEqual(pool(), { type: 'pool' })
  for (const options of [{ lease: '1s', heartbeat: '1s' }, { lease: 'soon' }, { heartbeat: '0s' }, { lease: '3s' }, { giveUp: '5s' }, { giveUp: 'never' }, { heartbeat: '1s', giveUp: '500ms' }]) {
    assert.throws(() => queue(options as { lease: string }), (error: unknown) => error instanceof TributaryError && error.code === 'TRB7004', JSON.stringify(options))
  }
})

test('executor: queue() needs the PostgreSQL store (TRB7001), checked before anything opens', () => {
  const assets = [defineAsset({ key: 'raw/a', materialize: () => undefined })]
  assert.throws(() => checkQueueStore(defineProject({ name: 'p', assets, executor: queue() })), /TRB7001/)
  assert.throws(() => checkQueueStore(defineProject({ name: 'p', assets, executor: queue(), store: sqlite() })), /TRB7001/)
  checkQueueStore(defineProject({ name: 'p', assets, executor: queue(), store: postgres({ url: 'postgres://u@h:5432/db' }) }))
  checkQueueStore(defineProject({ name: 'p', assets }))
})
