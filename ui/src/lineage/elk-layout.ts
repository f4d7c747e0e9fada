// The layout of small lineage graphs (up to LARGE_GRAPH nodes): ELK's layered algorithm, left to right.
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js'
import { COMPONENT_GAP, LAYER_GAP, NODE_GAP, type LayoutRequest, type LayoutResponse } from './layout-types'

const elk = new ELK()

/** Thorough phases: this engine only sees graphs of up to LARGE_GRAPH nodes, read node by node. */
const OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': String(NODE_GAP),
  'elk.layered.spacing.nodeNodeBetweenLayers': String(LAYER_GAP),
  'elk.spacing.componentComponent': String(COMPONENT_GAP),
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
}

/** Lays out `request` with ELK; node i's top-left corner at positions[2i], positions[2i+1]. */
export async function elkLayout(request: LayoutRequest): Promise<LayoutResponse> {
  const started = performance.now()
  const count = request.widths.length
  const children = Array.from({ length: count }, (_, i) => ({ id: String(i), width: request.widths[i]!, height: request.height }))
  const edges = []
  for (let e = 0; e < request.edges.length; e += 2) edges.push({ id: `e${e}`, sources: [String(request.edges[e])], targets: [String(request.edges[e + 1])] })
  const graph: ElkNode = { id: 'root', layoutOptions: OPTIONS, children, edges }
  const result = await elk.layout(graph)
  const positions = new Float64Array(count * 2)
  for (const child of result.children ?? []) {
    const i = Number(child.id)
    positions[i * 2] = child.x ?? 0
    positions[i * 2 + 1] = child.y ?? 0
  }
  return { id: request.id, positions, width: result.width ?? 0, height: result.height ?? 0, ms: performance.now() - started, engine: 'elk' }
}
