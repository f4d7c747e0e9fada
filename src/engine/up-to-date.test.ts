import assert from 'node:assert/strict'
import { test } from 'node:test'
import { upToDate, UP_TO_DATE } from './up-to-date.js'

const last = { runId: 'r1', codeVersion: 'c1', inputVersions: { 'raw/a': 'v1', 'raw/b': 'w1' } }
const facts = { codeVersion: 'c1', upstream: ['raw/a', 'raw/b'], inputVersions: { 'raw/a': 'v1', 'raw/b': 'w1' }, last }

test('same code and the same input versions: up to date, naming the run that built it', () => {
  const reason = upToDate(facts)
  assert.ok(reason?.startsWith(UP_TO_DATE))
  assert.match(reason!, /2 input versions unchanged since run r1/)
})

test('a changed input, changed code, a new or dropped input, or no materialization: build', () => {
  assert.equal(upToDate({ ...facts, inputVersions: { 'raw/a': 'v2', 'raw/b': 'w1' } }), undefined)
  assert.equal(upToDate({ ...facts, codeVersion: 'c2' }), undefined)
  assert.equal(upToDate({ ...facts, upstream: ['raw/a', 'raw/b', 'raw/c'], inputVersions: { ...facts.inputVersions, 'raw/c': 'x' } }), undefined)
  assert.equal(upToDate({ ...facts, upstream: ['raw/a'], inputVersions: { 'raw/a': 'v1' } }), undefined)
  assert.equal(upToDate({ ...facts, inputVersions: { 'raw/a': 'v1' } }), undefined)
  assert.equal(upToDate({ ...facts, last: undefined }), undefined)
})

test('an asset with nothing upstream reads the outside world: never up to date', () => {
  assert.equal(upToDate({ codeVersion: 'c1', upstream: [], inputVersions: {}, last: { runId: 'r1', codeVersion: 'c1', inputVersions: {} } }), undefined)
})
