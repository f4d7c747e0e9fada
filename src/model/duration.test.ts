import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatDuration, parseDuration, tryParseDuration } from './duration.js'
import { DefinitionError } from './errors.js'

test('tryParseDuration reads single units', () => {
  assert.equal(tryParseDuration('500ms'), 500)
  assert.equal(tryParseDuration('30s'), 30_000)
  assert.equal(tryParseDuration('5m'), 300_000)
  assert.equal(tryParseDuration('26h'), 26 * 3_600_000)
  assert.equal(tryParseDuration('2d'), 2 * 86_400_000)
  assert.equal(tryParseDuration('1w'), 604_800_000)
})

test('tryParseDuration adds compound parts and decimals', () => {
  assert.equal(tryParseDuration('1h30m'), 5_400_000)
  assert.equal(tryParseDuration('1m30s'), 90_000)
  assert.equal(tryParseDuration('1s500ms'), 1500)
  assert.equal(tryParseDuration('1d2h3m4s5ms'), 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000 + 5)
  assert.equal(tryParseDuration('1.5h'), 5_400_000)
  assert.equal(tryParseDuration('0.25s'), 250)
  assert.equal(tryParseDuration('0s'), 0)
})

test('tryParseDuration trims surrounding whitespace', () => {
  assert.equal(tryParseDuration('  2h '), 7_200_000)
})

test('tryParseDuration rejects text that is not a duration', () => {
  for (const bad of ['', '   ', 'abc', '10', '-5s', '-1h', 'h', '1x', '1h30', '1 h', '1h 30m', '.5h', '5.h', '1hh', 'ms', '26H']) {
    assert.equal(tryParseDuration(bad), undefined, `expected ${JSON.stringify(bad)} to be rejected`)
  }
})

test('tryParseDuration takes non-negative finite numbers as milliseconds', () => {
  assert.equal(tryParseDuration(0), 0)
  assert.equal(tryParseDuration(1500), 1500)
  assert.equal(tryParseDuration(-1), undefined)
  assert.equal(tryParseDuration(Number.NaN), undefined)
  assert.equal(tryParseDuration(Number.POSITIVE_INFINITY), undefined)
})

test('tryParseDuration is not confused by earlier calls (shared sticky pattern)', () => {
  assert.equal(tryParseDuration('1h30'), undefined)
  assert.equal(tryParseDuration('2m'), 120_000)
  assert.equal(tryParseDuration('abc'), undefined)
  assert.equal(tryParseDuration('3s'), 3000)
})

test('parseDuration returns milliseconds or throws TRB1007 naming the field', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000)
  assert.equal(parseDuration(250), 250)
  assert.throws(
    () => parseDuration('soon', 'retry.maxDelay'),
    (error: unknown) => {
      assert.ok(error instanceof DefinitionError)
      assert.equal(error.code, 'TRB1007')
      assert.match(error.message, /^TRB1007: retry\.maxDelay "soon" is not a duration$/)
      assert.ok(error.hint && /ms, s, m, h, d, w/.test(error.hint))
      return true
    },
  )
  assert.throws(() => parseDuration(-5), /TRB1007: duration -5 is not a duration/)
  assert.throws(() => parseDuration(''), /TRB1007/)
})

test('formatDuration picks a readable unit', () => {
  assert.equal(formatDuration(0), '0ms')
  assert.equal(formatDuration(499.6), '500ms')
  assert.equal(formatDuration(999), '999ms')
  assert.equal(formatDuration(1000), '1.0s')
  assert.equal(formatDuration(1234), '1.2s')
  assert.equal(formatDuration(59_000), '59.0s')
  assert.equal(formatDuration(60_000), '1m 0s')
  assert.equal(formatDuration(185_000), '3m 5s')
  assert.equal(formatDuration(3_600_000), '1h 0m')
  assert.equal(formatDuration(7_800_000), '2h 10m')
  assert.equal(formatDuration(47 * 3_600_000 + 59 * 60_000), '47h 59m')
  assert.equal(formatDuration(48 * 3_600_000), '2d 0h')
  assert.equal(formatDuration(3 * 86_400_000 + 5 * 3_600_000 + 59 * 60_000), '3d 5h')
})

test('formatDuration carries rounding into the next unit', () => {
  assert.equal(formatDuration(119_500), '2m 0s')
  assert.equal(formatDuration(3_599_999), '1h 0m')
  assert.equal(formatDuration(59_960), '1m 0s')
  assert.equal(formatDuration(999.6), '1.0s')
})
