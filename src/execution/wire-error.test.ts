import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AssetExecutionError, TributaryError } from '../model/errors.js'
import { fromWire, toWire } from './wire-error.js'

test('a TributaryError crosses the process boundary with its code, hint, context, retry intent and cause', () => {
  const original = new AssetExecutionError('raw/orders', new Error('vendor API returned 500'), false)
  // What structured clone does to plain data: a copy, no prototypes.
  const back = fromWire(structuredClone(toWire(original)))
  assert.ok(back instanceof TributaryError)
  assert.equal(back.code, 'TRB3001')
  assert.equal(back.message, original.message)
  assert.equal(back.detail, original.detail)
  assert.equal(back.retryable, false)
  assert.equal(back.hint, original.hint)
  assert.deepEqual(back.context, { assetKey: 'raw/orders' })
  assert.equal(back.name, 'AssetExecutionError')
  assert.equal((back.cause as Error).message, 'vendor API returned 500')
  assert.equal(back.stack, original.stack)
})

test('other errors and thrown values come back as plain Errors with their name and message', () => {
  const type = fromWire(structuredClone(toWire(new TypeError('x is not a function'))))
  assert.ok(!(type instanceof TributaryError))
  assert.deepEqual([type.name, type.message], ['TypeError', 'x is not a function'])
  const thrown = fromWire(toWire('a string was thrown'))
  assert.equal(thrown.message, 'a string was thrown')
  // A look-alike code from user code is not a Tributary code.
  const fake = Object.assign(new Error('nope'), { code: 'ENOENT' })
  assert.ok(!(fromWire(toWire(fake)) instanceof TributaryError))
})
