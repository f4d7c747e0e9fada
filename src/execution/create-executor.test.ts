import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGraph } from '../graph/build-graph.js'
import { defineAsset } from '../model/asset.js'
import { TributaryError } from '../model/errors.js'
import { defineProject } from '../model/project.js'
import { defaultExecutorKind, workerSettings } from './create-executor.js'

const asset = defineAsset({ key: 'raw/a', materialize: () => undefined })

test('workers settings: defaults, project values, overrides; bad values are definition problems', () => {
  assert.deepEqual(workerSettings(defineProject({ name: 'p', assets: [asset] })), { maxHeapMb: undefined, graceMs: 2000 })
  const project = defineProject({ name: 'p', assets: [asset], workers: { maxHeapMb: 512, killGrace: '5s' } })
  assert.deepEqual(workerSettings(project), { maxHeapMb: 512, graceMs: 5000 })
  assert.deepEqual(workerSettings(project, { graceMs: 100 }), { maxHeapMb: 512, graceMs: 100 })
  const { problems } = buildGraph(defineProject({ name: 'p', assets: [asset], workers: { maxHeapMb: 1.5, killGrace: 'soon' } }))
  assert.deepEqual(problems.map((p) => p.code).sort(), ['TRB1007', 'TRB1016'])
  assert.match(problems.find((p) => p.code === 'TRB1016')!.message, /workers\.maxHeapMb must be a whole number/)
})

test('where code runs by default: TRIBUTARY_EXECUTOR, else the pool for projects on disk and in-process for in-memory ones', () => {
  assert.equal(defaultExecutorKind(false, {}), 'pool')
  assert.equal(defaultExecutorKind(true, {}), 'in-process')
  assert.equal(defaultExecutorKind(false, { TRIBUTARY_EXECUTOR: 'in-process' }), 'in-process')
  assert.equal(defaultExecutorKind(true, { TRIBUTARY_EXECUTOR: 'pool' }), 'pool')
  assert.throws(() => defaultExecutorKind(false, { TRIBUTARY_EXECUTOR: 'threads' }), (error: unknown) => error instanceof TributaryError && error.code === 'TRB1016' && /TRIBUTARY_EXECUTOR is "threads"/.test(error.message))
})
