// Lays out the lineage graph (layered, left to right) off the main thread, so a 5,000-node graph
// never freezes the page: ELK for graphs up to LARGE_GRAPH nodes, d3-dag's cheap Sugiyama above.
// Each engine is loaded only when a graph needs it (ELK alone is 1.6 MB of script).
import { LARGE_GRAPH, type LayoutRequest, type LayoutResponse } from './layout-types'

// The page starts this worker while it fetches the graph: the quick engine (110 kB) loads meanwhile.
const layered = import('./layered-layout')
// A failed load is reported by the layout that awaits it, not as an unhandled rejection here.
layered.catch(() => undefined)

async function layout(request: LayoutRequest): Promise<LayoutResponse> {
  if (request.widths.length > LARGE_GRAPH) return (await layered).layeredLayout(request)
  const { elkLayout } = await import('./elk-layout')
  // Loading elk.bundled.js inside a worker registers ELK's own message handler; ours takes the place back.
  self.onmessage = onMessage
  return elkLayout(request)
}

function onMessage(message: MessageEvent<LayoutRequest>): void {
  layout(message.data).then(
    (response) => self.postMessage(response, { transfer: [response.positions.buffer] }),
    (error: unknown) => self.postMessage({ id: message.data.id, error: error instanceof Error ? error.message : String(error) }),
  )
}

self.onmessage = onMessage
