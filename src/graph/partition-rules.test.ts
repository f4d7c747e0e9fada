import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset, sqlAsset, type AnyNode } from '../model/asset.js'
import { ErrorCode } from '../model/errors.js'
import { allPartitions, dailyPartitions, identity, monthlyPartitions, staticPartitions, window } from '../model/partitions.js'
import { defineProject } from '../model/project.js'
import { buildGraph } from './build-graph.js'

const noop = () => []
const build = (assets: readonly unknown[]) => buildGraph(defineProject({ name: 'test', assets: assets as AnyNode[] }))
const problems = (assets: readonly unknown[]) => build(assets).problems.map((p) => [p.code, p.context.assetKey, p.hint !== undefined && p.hint.length > 10])

test('valid partitions resolve default and explicit mappings', () => {
  const days = dailyPartitions({ start: '2026-01-01' })
  const raw = defineAsset({ key: 'raw/p', partitions: days, materialize: noop })
  const rolling = defineAsset({ key: 'marts/rolling', ins: { raw }, partitions: days, partitionMappings: { raw: window({ lookback: 6 }) }, materialize: noop })
  const monthly = sqlAsset({ key: 'marts/monthly', sql: 'select * from raw.p', partitions: monthlyPartitions({ start: '2026-01-01' }) })
  const same = sqlAsset({ key: 'marts/same', sql: 'select * from raw.p', partitions: days })
  const whole = sqlAsset({ key: 'marts/whole', sql: 'select * from marts.same' })
  const { graph, problems } = build([raw, rolling, monthly, same, whole])
  assert.deepEqual(problems, [])
  assert.deepEqual(graph!.get('marts/rolling').partitionMappings!.get('raw/p'), window({ lookback: 6 }))
  assert.deepEqual(graph!.get('marts/monthly').partitionMappings!.get('raw/p'), window())
  assert.deepEqual(graph!.get('marts/same').partitionMappings!.get('raw/p'), identity())
  assert.deepEqual(graph!.get('marts/whole').partitionMappings!.get('marts/same'), allPartitions())
  assert.equal(graph!.get('raw/p').partitions, days)
})

test('invalid partitions definitions are TRB1017/TRB1008 with hints', () => {
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: dailyPartitions({ start: 'soon' }), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: dailyPartitions({ start: '2026-03-01', end: '2026-02-01' }), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: dailyPartitions({ start: '2026-02-30' }), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: dailyPartitions({ start: '2026-03-01', timezone: 'Mars/Olympus' }), materialize: noop })]), [[ErrorCode.InvalidTimezone, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: staticPartitions([]), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: staticPartitions(['eu', 'eu']), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: staticPartitions(["eu'; drop"]), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', partitions: staticPartitions(['eu']), partitionColumn: 'bad column', materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
  assert.deepEqual(problems([defineAsset({ key: 'a', io: 'files', partitions: staticPartitions(['eu']), materialize: noop })]), [[ErrorCode.InvalidPartitions, 'a', true]])
})

test('impossible mappings are TRB1018 with hints', () => {
  const days = dailyPartitions({ start: '2026-01-01' })
  const raw = defineAsset({ key: 'raw/p', partitions: days, materialize: noop })
  const plain = defineAsset({ key: 'raw/plain', materialize: noop })
  const regions = defineAsset({ key: 'raw/regions', partitions: staticPartitions(['eu', 'us']), materialize: noop })
  const mapping = (spec: Record<string, unknown>) => problems([raw, plain, regions, defineAsset({ key: 'x', materialize: noop, ...spec } as never)])
  assert.deepEqual(mapping({ ins: { raw }, partitions: monthlyPartitions({ start: '2026-01-01' }), partitionMappings: { raw: identity() } }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { regions }, partitions: days, partitionMappings: { regions: window() } }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { raw }, partitions: days, partitionMappings: { raw: window({ lookback: -1 }) } }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { plain }, partitions: days, partitionMappings: { plain: identity() } }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { raw }, partitions: days, partitionMappings: { other: identity() } }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { regions }, partitions: staticPartitions(['north']) }), [[ErrorCode.InvalidPartitionMapping, 'x', true]])
  assert.deepEqual(mapping({ ins: { regions }, partitions: staticPartitions(['north']), partitionMappings: { regions: allPartitions() } }), [])
  assert.deepEqual(mapping({ ins: { regions }, partitions: days }), [], 'static into time reads all')
})
