// Benchmark 1: a chain of 40 assets doing ~10 ms of work each. The orchestrator's overhead is
// what the wall time of materialize() adds to the 0.4 s of work.
import { performance } from 'node:perf_hooks'
import { defineAsset, type AnyNode } from '../src/index.js'
import { quantile, result, timed, withInstance, type BenchResult } from './harness.js'
import { withPoolInstance, workerStartMs } from './pool-project.js'

const LENGTH = 40
const WORK_MS = 10
const NOMINAL_WORK_S = (LENGTH * WORK_MS) / 1000
const RUNS = 5

/** The chain's assets; `onWork` receives the time each one's work took (in-process only). */
export function chainAssets(onWork?: (ms: number) => void): AnyNode[] {
  const assets: AnyNode[] = []
  let previous: AnyNode | undefined
  for (let i = 0; i < LENGTH; i++) {
    const asset: AnyNode = defineAsset({
      key: `chain/step_${String(i).padStart(2, '0')}`,
      io: 'none',
      ins: previous ? { previous } : {},
      async materialize() {
        const started = performance.now()
        await new Promise((resolve) => setTimeout(resolve, WORK_MS))
        onWork?.(performance.now() - started)
      },
    })
    assets.push(asset)
    previous = asset
  }
  return assets
}

export async function sequentialChain(): Promise<BenchResult[]> {
  return [...(await inProcessChain()), ...(await poolChain())]
}

async function inProcessChain(): Promise<BenchResult[]> {
  // Each asset adds the time its own work took, so the work can be told apart from the overhead.
  let workMs = 0
  const assets = chainAssets((ms) => (workMs += ms))

  return withInstance('chain', assets, {}, async (instance) => {
    // materialize() opens the warehouse on first use; that one-off cost is reported apart.
    const open = await timed(() => instance.warehouse())
    const runs: { wallMs: number; workMs: number }[] = []
    for (let run = 0; run < RUNS; run++) {
      workMs = 0
      const { ms, value } = await timed(() => instance.materialize())
      if (value.status !== 'succeeded') throw new Error(`chain run ${run + 1} ended ${value.status}: ${JSON.stringify(value.counts)}`)
      runs.push({ wallMs: ms, workMs })
    }
    // The median run by wall time, with the work measured in that same run.
    const median = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)]!
    const wallS = median.wallMs / 1000
    return [
      result('chain 40×10ms: materialize() wall time', wallS, 's'),
      result('chain 40×10ms: measured work (sum of the 40 waits)', median.workMs / 1000, 's'),
      result('chain 40×10ms: wall / 0.4 s of work', wallS / NOMINAL_WORK_S, '×', { max: 1.25 }),
      result('chain 40×10ms: wall / measured work', median.wallMs / median.workMs, '×'),
      result('chain 40×10ms: overhead per step (wall − measured work) / 40', (median.wallMs - median.workMs) / LENGTH, 'ms'),
      result('chain 40×10ms: worst of 5 runs, wall / 0.4 s', quantile(runs.map((r) => r.wallMs), 1) / 1000 / NOMINAL_WORK_S, '×'),
      result('warehouse open (one-off, before the first run)', open.ms, 'ms'),
    ]
  })
}

// The same chain with each step's code in a worker process: the hand-off over IPC is the cost.
async function poolChain(): Promise<BenchResult[]> {
  return withPoolInstance('chain', chainAssets(), `async () => { await new Promise((resolve) => setTimeout(resolve, ${WORK_MS})) }`, {}, async (instance, projectDir) => {
    const first = await timed(() => instance.materialize())
    if (first.value.status !== 'succeeded') throw new Error(`pool chain ended ${first.value.status}`)
    const walls: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const { ms, value } = await timed(() => instance.materialize(undefined, { force: true }))
      if (value.status !== 'succeeded') throw new Error(`pool chain run ${run + 1} ended ${value.status}`)
      walls.push(ms)
    }
    const median = quantile(walls, 0.5)
    return [
      result('chain 40×10ms, pool: materialize() wall time', median / 1000, 's'),
      result('chain 40×10ms, pool: wall / 0.4 s of work', median / 1000 / NOMINAL_WORK_S, '×', { max: 1.25 }),
      result('chain 40×10ms, pool: overhead per step (wall − 0.4 s) / 40', (median - NOMINAL_WORK_S * 1000) / LENGTH, 'ms'),
      result('chain 40×10ms, pool: first run (workers start)', first.ms / 1000, 's'),
      result('worker start: fork → project loaded (a crashed worker costs this)', await workerStartMs(projectDir), 'ms'),
    ]
  })
}
