// Jobs a worker's local queue gives back wake the idle workers after a short delay on the
// worker's clock, not the wall clock.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { wakeForReturned } from '../src/execution/queue/queue-worker.js'

test('jobs given back by a local queue wake the idle workers 100 ms later on the clock, counted', async () => {
  const clock = new ManualClock()
  const wakes: number[] = []
  wakeForReturned(clock, { wakeWorkers: async (count) => void wakes.push(count) }, 3)
  assert.equal(clock.pendingTimers, 1)
  clock.advance(99)
  assert.deepEqual(wakes, [])
  clock.advance(1)
  assert.deepEqual(wakes, [3])
  assert.equal(clock.pendingTimers, 0)
})
