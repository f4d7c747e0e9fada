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
  // Step indexes per asset and partition: edges are found without building id strings.
  const index = new Map<string, Map<string | null, number>>()
  const ids: string[] = []
  for (const key of keys) {
    const positions = new Map<string | null, number>()
    for (const partition of targets.get(key)!) {
      if (positions.has(partition)) continue
      positions.set(partition, ids.length)
      ids.push(partition === null ? key : `${key}@${partition}`)
    }
    index.set(key, positions)
  }
  const steps: { -readonly [K in keyof PlannedStep]: PlannedStep[K] }[] = []
  const downstream: number[][] = []
  for (const key of keys) {
    const node = graph.get(key)
    const upstreams = node.upstream.map((up) => ({ up, node: graph.get(up), mapping: node.partitionMappings?.get(up), planned: index.get(up) }))
    for (const [partition, self] of index.get(key)!) {
      const upstreamInRun: string[] = []
      const upstreamOutside: string[] = []
      let waitsFor: Record<string, string[]> | undefined
      const edge = (from: number) => {
        upstreamInRun.push(ids[from]!)
        ;(downstream[from] ??= []).push(self)
      }
      for (const { up, node: upNode, mapping, planned } of upstreams) {
        if (!upNode.partitions || !mapping) {
          const at = planned?.get(null)
          if (at !== undefined) edge(at)
          else upstreamOutside.push(up)
          continue
        }
        if (partition === null || mapping.type === 'all') {
          // Reads every partition: waits for those in the run, takes whatever else exists.
          for (const [upPartition, at] of planned ?? []) if (upPartition !== null) edge(at)
          continue
        }
        for (const upKey of mapping.type === 'identity' ? [partition] : upstreamKeys(mapping, node.partitions!, partition, upNode.partitions, now)) {
          const at = planned?.get(upKey)
          if (at !== undefined) edge(at)
          else ((waitsFor ??= {})[up] ??= []).push(upKey)
        }
      }
      steps.push(waitsFor ? { key, partition, upstreamInRun, upstreamOutside, downstreamInRun: [], waitsFor } : { key, partition, upstreamInRun, upstreamOutside, downstreamInRun: [] })
    }
  }
  for (let i = 0; i < steps.length; i++) steps[i]!.downstreamInRun = (downstream[i] ?? []).map((at) => ids[at]!)
  return Object.freeze({ steps })
}
