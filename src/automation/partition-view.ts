import type { AssetGraph } from '../graph/asset-graph.js'
import type { AssetPartitionStatus, PartitionState } from '../engine/partition-status.js'
import { usableAsInput, type AssetStatusRecord } from '../engine/status.js'
import type { Tributary } from '../instance/tributary.js'
import { upstreamKeys, windowOf } from '../model/partitions.js'
import type { AssetStateRecord } from '../store/records.js'

/** What a condition sees of one partition of a partitioned asset. */
export interface PartitionFacts {
  readonly partition: string
  readonly state: PartitionState
  /** When this partition was last published; null when never. */
  readonly lastUpdated: Date | null
  /** The inputs this partition cannot read yet, each in words: "raw/payments 2026-03-09, which is missing". */
  readonly waiting: readonly { readonly key: string; readonly message: string }[]
}

/**
 * The partitions of some partitioned assets (and of their partitioned upstream) as one tick
 * sees them: partition status for their states, the latest state records for publish times
 * and failures. Read in a few queries when the tick starts.
 */
export class PartitionView {
  private readonly sets = new Map<string, Record<PartitionState, ReadonlySet<string>>>()

  private constructor(
    private readonly graph: AssetGraph,
    private readonly status: ReadonlyMap<string, AssetPartitionStatus>,
    private readonly states: ReadonlyMap<string, ReadonlyMap<string, AssetStateRecord>>,
    private readonly now: Date,
  ) {}

  /** Reads the partitions of `keys` (partitioned assets) and of their partitioned upstream. */
  static async load(instance: Tributary, keys: readonly string[], now: Date): Promise<PartitionView> {
    const graph = instance.graph
    const reads = [...new Set(keys.flatMap((key) => [key, ...graph.get(key).upstream.filter((up) => graph.get(up).partitions)]))]
    if (reads.length === 0) return new PartitionView(graph, new Map(), new Map(), now)
    const [status, records] = await Promise.all([instance.partitionStatus(reads.join(' ')), instance.store.assetStates(reads)])
    const states = new Map<string, Map<string, AssetStateRecord>>()
    for (const record of records) {
      if (record.partition === null) continue
      let map = states.get(record.assetKey)
      if (!map) states.set(record.assetKey, (map = new Map()))
      map.set(record.partition, record)
    }
    return new PartitionView(graph, new Map(status.map((s) => [s.key, s])), states, now)
  }

  /** The state of one partition; a window that has not ended counts as fresh once published, else missing. */
  state(key: string, partition: string): PartitionState {
    const sets = this.setsOf(key)
    for (const state of ['running', 'failed', 'missing', 'stale'] as const) if (sets[state].has(partition)) return state
    const def = this.graph.get(key).partitions!
    const ended = def.type === 'static' ? def.keys.includes(partition) : (windowOf(def, partition)?.end.getTime() ?? Infinity) <= this.now.getTime()
    return ended || this.lastUpdated(key, partition) !== null ? 'fresh' : 'missing'
  }

  /** When a partition was last published, or null. */
  lastUpdated(key: string, partition: string): Date | null {
    return this.states.get(key)?.get(partition)?.lastMaterialization?.createdAt ?? null
  }

  /** Everything a condition needs of one partition; `statuses` judges the unpartitioned and all-partition inputs. */
  facts(key: string, partition: string, statuses: ReadonlyMap<string, AssetStatusRecord>): PartitionFacts {
    const node = this.graph.get(key)
    const waiting: { key: string; message: string }[] = []
    for (const up of node.upstream) {
      const upNode = this.graph.get(up)
      const mapping = node.partitionMappings?.get(up)
      if (upNode.partitions && mapping && mapping.type !== 'all') {
        // Only the upstream partitions this one reads must be there: a missing older day does not hold up today.
        for (const read of upstreamKeys(mapping, node.partitions!, partition, upNode.partitions, this.now)) {
          const state = this.state(up, read)
          if (state === 'fresh' || state === 'stale') continue
          waiting.push({ key: up, message: `${up} ${read}, which is ${state}` })
          break
        }
        continue
      }
      const status = statuses.get(up)
      if (status && !usableAsInput(status)) waiting.push({ key: up, message: `${up}, which is ${status.status}` })
    }
    return { partition, state: this.state(key, partition), lastUpdated: this.lastUpdated(key, partition), waiting }
  }

  /**
   * Partitions of `key` whose latest attempt failed by their own fault (not skipped or held up
   * by an upstream), newest first, each with the run it failed in.
   */
  ownFailures(key: string): { partition: string; runId: string }[] {
    const failures: { partition: string; runId: string }[] = []
    for (const partition of this.status.get(key)?.failed ?? []) {
      const step = this.states.get(key)?.get(partition)?.lastStep
      if (step?.status === 'failed' && !step.error?.upstream) failures.push({ partition, runId: step.runId })
    }
    return failures.reverse()
  }

  private setsOf(key: string): Record<PartitionState, ReadonlySet<string>> {
    let sets = this.sets.get(key)
    if (!sets) {
      const status = this.status.get(key)
      sets = {
        running: new Set(status?.running), failed: new Set(status?.failed), missing: new Set(status?.missing), stale: new Set(status?.stale), fresh: new Set(),
      }
      this.sets.set(key, sets)
    }
    return sets
  }
}
