import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGraphOrThrow } from '../graph/build-graph.js'
import { defineAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { defineSource, files } from '../model/source.js'
import { planRun } from './plan.js'
import { upToDate, UP_TO_DATE } from './up-to-date.js'
import { upToDatePlan } from './up-to-date-plan.js'

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

test('a check added since the last build makes it build (its output was never checked by it)', () => {
  assert.ok(upToDate({ ...facts, checks: { now: ['unique(id)'], evaluated: new Set(['unique(id)']) } }))
  assert.equal(upToDate({ ...facts, checks: { now: ['unique(id)', 'contract'], evaluated: new Set(['unique(id)']) } }), undefined)
})

test('an asset with nothing upstream reads the outside world: never up to date', () => {
  assert.equal(upToDate({ codeVersion: 'c1', upstream: [], inputVersions: {}, last: { runId: 'r1', codeVersion: 'c1', inputVersions: {} } }), undefined)
})

test('plan pass: a reader of an input rebuilt in the same run is built; readers of up-to-date inputs are skipped', () => {
  const source = defineSource({ key: 'landing/x', observe: files('landing/*.csv') })
  const a = defineAsset({ key: 'raw/a', ins: { source }, materialize: () => [] })
  const b = defineAsset({ key: 'raw/b', ins: { a }, materialize: () => [] })
  const c = defineAsset({ key: 'raw/c', ins: { b }, materialize: () => [] })
  const d = defineAsset({ key: 'raw/d', ins: { a }, materialize: () => [] })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [source, a, b, c, d] }))
  const plan = planRun(graph, ['raw/a', 'raw/b', 'raw/c', 'raw/d'])
  const built = (key: string, inputVersions: Record<string, string>, codeVersion = graph.get(key).codeVersion) => ({ runId: 'r1', codeVersion, dataVersion: `${key}-v1`, inputVersions })
  const last = new Map([
    ['raw/a', built('raw/a', { 'landing/x': 's1' })],
    ['raw/b', built('raw/b', { 'raw/a': 'raw/a-v1' }, 'old-code')],
    ['raw/c', built('raw/c', { 'raw/b': 'raw/b-v1' })],
    ['raw/d', built('raw/d', { 'raw/a': 'raw/a-v1' })],
  ])
  const skipped = upToDatePlan(graph, plan, last, new Map([['landing/x', 's1']]))
  assert.deepEqual([...skipped.keys()].sort(), ['raw/a', 'raw/d'])
  assert.deepEqual([...upToDatePlan(graph, plan, last, new Map([['landing/x', 's2']])).keys()], [], 'a new source version rebuilds everything downstream')
})
