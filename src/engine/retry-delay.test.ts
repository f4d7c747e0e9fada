import assert from 'node:assert/strict'
import { test } from 'node:test'
import { maxAttempts, retryDelay } from './retry-delay.js'

test('delays grow exponentially and stop at maxDelay', () => {
  const policy = { initialDelay: '1s', factor: 2, maxDelay: '5s', jitter: 0 }
  assert.deepEqual([1, 2, 3, 4, 5].map((attempt) => retryDelay(policy, attempt)), [1000, 2000, 4000, 5000, 5000])
})

test('jitter stays within its fraction of the delay', () => {
  const policy = { initialDelay: '10s', jitter: 0.2 }
  assert.equal(retryDelay(policy, 1, () => 0), 8000)
  assert.equal(retryDelay(policy, 1, () => 1), 12000)
  assert.equal(retryDelay(policy, 1, () => 0.5), 10000)
})

test('defaults: one attempt, 1s doubling', () => {
  assert.equal(maxAttempts(undefined), 1)
  assert.equal(retryDelay(undefined, 2, () => 0.5), 2000)
})
