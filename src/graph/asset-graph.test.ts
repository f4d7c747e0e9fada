import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { defineSource, files } from '../model/source.js'
import { AssetGraph, quoteRelation, relationOfKey, type GraphNode } from './asset-graph.js'
import { buildGraphOrThrow } from './build-graph.js'

const noop = () => []

// a → b → c → d, and a → e; f alone.
function chainGraph(): AssetGraph {
  const a = defineSource({ key: 'a', observe: files('a/*.csv') })
  const b = defineAsset({ key: 'b', ins: { a }, materialize: noop })
  const c = sqlAsset({ key: 'c', sql: 'select * from b' })
  const d = sqlAsset({ key: 'd', sql: 'select * from c' })
  const e = defineAsset({ key: 'e', ins: { a }, io: 'files', materialize: noop })
  const f = defineAsset({ key: 'f', materialize: noop })
  return buildGraphOrThrow(defineProject({ name: 't', assets: [f, e, d, c, b, a] }))
}

test('relationOfKey maps keys to relations', () => {
  assert.deepEqual(relationOfKey('raw/payments'), { schema: 'raw', name: 'payments' })
  assert.deepEqual(relationOfKey('orders'), { schema: 'main', name: 'orders' })
  assert.equal(relationOfKey('a/b/c'), undefined)
})

test('quoteRelation quotes both parts and escapes quotes', () => {
  assert.equal(quoteRelation({ schema: 'raw', name: 'payments' }), '"raw"."payments"')
  assert.equal(quoteRelation({ schema: 'we"ird', name: 'x""y' }), '"we""ird"."x""""y"')
})

test('upstreamOf and downstreamOf walk transitively, excluding the start', () => {
  const graph = chainGraph()
  assert.deepEqual([...graph.upstreamOf('d')].sort(), ['a', 'b', 'c'])
  assert.deepEqual([...graph.downstreamOf('a')].sort(), ['b', 'c', 'd', 'e'])
  assert.deepEqual([...graph.upstreamOf('a')], [])
  assert.deepEqual([...graph.downstreamOf('d')], [])
  assert.deepEqual([...graph.upstreamOf('f')], [])
  assert.deepEqual([...graph.downstreamOf('f')], [])
})

test('depth limits the walk to that many edges', () => {
  const graph = chainGraph()
  assert.deepEqual([...graph.upstreamOf('d', 1)].sort(), ['c'])
  assert.deepEqual([...graph.upstreamOf('d', 2)].sort(), ['b', 'c'])
  assert.deepEqual([...graph.upstreamOf('d', 0)], [])
  assert.deepEqual([...graph.downstreamOf('a', 1)].sort(), ['b', 'e'])
  assert.deepEqual([...graph.downstreamOf('a', 2)].sort(), ['b', 'c', 'e'])
  assert.deepEqual([...graph.downstreamOf('b', 10)].sort(), ['c', 'd'])
})

test('order is upstream first with ties by key; sort follows it', () => {
  const graph = chainGraph()
  assert.deepEqual(graph.order, ['a', 'b', 'c', 'd', 'e', 'f'])
  assert.deepEqual(graph.sort(['f', 'd', 'a', 'c']), ['a', 'c', 'd', 'f'])
  assert.deepEqual(graph.sort(new Set(['e', 'b'])), ['b', 'e'])
})

test('get, has and the node map', () => {
  const graph = chainGraph()
  assert.equal(graph.has('c'), true)
  assert.equal(graph.has('zzz'), false)
  assert.equal(graph.get('c').key, 'c')
  assert.throws(() => graph.get('zzz'), /no node zzz in the graph/)
  assert.deepEqual([...graph.nodes.keys()].sort(), ['a', 'b', 'c', 'd', 'e', 'f'])
  assert.ok(Object.isFrozen(graph.get('b')))
})

test('an AssetGraph can be built by hand; walks handle diamonds without repeats', () => {
  const node = (key: string, upstream: string[], downstream: string[]): GraphNode => ({
    key, def: defineAsset({ key, materialize: noop }), upstream, downstream, relation: relationOfKey(key), codeVersion: 'v',
  })
  // top → left, right → bottom
  const nodes = new Map<string, GraphNode>([
    ['top', node('top', [], ['left', 'right'])],
    ['left', node('left', ['top'], ['bottom'])],
    ['right', node('right', ['top'], ['bottom'])],
    ['bottom', node('bottom', ['left', 'right'], [])],
  ])
  const graph = new AssetGraph(nodes, ['top', 'left', 'right', 'bottom'])
  assert.deepEqual([...graph.downstreamOf('top')], ['left', 'right', 'bottom'])
  assert.deepEqual([...graph.upstreamOf('bottom')], ['left', 'right', 'top'])
  assert.deepEqual(graph.sort(['bottom', 'right', 'top']), ['top', 'right', 'bottom'])
})
