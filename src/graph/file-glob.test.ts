import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TributaryError } from '../model/errors.js'
import { compileGlob, MAX_GLOB_LENGTH } from './file-glob.js'

test('file globs: * and ? within a segment, ** across segments, braces and ranges', () => {
  const csv = compileGlob('landing/crm/*.csv')
  assert.equal(csv.matches('landing/crm/2026-03-01.csv'), true)
  assert.equal(csv.matches('landing/crm/sub/2026-03-01.csv'), false)
  assert.equal(csv.matches('landing/crm/.hidden.csv'), false)
  assert.deepEqual([csv.bases, csv.deep], [['landing/crm'], false])
  const deep = compileGlob('landing/**/*.{csv,tsv}')
  assert.equal(deep.matches('landing/a.csv'), true)
  assert.equal(deep.matches('landing/x/y/z.tsv'), true)
  assert.equal(deep.matches('landing/x/y/z.json'), false)
  assert.deepEqual([deep.bases, deep.deep], [['landing'], true])
  const alternatives = compileGlob('{crm,erp}/day-{1..3}.cs?')
  assert.deepEqual([...alternatives.bases].sort(), ['crm', 'erp'])
  assert.equal(alternatives.matches('erp/day-2.csv'), true)
  assert.equal(alternatives.matches('erp/day-4.csv'), false)
  assert.equal(compileGlob('*.csv').matches('a.csv'), true)
  assert.deepEqual(compileGlob('*.csv').bases, [''])
})

test('file globs match in linear time: 30 stars then a character, and *a repeated, against long names', () => {
  // picomatch or a hand-made RegExp takes seconds at 4 `*a` on a 255-character name and hours at 30.
  const name = 'a'.repeat(255)
  assert.equal(compileGlob(`${'*'.repeat(30)}x`).matches(name), false)
  assert.equal(compileGlob(`${'*a'.repeat(30)}x`).matches(name), false)
  assert.equal(compileGlob(`${'**/'.repeat(30)}x`).matches(Array.from({ length: 2_000 }, () => 'a').join('/')), false)
  assert.equal(compileGlob(`${'*a'.repeat(30)}`).matches(name), true)
})

test('a glob too long or expanding to too many patterns is refused with TRB2011', () => {
  assert.throws(() => compileGlob(`landing/${'x'.repeat(MAX_GLOB_LENGTH)}.csv`), (error: unknown) =>
    error instanceof TributaryError && error.code === 'TRB2011' && /at most 512/.test(error.message) && Boolean(error.hint))
  assert.throws(() => compileGlob('a/{1..100000}.csv'), (error: unknown) => error instanceof TributaryError && error.code === 'TRB2011')
  assert.throws(() => compileGlob('{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}'), (error: unknown) =>
    error instanceof TributaryError && error.code === 'TRB2011' && /expands to 512 patterns/.test(error.message))
})
