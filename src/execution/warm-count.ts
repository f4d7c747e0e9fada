import type { AssetGraph } from '../graph/asset-graph.js'
import { stepId, type PlannedStep } from '../engine/plan.js'

/**
 * How many TypeScript steps of a plan can run at once, at most: the most of them at any one depth
 * (steps at the same distance from the run's first steps). A run warms that many workers (within
 * its concurrency), not one per slot: a chain needs one, and on a small machine every extra worker
 * loading the project slows the one the first step waits for.
 */
export function codeStepsAtOnce(steps: readonly PlannedStep[], graph: AssetGraph): number {
  // Steps come upstream first, so each step's upstream depths are known when it is reached.
  const depth = new Map<string, number>()
  const width = new Map<number, number>()
  let widest = 0
  for (const step of steps) {
    let level = 0
    for (const up of step.upstreamInRun) level = Math.max(level, (depth.get(up) ?? -1) + 1)
    depth.set(stepId(step), level)
    if (graph.get(step.key).def.type !== 'asset') continue
    const count = (width.get(level) ?? 0) + 1
    width.set(level, count)
    widest = Math.max(widest, count)
  }
  return widest
}
