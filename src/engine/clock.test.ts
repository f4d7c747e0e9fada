import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock, startRepeating, startTimer, type Clock } from './clock.js'

test('ManualClock repeats fire when time moves, once per move however far, until stopped; timersSet does not count them', async () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z')
  const beats: string[] = []
  const stop = startRepeating(clock, 1_000, () => beats.push(clock.now().toISOString()))
  let timerSet = false
  void clock.timersSet(1).then(() => (timerSet = true))
  clock.advance(999)
  assert.deepEqual(beats, [])
  clock.advance(1)
  clock.advance(3_600_000)
  assert.deepEqual(beats, ['2026-01-01T00:00:01.000Z', '2026-01-01T01:00:01.000Z'], 'an hour in one move is one beat')
  await clock.sleep(1_000)
  assert.equal(beats.length, 3, 'a sleep moves time too')
  stop()
  clock.advance(10_000)
  assert.equal(beats.length, 3)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(timerSet, false, 'a repeat is not a timer a test waits to be set')
  assert.equal(clock.pendingTimers, 0)
  const stopTimer = startTimer(clock, 5, () => undefined)
  await clock.timersSet(1)
  assert.equal(clock.pendingTimers, 1)
  clock.advance(4)
  assert.equal(clock.pendingTimers, 1, 'not due yet')
  clock.advance(1)
  assert.equal(clock.pendingTimers, 0, 'fired')
  startTimer(clock, 5, () => undefined)
  stopTimer()
  assert.equal(clock.pendingTimers, 1, 'stopping a fired timer leaves the others')
})

test('a clock without timers of its own repeats on the wall clock', async () => {
  const bare: Clock = { now: () => new Date(), sleep: () => Promise.resolve() }
  let beats = 0
  // The interval never keeps a process alive (a run's heartbeat must not): this test's own timer does.
  const alive = setTimeout(() => assert.fail('no three beats in 10 s'), 10_000)
  await new Promise<void>((resolve) => {
    const stop = startRepeating(bare, 1, () => {
      if (++beats < 3) return
      stop()
      resolve()
    })
  })
  clearTimeout(alive)
  assert.equal(beats, 3)
})
