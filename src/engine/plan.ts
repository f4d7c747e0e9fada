import type { AssetGraph } from '../graph/asset-graph.js'
import { ErrorCode, SelectionError } from '../model/errors.js'
import { upstreamKeys } from '../model/partitions.js'

/** One step of a plan: an asset (partition) and its edges inside and outside the run. */
export interface PlannedStep {
  readonly key: string
  readonly partition: string | null
  /** Upstream steps of the same run it waits for. */
  readonly upstreamInRun: readonly string[]
  /** Upstream assets and sources outside the run whose readiness it checks. */
  readonly upstreamOutside: readonly string[]
  readonly downstreamInRun: readonly string[]
  /**
   * Partitioned steps only: the partitions read of each partitioned upstream, by upstream key.
   * An upstream missing here is read whole (every partition).
   */
  readonly reads?: Readonly<Record<string, readonly string[]>>
  /** Partitioned steps only: upstream partitions outside the run that must be published first. */
  readonly waitsFor?: Readonly<Record<string, readonly string[]>>
}

/** The id of a step inside its run: the asset key, plus `@partition` for a partition. */
export function stepId(step: { readonly key: string; readonly partition: string | null }): string {
  return step.partition === null ? step.key : `${step.key}@${step.partition}`
}

/** What a run will do: steps in dependency order. */
export interface Plan {
  readonly steps: readonly PlannedStep[]
}

/** Plans the materialization of `keys` (sources among them are observed, not materialized). Pure. */
export function planRun(graph: AssetGraph, keys: readonly string[]): Plan {
  const produced = graph.sort(keys.filter((key) => graph.get(key).def.type !== 'source'))
  if (produced.length === 0) {
    throw new SelectionError(ErrorCode.EmptySelection, 'the selection contains only sources, which Tributary observes but does not materialize', {
      hint: "Select the assets that read them instead, e.g. 'source_key+'.",
    })
  }
  const inRun = new Set(produced)
  const steps = produced.map((key) => {
    const node = graph.get(key)
    return Object.freeze({
      key,
      partition: null,
      upstreamInRun: node.upstream.filter((k) => inRun.has(k)),
      upstreamOutside: node.upstream.filter((k) => !inRun.has(k)),
      downstreamInRun: node.downstream.filter((k) => inRun.has(k)),
    })
  })
  return Object.freeze({ steps })
}

/**
 * Plans the materialization of these partitions (null: the unpartitioned asset) of these
 * assets, with edges from the partition mappings: a step waits for the in-run partitions it
 * reads and checks those outside the run are published. Pure; `now` decides which
 * partitions exist for 'all' mappings.
 */
export function planPartitions(graph: AssetGraph, targets: ReadonlyMap<string, readonly (string | null)[]>, now: Date): Plan {
  const keys = graph.sort([...targets.keys()].filter((key) => graph.get(key).def.type !== 'source'))
  const inRun = new Set<string>()
  const byAsset = new Map<string, readonly (string | null)[]>()
  for (const key of keys) {
    const partitions = targets.get(key)!
    byAsset.set(key, partitions)
    for (const partition of partitions) inRun.add(partition === null ? key : `${key}@${partition}`)
  }
  const steps: { -readonly [K in keyof PlannedStep]: PlannedStep[K] }[] = []
  const downstream = new Map<string, string[]>()
  for (const key of keys) {
    const node = graph.get(key)
    for (const partition of byAsset.get(key)!) {
      const id = partition === null ? key : `${key}@${partition}`
      const upstreamInRun: string[] = []
      const upstreamOutside: string[] = []
      let reads: Record<string, readonly string[]> | undefined
      let waitsFor: Record<string, string[]> | undefined
      for (const up of node.upstream) {
        const upNode = graph.get(up)
        const mapping = node.partitionMappings?.get(up)
        if (!upNode.partitions || !mapping) {
          if (inRun.has(up)) upstreamInRun.push(up)
          else upstreamOutside.push(up)
          continue
        }
        if (partition === null || mapping.type === 'all') {
          // Reads every partition: waits for those in the run, takes whatever else exists.
          for (const upPartition of byAsset.get(up) ?? []) if (upPartition !== null) upstreamInRun.push(`${up}@${upPartition}`)
          continue
        }
        const upKeys = upstreamKeys(mapping, node.partitions!, partition, upNode.partitions, now)
        ;(reads ??= {})[up] = upKeys
        for (const upKey of upKeys) {
          const upId = `${up}@${upKey}`
          if (inRun.has(upId)) upstreamInRun.push(upId)
          else ((waitsFor ??= {})[up] ??= []).push(upKey)
        }
      }
      for (const upId of upstreamInRun) {
        let list = downstream.get(upId)
        if (!list) downstream.set(upId, (list = []))
        list.push(id)
      }
      steps.push({ key, partition, upstreamInRun, upstreamOutside, downstreamInRun: [], ...(reads ? { reads } : {}), ...(waitsFor ? { waitsFor } : {}) })
    }
  }
  for (const step of steps) step.downstreamInRun = downstream.get(stepId(step)) ?? []
  return Object.freeze({ steps })
}
