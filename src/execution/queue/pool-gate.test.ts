import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PoolGate } from './pool-gate.js'

test('PoolGate: a step past its pool limit waits for a place; the flags forbid a full pool, waiting steps counted', async () => {
  const gate = new PoolGate({ warehouse: 1 })
  assert.deepEqual(gate.forbidden(), [])
  const first = await gate.enter('warehouse')
  assert.deepEqual(gate.forbidden(), ['pool:warehouse'])
  let secondIn = false
  const second = gate.enter('warehouse').then((leave) => {
    secondIn = true
    return leave
  })
  // Steps of no pool, or of a pool with no limit here, never wait.
  ;(await gate.enter(null))()
  ;(await gate.enter('api'))()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(secondIn, false, 'the second waits while the first runs')
  first()
  const leave = await second
  assert.equal(secondIn, true)
  assert.deepEqual(gate.forbidden(), ['pool:warehouse'])
  leave()
  assert.deepEqual(gate.forbidden(), [])
})
