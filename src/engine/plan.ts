import type { AssetGraph } from '../graph/asset-graph.js'
import { ErrorCode, SelectionError } from '../model/errors.js'

/** One step of a plan: an asset (partition) and its edges inside and outside the run. */
export interface PlannedStep {
  readonly key: string
  readonly partition: string | null
  /** Upstream steps of the same run it waits for. */
  readonly upstreamInRun: readonly string[]
  /** Upstream assets and sources outside the run whose readiness it checks. */
  readonly upstreamOutside: readonly string[]
  readonly downstreamInRun: readonly string[]
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
