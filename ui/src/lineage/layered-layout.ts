// The layout of big lineage graphs: d3-dag's Sugiyama with cheap operators (longest-path layers,
// median sweeps, greedy coordinates), so 5,000 assets are placed in a fraction of a second where
// ELK's layered algorithm takes several. Used by the layout worker above LARGE_GRAPH nodes.
// Like ELK, each connected part is laid out on its own and the parts are packed in rows, so
// independent pipelines neither interleave in shared layers nor stretch into one tall strip.
import { aggMedian, coordGreedy, decrossDfs, graph, layeringLongestPath, sugiyama, twolayerAgg, type Decross, type Graph, type LayoutResult, type MutGraphNode } from 'd3-dag'
import { COMPONENT_GAP, LAYER_GAP, NODE_GAP, type LayoutRequest, type LayoutResponse } from './layout-types'

/** Down-and-up median sweeps after the depth-first order. Default: 3 (more barely changes a picture). */
const SWEEPS = 3
/** Width over height the packed parts aim at, about a screen's. Default: 1.6. */
const ASPECT = 1.6
/** The row of assets with no edge is at least this wide, px. Default: 1,200. */
const MIN_ROW = 1_200

/** One connected part laid out: its nodes' top-left corners relative to the part's own corner. */
interface Part {
  readonly nodes: readonly number[]
  /** Node nodes[k] at positions[2k], positions[2k+1]. */
  readonly positions: Float64Array
  readonly width: number
  readonly height: number
}

/** Lays out `request` left to right; node i's top-left corner at positions[2i], positions[2i+1]. */
export function layeredLayout(request: LayoutRequest): LayoutResponse {
  const started = performance.now()
  const count = request.widths.length
  const positions = new Float64Array(count * 2)
  const { parts: members, lone } = connectedParts(count, request.edges)
  // d3-dag lays out top to bottom: its x runs along a layer (our y), its y across layers (our x).
  const layout = sugiyama()
    .layering(layeringLongestPath())
    .decross(medianSweeps)
    .coord(coordGreedy())
    .nodeSize((node: { data: number }) => [request.height, request.widths[node.data]!] as const)
    .gap([NODE_GAP, LAYER_GAP])
  const parts = members.map(({ nodes, edges }) => layPart(layout, request, nodes, edges))

  // Tallest parts first, in rows about ASPECT times as wide as the whole is tall.
  parts.sort((a, b) => b.height - a.height || a.nodes[0]! - b.nodes[0]!)
  const area = parts.reduce((sum, part) => sum + (part.width + COMPONENT_GAP) * (part.height + COMPONENT_GAP), 0)
  const rowLimit = Math.max(Math.sqrt(area * ASPECT), ...parts.map((part) => part.width))
  const corners: [number, number][] = []
  let x = 0
  let y = 0
  let rowHeight = 0
  let width = 0
  for (const part of parts) {
    if (x > 0 && x + part.width > rowLimit) {
      y += rowHeight + COMPONENT_GAP
      x = 0
      rowHeight = 0
    }
    corners.push([x, y])
    width = Math.max(width, x + part.width)
    rowHeight = Math.max(rowHeight, part.height)
    x += part.width + COMPONENT_GAP
  }
  let height = parts.length > 0 ? y + rowHeight : 0

  // Assets with no edge at all: in rows above the parts (as ELK packs them), not stacked in a layer.
  const loneWidth = Math.max(width, MIN_ROW)
  let loneHeight = 0
  x = 0
  y = 0
  for (const i of lone) {
    if (x > 0 && x + request.widths[i]! > loneWidth) {
      x = 0
      y += request.height + NODE_GAP
    }
    positions[i * 2] = x
    positions[i * 2 + 1] = y
    loneHeight = y + request.height
    width = Math.max(width, x + request.widths[i]!)
    x += request.widths[i]! + NODE_GAP
  }
  const top = loneHeight > 0 && parts.length > 0 ? loneHeight + COMPONENT_GAP : loneHeight
  parts.forEach((part, p) => {
    const [left, partTop] = corners[p]!
    part.nodes.forEach((node, k) => {
      positions[node * 2] = left + part.positions[k * 2]!
      positions[node * 2 + 1] = top + partTop + part.positions[k * 2 + 1]!
    })
  })
  height += top
  return { id: request.id, positions, width, height, ms: performance.now() - started, engine: 'd3-dag' }
}

/** The connected parts (nodes ascending, with their edges as index pairs), and the nodes with no edge. */
function connectedParts(count: number, edges: Int32Array): { parts: { nodes: number[]; edges: number[] }[]; lone: number[] } {
  const parent = Int32Array.from({ length: count }, (_, i) => i)
  const root = (i: number) => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!
    return i
  }
  const linked = new Uint8Array(count)
  for (let e = 0; e < edges.length; e += 2) {
    linked[edges[e]!] = 1
    linked[edges[e + 1]!] = 1
    parent[root(edges[e]!)] = root(edges[e + 1]!)
  }
  const byRoot = new Map<number, { nodes: number[]; edges: number[] }>()
  const lone: number[] = []
  for (let i = 0; i < count; i++) {
    if (!linked[i]) {
      lone.push(i)
      continue
    }
    const r = root(i)
    let part = byRoot.get(r)
    if (!part) byRoot.set(r, (part = { nodes: [], edges: [] }))
    part.nodes.push(i)
  }
  for (let e = 0; e < edges.length; e += 2) byRoot.get(root(edges[e]!))!.edges.push(edges[e]!, edges[e + 1]!)
  return { parts: [...byRoot.values()], lone }
}

/** One connected part through d3-dag's Sugiyama, turned left to right. */
function layPart(layout: (dag: Graph<number, undefined>) => LayoutResult, request: LayoutRequest, nodes: readonly number[], edges: readonly number[]): Part {
  const dag = graph<number, undefined>()
  const made = new Map<number, MutGraphNode<number, undefined>>()
  for (const node of nodes) made.set(node, dag.node(node))
  const seen = new Set<number>()
  for (let e = 0; e < edges.length; e += 2) {
    const from = edges[e]!
    const to = edges[e + 1]!
    // d3-dag refuses a second link between the same two nodes; one line is drawn for both anyway.
    const pair = from * request.widths.length + to
    if (from === to || seen.has(pair)) continue
    seen.add(pair)
    dag.link(made.get(from)!, made.get(to)!)
  }
  const size = layout(dag)
  // Nodes of one layer share a centre; align them on the layer's left edge so edges enter at one x.
  const layerLeft = new Map<number, number>()
  for (const node of made.values()) {
    const left = node.y - request.widths[node.data]! / 2
    layerLeft.set(node.y, Math.min(layerLeft.get(node.y) ?? left, left))
  }
  const positions = new Float64Array(nodes.length * 2)
  nodes.forEach((index, k) => {
    const node = made.get(index)!
    positions[k * 2] = layerLeft.get(node.y)!
    positions[k * 2 + 1] = node.x - request.height / 2
  })
  return { nodes, positions, width: size.height, height: size.width }
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
