import crypto from 'node:crypto'
import type { AssetGraph, GraphNode } from '../graph/asset-graph.js'
import { upstreamKeys } from '../model/partitions.js'
import type { AssetStateRecord } from '../store/records.js'

/** One published version of a partition (or of an unpartitioned asset: partition null). */
interface PublishedVersion {
  readonly partition: string | null
  readonly dataVersion: string
}

/**
 * One version for a set of partitions read together: a hash of each partition's key and data
 * version, in key order, so it changes when any of them is republished. Undefined for none.
 */
export function combinedVersion(materializations: readonly PublishedVersion[]): string | undefined {
  if (materializations.length === 0) return undefined
  // Mapped keys usually come sorted already; one update of the whole text hashes the same as one per partition.
  const sorted = isSorted(materializations) ? materializations : [...materializations].sort((a, b) => ((a.partition ?? '') < (b.partition ?? '') ? -1 : 1))
  let text = ''
  for (const m of sorted) text += `${m.partition ?? ''}\0${m.dataVersion}\0`
  return `p:${sha256(text).slice(0, 16)}`
}

// Partition status hashes a window per partition: the one-shot hash (Node >= 20.12) is twice as fast.
const sha256: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex')

function isSorted(materializations: readonly PublishedVersion[]): boolean {
  for (let i = 1; i < materializations.length; i++) if ((materializations[i - 1]!.partition ?? '') >= (materializations[i]!.partition ?? '')) return false
  return true
}

/**
 * The version a step records for one partitioned upstream after reading `reads` of its
 * partitions, of which `found` were published: a single partition's own data version, else
 * their combined version.
 */
export function readVersion(reads: number, found: readonly PublishedVersion[]): string | undefined {
  return reads === 1 ? found[0]?.dataVersion : combinedVersion(found)
}

/** One upstream of a partitioned asset, and the version a step of one of its partitions would record for it now. */
export interface UpstreamReader {
  readonly key: string
  /**
   * Undefined when nothing the partition reads of it is published. With `since` (epoch ms),
   * null when everything it reads was published before then: the version recorded then still
   * holds, and no hash is needed.
   */
  current(partition: string, since?: number): string | undefined | null
}

/**
 * What a step of a partitioned asset would record in `inputVersions` for each upstream if it
 * read it now, from the latest state of every partition, as the run executor computes it from
 * the store: through the partition mapping for a partitioned upstream (every partition for
 * `allPartitions()`), the data version for an unpartitioned one. Sources are left out.
 * Combined versions are cached: per upstream for all its partitions, and the last mapped key
 * range per reader, since consecutive partitions often read the same range (a daily reader of
 * a weekly upstream).
 */
export class CurrentInputVersions {
  private readonly everyPartition = new Map<string, string | undefined>()

  constructor(
    private readonly graph: AssetGraph,
    /** The latest state of each partition, by asset key and partition key. */
    private readonly partitions: ReadonlyMap<string, ReadonlyMap<string, AssetStateRecord>>,
    /** The latest state of each asset's null partition (unpartitioned assets). */
    private readonly whole: ReadonlyMap<string, AssetStateRecord>,
    private readonly now: Date,
  ) {}

  /** A reader per upstream asset of the partitioned asset `node`. */
  readersOf(node: GraphNode): UpstreamReader[] {
    const readers: UpstreamReader[] = []
    for (const key of node.upstream) {
      const upstream = this.graph.get(key)
      if (upstream.def.type === 'source') continue
      const mapping = node.partitionMappings?.get(key)
      if (!upstream.partitions || !mapping || mapping.type === 'all' || !node.partitions) {
        const version = upstream.partitions ? this.all(key) : this.whole.get(key)?.lastMaterialization?.dataVersion
        readers.push({ key, current: () => version })
        continue
      }
      const [down, up, published, now] = [node.partitions, upstream.partitions, this.partitions.get(key), this.now]
      let cached: { readonly first: string; readonly last: string; readonly length: number; readonly version: string | undefined } | undefined
      readers.push({
        key,
        current(partition, since) {
          const reads = upstreamKeys(mapping, down, partition, up, now)
          if (reads.length === 1) return published?.get(reads[0]!)?.lastMaterialization?.dataVersion
          if (since !== undefined && reads.every((read) => (published?.get(read)?.lastMaterialization?.createdAt.getTime() ?? 0) < since)) return null
          // Mapped keys are one contiguous run of the upstream's keys: its ends and length name it.
          const [first, last] = [reads[0] ?? '', reads.at(-1) ?? '']
          if (cached && cached.first === first && cached.last === last && cached.length === reads.length) return cached.version
          const found: PublishedVersion[] = []
          for (const read of reads) {
            const m = published?.get(read)?.lastMaterialization
            if (m) found.push({ partition: read, dataVersion: m.dataVersion })
          }
          cached = { first, last, length: reads.length, version: readVersion(reads.length, found) }
          return cached.version
        },
      })
    }
    return readers
  }

  // An unmapped read takes every state the asset has, as the run executor's does.
  private all(up: string): string | undefined {
    if (this.everyPartition.has(up)) return this.everyPartition.get(up)
    const found: PublishedVersion[] = []
    for (const [partition, state] of this.partitions.get(up) ?? []) if (state.lastMaterialization) found.push({ partition, dataVersion: state.lastMaterialization.dataVersion })
    const whole = this.whole.get(up)?.lastMaterialization
    if (whole) found.push({ partition: null, dataVersion: whole.dataVersion })
    const version = combinedVersion(found)
    this.everyPartition.set(up, version)
    return version
  }
}
