import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset } from '../model/asset.js'
import { TributaryError } from '../model/errors.js'
import { defineProject, duckdb } from '../model/project.js'
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

test('an option the factory does not take is refused with its likely name: queue() TRB7004, postgres() TRB1050, duckdb() TRB5022; postgres() retryFor', () => {
  const refuses = (make: () => unknown, code: string, message: RegExp, hint: RegExp) => assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof TributaryError && error.code === code, String(error))
    assert.match(error.message, message)
    assert.match(error.hint ?? '', hint)
    return true
  })
  refuses(() => queue({ leaseTime: '10s' } as never), 'TRB7004', /queue\(\) sets leaseTime, which it does not take \(did you mean lease\?\)/, /it takes lease, heartbeat, giveUp\./)
  refuses(() => postgres({ url: 'postgres://u@h:5432/db', poolsize: 5 } as never), 'TRB1050', /postgres\(\) sets poolsize.*did you mean poolSize\?/, /Rename it to poolSize/)
  // Checked before the url, so the environment variable's value never gets near the message.
  refuses(() => postgres({ url: undefined, statement_timeout: '5s' } as never), 'TRB1050', /sets statement_timeout.*did you mean statementTimeout\?/, /url, poolSize, statementTimeout, retryFor, schema/)
  refuses(() => duckdb({ file: 'w.duckdb' } as never), 'TRB5022', /duckdb\(\) sets file, which it does not take/, /it takes path\./)
  assert.deepEqual(duckdb({ path: 'w.duckdb' }), { type: 'duckdb', path: 'w.duckdb' })
  // retryFor: how long a control plane rides out an outage; '0s' turns it off, a bad duration is refused.
  assert.equal(postgres({ url: 'postgres://u@h:5432/db' }).retryForMs, 30_000)
  assert.equal(postgres({ url: 'postgres://u@h:5432/db', retryFor: '0s' }).retryForMs, 0)
  refuses(() => postgres({ url: 'postgres://u@h:5432/db', retryFor: 'a while' }), 'TRB1050', /postgres\(\) retryFor must be a duration such as '30s', or '0s' for never \(got "a while"\)/, /Leave it out for '30s'/)
})
