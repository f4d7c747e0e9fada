// Lays out the lineage graph with ELK (layered, left to right) off the main thread,
// so a 5,000-node graph never freezes the page.
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js'
import type { LayoutRequest, LayoutResponse } from './layout-types'

const elk = new ELK()

/** Thorough for small graphs; for big ones the cheaper phases keep ELK within seconds. */
function optionsFor(nodeCount: number): Record<string, string> {
  const base: Record<string, string> = {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.edgeRouting': 'POLYLINE',
    'elk.spacing.nodeNode': '14',
    'elk.layered.spacing.nodeNodeBetweenLayers': '64',
    'elk.spacing.componentComponent': '40',
  }
  if (nodeCount <= 600) return { ...base, 'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF', 'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES' }
  return {
    ...base,
    'elk.layered.thoroughness': '1',
    'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
    'elk.layered.nodePlacement.strategy': 'SIMPLE',
  }
}

async function layout(request: LayoutRequest): Promise<LayoutResponse> {
  const started = performance.now()
  const count = request.widths.length
  const children = Array.from({ length: count }, (_, i) => ({ id: String(i), width: request.widths[i]!, height: request.height }))
  const edges = []
  for (let e = 0; e < request.edges.length; e += 2) edges.push({ id: `e${e}`, sources: [String(request.edges[e])], targets: [String(request.edges[e + 1])] })
  const graph: ElkNode = { id: 'root', layoutOptions: optionsFor(count), children, edges }
  const result = await elk.layout(graph)
  const positions = new Float64Array(count * 2)
  for (const child of result.children ?? []) {
    const i = Number(child.id)
    positions[i * 2] = child.x ?? 0
    positions[i * 2 + 1] = child.y ?? 0
  }
  return { id: request.id, positions, width: result.width ?? 0, height: result.height ?? 0, ms: performance.now() - started }
}

// Importing elk.bundled.js inside a worker registers ELK's own message handler; ours replaces it.
self.onmessage = (message: MessageEvent<LayoutRequest>) => {
  layout(message.data).then(
    (response) => self.postMessage(response, { transfer: [response.positions.buffer] }),
    (error: unknown) => self.postMessage({ id: message.data.id, error: error instanceof Error ? error.message : String(error) }),
  )
}
