import type { AnyNode } from '../model/asset.js'
import type { PartitionMapping, PartitionsDefinition } from '../model/partitions.js'

/** A warehouse relation: `schema.name`. */
export interface Relation {
  readonly schema: string
  readonly name: string
}

/** One node of the graph with its resolved edges. */
export interface GraphNode {
  readonly key: string
  readonly def: AnyNode
  /** Keys this node reads, sorted. */
  readonly upstream: readonly string[]
  /** Keys that read this node, sorted. */
  readonly downstream: readonly string[]
  /** The warehouse relation of a table asset or a table source. */
  readonly relation: Relation | undefined
  /** Hash of the code that produces it (SQL text or function source) plus its explicit version. */
  readonly codeVersion: string
  /** How the asset is partitioned. Default: unpartitioned. */
  readonly partitions?: PartitionsDefinition | undefined
  /** How it reads each partitioned upstream, by upstream key (resolved defaults included). */
  readonly partitionMappings?: ReadonlyMap<string, PartitionMapping>
}

/** The asset graph: nodes by key, topological order, upstream and downstream walks. Immutable. */
export class AssetGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>
  /** Every key, upstream before downstream; ties broken by key. */
  readonly order: readonly string[]
  private readonly position: ReadonlyMap<string, number>

  constructor(nodes: ReadonlyMap<string, GraphNode>, order: readonly string[]) {
    this.nodes = nodes
    this.order = order
    this.position = new Map(order.map((key, index) => [key, index]))
  }

  /** The node for `key`, or throws when there is none (callers check keys first). */
  get(key: string): GraphNode {
    const node = this.nodes.get(key)
    if (!node) throw new Error(`no node ${key} in the graph`)
    return node
  }

  has(key: string): boolean {
    return this.nodes.has(key)
  }

  /** Keys upstream of `key` (not including it), up to `depth` edges away. Default: unlimited. */
  upstreamOf(key: string, depth = Number.POSITIVE_INFINITY): Set<string> {
    return this.walk(key, depth, (node) => node.upstream)
  }

  /** Keys downstream of `key` (not including it), up to `depth` edges away. Default: unlimited. */
  downstreamOf(key: string, depth = Number.POSITIVE_INFINITY): Set<string> {
    return this.walk(key, depth, (node) => node.downstream)
  }

  /** Sorts keys upstream-first. */
  sort(keys: Iterable<string>): string[] {
    return [...keys].sort((a, b) => (this.position.get(a) ?? 0) - (this.position.get(b) ?? 0))
  }

  private walk(start: string, depth: number, next: (node: GraphNode) => readonly string[]): Set<string> {
    const seen = new Set<string>()
    let frontier = [start]
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const following: string[] = []
      for (const key of frontier) {
        for (const neighbour of next(this.get(key))) {
          if (!seen.has(neighbour) && neighbour !== start) {
            seen.add(neighbour)
            following.push(neighbour)
          }
        }
      }
      frontier = following
    }
    return seen
  }
}

/** Maps an asset key to its relation: `raw/payments` → raw.payments, `orders` → main.orders. */
export function relationOfKey(key: string): Relation | undefined {
  const parts = key.split('/')
  if (parts.length === 1) return { schema: 'main', name: parts[0]! }
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! }
  return undefined
}

/** Quotes a relation for SQL: `"raw"."payments"`. Identifiers are validated before they get here. */
export function quoteRelation(relation: Relation): string {
  return `"${relation.schema.replaceAll('"', '""')}"."${relation.name.replaceAll('"', '""')}"`
}
