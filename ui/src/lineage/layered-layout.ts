// The layout of big lineage graphs: d3-dag's Sugiyama with cheap operators (longest-path layers,
// median sweeps, greedy coordinates), so 5,000 assets are placed in a fraction of a second where
// ELK's layered algorithm takes several. Used by the layout worker above LARGE_GRAPH nodes.
import { aggMedian, coordGreedy, decrossDfs, graph, layeringLongestPath, sugiyama, twolayerAgg, type Decross, type MutGraphNode } from 'd3-dag'
import { COMPONENT_GAP, LAYER_GAP, NODE_GAP, type LayoutRequest, type LayoutResponse } from './layout-types'

/** Down-and-up median sweeps after the depth-first order. Default: 3 (more barely changes a picture). */
const SWEEPS = 3

/** Lays out `request` left to right; node i's top-left corner at positions[2i], positions[2i+1]. */
export function layeredLayout(request: LayoutRequest): LayoutResponse {
  const started = performance.now()
  const count = request.widths.length
  const positions = new Float64Array(count * 2)
  const linked = new Uint8Array(count)
  for (const node of request.edges) linked[node] = 1

  const dag = graph<number, undefined>()
  const nodes: MutGraphNode<number, undefined>[] = []
  const nodeOf: (MutGraphNode<number, undefined> | undefined)[] = []
  for (let i = 0; i < count; i++) if (linked[i]) nodes.push((nodeOf[i] = dag.node(i)))
  const seen = new Set<number>()
  for (let e = 0; e < request.edges.length; e += 2) {
    const from = request.edges[e]!
    const to = request.edges[e + 1]!
    // d3-dag refuses a second link between the same two nodes; one line is drawn for both anyway.
    const pair = from * count + to
    if (from === to || seen.has(pair)) continue
    seen.add(pair)
    dag.link(nodeOf[from]!, nodeOf[to]!)
  }

  let width = 0
  let height = 0
  if (nodes.length > 0) {
    // d3-dag lays out top to bottom: its x runs along a layer (our y), its y across layers (our x).
    const layout = sugiyama()
      .layering(layeringLongestPath())
      .decross(medianSweeps)
      .coord(coordGreedy())
      .nodeSize((node: { data: number }) => [request.height, request.widths[node.data]!] as const)
      .gap([NODE_GAP, LAYER_GAP])
    const size = layout(dag)
    width = size.height
    height = size.width
    // Nodes of one layer share a centre; align them on the layer's left edge so edges enter at one x.
    const layerLeft = new Map<number, number>()
    for (const node of nodes) {
      const left = node.y - request.widths[node.data]! / 2
      layerLeft.set(node.y, Math.min(layerLeft.get(node.y) ?? left, left))
    }
    for (const node of nodes) {
      positions[node.data * 2] = layerLeft.get(node.y)!
      positions[node.data * 2 + 1] = node.x - request.height / 2
    }
  }

  // Assets with no edge at all: in rows above the graph (as ELK packs them), not stacked in a layer.
  const rowWidth = Math.max(width, 1_200)
  let x = 0
  let y = 0
  let rows = 0
  for (let i = 0; i < count; i++) {
    if (linked[i]) continue
    if (x > 0 && x + request.widths[i]! > rowWidth) {
      x = 0
      y += request.height + NODE_GAP
    }
    positions[i * 2] = x
    positions[i * 2 + 1] = y
    x += request.widths[i]! + NODE_GAP
    rows = y + request.height
    width = Math.max(width, x - NODE_GAP)
  }
  if (rows > 0) {
    const shift = nodes.length > 0 ? rows + COMPONENT_GAP : 0
    for (const node of nodes) positions[node.data * 2 + 1]! += shift
    height = nodes.length > 0 ? shift + height : rows
  }
  return { id: request.id, positions, width, height, ms: performance.now() - started, engine: 'd3-dag' }
}

const byMedian = twolayerAgg().aggregator(aggMedian)
const depthFirst = decrossDfs()

/**
 * A depth-first order, then median sweeps down and up. d3-dag's decrossTwoLayer does the same
 * sweeps but counts the crossings after each, which is quadratic in a layer's width: most of its
 * time on 5,000 nodes, and far worse on a layer of thousands of sources. This keeps the last order.
 */
const medianSweeps: Decross<number, undefined> = (layers) => {
  depthFirst(layers)
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (let i = 1; i < layers.length; i++) byMedian(layers[i - 1]!, layers[i]!, true)
    for (let i = layers.length - 2; i >= 0; i--) byMedian(layers[i]!, layers[i + 1]!, false)
  }
}
