import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PoolGate } from './pool-gate.js'

test('PoolGate: a step past its pool limit waits for a place, and says so once; the flags forbid a full pool, waiting steps counted', async () => {
  const gate = new PoolGate({ warehouse: 1 })
  assert.deepEqual(gate.forbidden(), [])
  const waited: string[] = []
  const first = await gate.enter('warehouse', (pool) => waited.push(`first ${pool}`))
  assert.deepEqual(gate.forbidden(), ['pool:warehouse'])
  let secondIn = false
  const second = gate.enter('warehouse', (pool) => waited.push(`second ${pool}`)).then((leave) => {
    secondIn = true
    return leave
  })
  // Steps of no pool, or of a pool with no limit here, never wait.
  ;(await gate.enter(null))()
  ;(await gate.enter('api'))()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(secondIn, false, 'the second waits while the first runs')
  assert.deepEqual(waited, ['second warehouse'], 'only a step that must wait is said to (the worker lists it waiting)')
  first()
  const leave = await second
  assert.equal(secondIn, true)
  assert.deepEqual(gate.forbidden(), ['pool:warehouse'])
  leave()
  assert.deepEqual(gate.forbidden(), [])
})
