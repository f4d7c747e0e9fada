/** Sent to the layout worker: node i has width widths[i]; edges are [from, to] index pairs, flat. */
export interface LayoutRequest {
  readonly id: number
  readonly widths: Float64Array
  readonly height: number
  readonly edges: Int32Array
}

/** Back from the worker: node i's top-left corner at positions[2i], positions[2i+1]. */
export interface LayoutResponse {
  readonly id: number
  readonly positions: Float64Array
  readonly width: number
  readonly height: number
  readonly ms: number
  /** Which layout made it: `elk` for small graphs, `d3-dag` above LARGE_GRAPH nodes. */
  readonly engine?: LayoutEngine
  readonly error?: string
}

/** The layout engines: ELK's layered algorithm, thorough; d3-dag's Sugiyama with cheap operators, fast. */
export type LayoutEngine = 'elk' | 'd3-dag'

/**
 * Above this many nodes the layout is d3-dag's (0.25–0.9 s for 5,000 in Chromium on a loaded 2-core
 * machine), not ELK's (about half a second for 100, two for 200, five or more for 5,000).
 * Up to it, ELK's fewer crossings are worth it: a graph that size is read node by node. Default: 100.
 */
export const LARGE_GRAPH = 100
/** Space between two nodes of one layer, px. */
export const NODE_GAP = 14
/** Space between two layers, px. */
export const LAYER_GAP = 64
/** Space between the graph and the row of assets with no edges, px. */
export const COMPONENT_GAP = 40
