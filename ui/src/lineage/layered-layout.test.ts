// The quick layered layout of big lineage graphs: every edge runs left to right, nodes never
// overlap, assets with no edge sit in rows above the graph, separate parts are packed apart,
// and 5,000 assets get a picture.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { layeredLayout } from './layered-layout'
import { NODE_GAP, type LayoutResponse } from './layout-types'

const HEIGHT = 34

function lay(widths: number[], edges: number[]): LayoutResponse {
  return layeredLayout({ id: 1, widths: Float64Array.from(widths), height: HEIGHT, edges: Int32Array.from(edges) })
}

const x = (r: LayoutResponse, i: number) => r.positions[i * 2]!
const y = (r: LayoutResponse, i: number) => r.positions[i * 2 + 1]!

/** Every edge leaves its source's right side and enters its target's left side further right. */
function assertLeftToRight(r: LayoutResponse, widths: number[], edges: number[]) {
  for (let e = 0; e < edges.length; e += 2) {
    const [from, to] = [edges[e]!, edges[e + 1]!]
    assert.ok(x(r, from) + widths[from]! < x(r, to), `edge ${from} → ${to} runs left to right`)
  }
}

/** No two nodes share any area, and all lie within width × height. */
function assertNoOverlap(r: LayoutResponse, widths: number[]) {
  const order = widths.map((_, i) => i).sort((a, b) => x(r, a) - x(r, b) || y(r, a) - y(r, b))
  for (let n = 0; n < order.length; n++) {
    const a = order[n]!
    assert.ok(x(r, a) >= 0 && y(r, a) >= 0 && x(r, a) + widths[a]! <= r.width + 0.001 && y(r, a) + HEIGHT <= r.height + 0.001, `node ${a} inside the drawing`)
    for (let m = n + 1; m < order.length && x(r, order[m]!) < x(r, a) + widths[a]!; m++) {
      const b = order[m]!
      const apart = y(r, b) >= y(r, a) + HEIGHT || y(r, a) >= y(r, b) + HEIGHT
      assert.ok(apart, `nodes ${a} and ${b} do not overlap`)
    }
  }
}

describe('layeredLayout', () => {
  test('a small graph: layers left to right, sinks and sources beside their neighbours, lone assets in a row above', () => {
    // 0 → 1 → 2, 0 → 3 (a sink), 4 → 2 (a source), 5 and 6 with no edge; a repeated edge and a self-loop are ignored.
    const widths = [120, 150, 110, 130, 140, 110, 200]
    const edges = [0, 1, 1, 2, 0, 3, 4, 2, 0, 1, 2, 2]
    const r = lay(widths, edges)
    assert.equal(r.engine, 'd3-dag')
    assertLeftToRight(r, widths, [0, 1, 1, 2, 0, 3, 4, 2])
    assertNoOverlap(r, widths)
    assert.equal(x(r, 3), x(r, 1), 'the sink 3 sits in the layer right after its reader 0, not at the far right')
    assert.equal(x(r, 4), x(r, 1), 'the source 4 sits in the layer right before its reader 2, not at the far left')
    // The lone assets share the top row, side by side; the graph starts below it.
    assert.equal(y(r, 5), 0)
    assert.equal(y(r, 6), 0)
    assert.equal(x(r, 6), x(r, 5) + widths[5]! + NODE_GAP)
    for (const i of [0, 1, 2, 3, 4]) assert.ok(y(r, i) >= HEIGHT + NODE_GAP, `node ${i} below the row of lone assets`)
  })

  test('only lone assets: one row, wrapped', () => {
    const widths = Array.from({ length: 30 }, () => 200)
    const r = lay(widths, [])
    assertNoOverlap(r, widths)
    assert.equal(y(r, 0), 0)
    assert.ok(y(r, 29) > 0, 'thirty 200 px wide assets wrap onto a second row')
    assert.equal(r.height, y(r, 29) + HEIGHT)
  })

  test('5,000 assets in 50 layers of 100', () => {
    const widths: number[] = []
    const edges: number[] = []
    for (let layer = 0; layer < 50; layer++) {
      for (let i = 0; i < 100; i++) {
        const node = widths.push(110 + ((i * 37) % 140)) - 1
        if (layer > 0) edges.push(node - 100, node, (layer - 1) * 100 + ((i * 7 + 3) % 100), node)
      }
    }
    const r = lay(widths, edges)
    assertLeftToRight(r, widths, edges)
    assertNoOverlap(r, widths)
  })

  test('separate parts: each in a box of its own, packed in rows near a screen\'s shape', () => {
    // 20 copies of a small pipeline: two sources, a join, two readers of it.
    const widths: number[] = []
    const edges: number[] = []
    for (let copy = 0; copy < 20; copy++) {
      const at = widths.push(120, 120, 140, 160, 160) - 5
      edges.push(at, at + 2, at + 1, at + 2, at + 2, at + 3, at + 2, at + 4)
    }
    const r = lay(widths, edges)
    assertLeftToRight(r, widths, edges)
    assertNoOverlap(r, widths)
    const boxes = Array.from({ length: 20 }, (_, copy) => {
      const nodes = [0, 1, 2, 3, 4].map((k) => copy * 5 + k)
      return {
        left: Math.min(...nodes.map((i) => x(r, i))), right: Math.max(...nodes.map((i) => x(r, i) + widths[i]!)),
        top: Math.min(...nodes.map((i) => y(r, i))), bottom: Math.max(...nodes.map((i) => y(r, i) + HEIGHT)),
      }
    })
    for (let a = 0; a < boxes.length; a++) {
      for (let b = a + 1; b < boxes.length; b++) {
        const [p, q] = [boxes[a]!, boxes[b]!]
        assert.ok(p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top, `parts ${a} and ${b} do not interleave`)
      }
    }
    assert.ok(r.width / r.height > 0.5 && r.width / r.height < 4, `packed in rows, not one tall strip (${Math.round(r.width)} × ${Math.round(r.height)})`)
  })
})
