import type { AssetGraph, GraphNode } from '../graph/asset-graph.js'

/** Kinds people read directly, so they count as outputs even when something reads them too. */
const OUTPUT_KINDS: ReadonlySet<string> = new Set(['dashboard', 'report', 'extract'])

/** True for what consumers see: a produced asset nothing reads, or a dashboard, report or extract. */
export function isOutput(node: GraphNode): boolean {
  if (node.def.type === 'source') return false
  return node.downstream.length === 0 || OUTPUT_KINDS.has(node.def.kind ?? '')
}

/**
 * The outputs a problem on `key` reaches: every output downstream of it, and `key` itself
 * when it is one. Sorted by key. Memoized per key, since many problems share a root.
 */
export class AffectedOutputs {
  private readonly cache = new Map<string, readonly string[]>()

  constructor(private readonly graph: AssetGraph) {}

  of(key: string): readonly string[] {
    const cached = this.cache.get(key)
    if (cached) return cached
    const found = this.graph.has(key) ? [key, ...this.graph.downstreamOf(key)].filter((k) => isOutput(this.graph.get(k))).sort() : []
    this.cache.set(key, found)
    return found
  }
}
