import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cutLine, DEFAULT_LOG_LIMITS, truncatedMessage } from './log-limits.js'

test('cutLine keeps short lines and cuts long ones on a character boundary, saying how much', () => {
  assert.equal(cutLine('hello', 10), 'hello')
  assert.equal(cutLine('abcdefghij', 4), 'abcd … [line cut: 6 more characters]')
  // 'é' is two bytes: a cut through it keeps the whole characters before it.
  assert.equal(cutLine('aéé', 2), 'a … [line cut: 2 more characters]')
})

test('truncatedMessage names the limits and the count', () => {
  assert.equal(truncatedMessage(1, DEFAULT_LOG_LIMITS), '[log truncated] this step attempt passed its log limit (10000 lines or 1 MiB); 1 later line was not stored')
  assert.match(truncatedMessage(42, { lines: 3, bytes: 2048, lineBytes: 100 }), /\(3 lines or 2 KiB\); 42 later lines were not stored$/)
})
