// Benchmark 2: 1,000 no-op assets in 10 layers of 100, each reading 2–3 assets of the layer
// before. Measures throughput and how soon a step starts once its last upstream published.
import { performance } from 'node:perf_hooks'
import { defineAsset, type AnyNode, type Tributary } from '../src/index.js'
import { slotModel } from './slot-model.js'
import { pick, quantile, result, resultBelow, seeded, timed, withInstance, type BenchResult } from './harness.js'
import { withPoolInstance } from './pool-project.js'

const LAYERS = 10
const WIDTH = 100
const CONCURRENCY = 8

/** The graph's assets: 10 layers of 100 no-op assets, each reading 2–3 of the layer before. */
export function layeredAssets(): AnyNode[] {
  const random = seeded(1000)
  const all: AnyNode[] = []
  let previous: AnyNode[] = []
  for (let layer = 0; layer < LAYERS; layer++) {
    const current: AnyNode[] = []
    for (let i = 0; i < WIDTH; i++) {
      const ins: Record<string, AnyNode> = {}
      if (layer > 0) for (const index of pick(random, 2 + Math.floor(random() * 2), WIDTH)) ins[`in_${index}`] = previous[index]!
      current.push(defineAsset({ key: `layer${layer}/a${String(i).padStart(3, '0')}`, io: 'none', ins, materialize: () => undefined }))
    }
    all.push(...current)
    previous = current
  }
  return all
}

/** One measured run: its wall time and, per step past layer 0, the two latencies. */
interface Measured {
  readonly ms: number
  readonly succeeded: number
  /** Latest upstream published → started, slot waits included. */
  readonly latencies: number[]
  /** max(latest upstream published, a slot free for it) → started: the budgeted figure, "when a slot is free". */
  readonly slotFree: number[]
}

/**
 * The budgeted figures at concurrency 8 (median of 3 runs by wall time), plus the same graph
 * with a slot for every step of a layer, which shows how much of the latency is waiting for a
 * free slot rather than dispatch.
 */
export async function layeredGraph(): Promise<BenchResult[]> {
  return [...(await layeredRuns(CONCURRENCY, 3, true)), ...(await layeredRuns(WIDTH, 1, false)), ...(await poolRuns(CONCURRENCY, 3))]
}

// The same graph with every step's code in a worker process (one warm worker per slot).
async function poolRuns(concurrency: number, runs: number): Promise<BenchResult[]> {
  const label = `layered 1,000, pool (c=${concurrency})`
  return withPoolInstance('layered', layeredAssets(), '() => undefined', { concurrency }, async (instance) => {
    await measureRun(instance, concurrency)
    const measured: Measured[] = []
    for (let run = 0; run < runs; run++) measured.push(await measureRun(instance, concurrency))
    const median = [...measured].sort((a, b) => a.ms - b.ms)[Math.floor(measured.length / 2)]!
    return [
      result(`${label}: materialize() wall time, median of ${runs} warm runs`, median.ms / 1000, 's'),
      result(`${label}: throughput`, median.succeeded / (median.ms / 1000), 'steps/s', { min: 1000 }),
      result(`${label}: published → started p50 (slot waits included)`, quantile(median.latencies, 0.5), 'ms'),
      result(`${label}: published → started p99 (slot waits included)`, quantile(median.latencies, 0.99), 'ms'),
      result(`${label}: published → started p50, when a slot is free`, quantile(median.slotFree, 0.5), 'ms'),
      resultBelow(`${label}: published → started p99, when a slot is free`, quantile(median.slotFree, 0.99), 'ms', 10),
    ]
  })
}

async function layeredRuns(concurrency: number, runs: number, judged: boolean): Promise<BenchResult[]> {
  const label = `layered 1,000 (c=${concurrency})`
  return withInstance('layered', layeredAssets(), { concurrency }, async (instance) => {
    await instance.warehouse()
    const measured: Measured[] = []
    for (let run = 0; run < runs; run++) measured.push(await measureRun(instance, concurrency))
    const median = [...measured].sort((a, b) => a.ms - b.ms)[Math.floor(measured.length / 2)]!
    const throughput = median.succeeded / (median.ms / 1000)
    const p99 = quantile(median.slotFree, 0.99)
    const of = runs > 1 ? `, median of ${runs} runs` : ''
    return [
      result(`${label}: materialize() wall time${of}`, median.ms / 1000, 's'),
      judged ? result(`${label}: throughput`, throughput, 'steps/s', { min: 1000 }) : result(`${label}: throughput`, throughput, 'steps/s'),
      ...(runs > 1 ? [result(`${label}: throughput of the first (cold) run`, measured[0]!.succeeded / (measured[0]!.ms / 1000), 'steps/s')] : []),
      result(`${label}: published → started p50 (slot waits included)`, quantile(median.latencies, 0.5), 'ms'),
      result(`${label}: published → started p99 (slot waits included)`, quantile(median.latencies, 0.99), 'ms'),
      result(`${label}: published → started p50, when a slot is free`, quantile(median.slotFree, 0.5), 'ms'),
      judged ? resultBelow(`${label}: published → started p99, when a slot is free`, p99, 'ms', 10) : result(`${label}: published → started p99, when a slot is free`, p99, 'ms'),
    ]
  })
}

/** Runs the graph once, timing each step's start against its upstream's publishing (see slotModel). */
async function measureRun(instance: Tributary, concurrency: number): Promise<Measured> {
  const { onProgress, stop, slotFreeAt, startedAt: runningAt, succeededAt } = slotModel(instance, concurrency, () => performance.now())
  const { ms, value } = await timed(() => instance.materialize(undefined, { onProgress })).finally(stop)
  if (value.status !== 'succeeded') throw new Error(`layered run ended ${value.status}: ${JSON.stringify(value.counts)}`)

  const latencies: number[] = []
  const slotFree: number[] = []
  for (const [key, started] of runningAt) {
    const upstream = instance.graph.get(key).upstream
    if (upstream.length === 0) continue // layer 0 starts with the run
    const published = Math.max(...upstream.map((k) => succeededAt.get(k) ?? Number.NaN))
    latencies.push(started - published)
    slotFree.push(started - Math.max(published, slotFreeAt.get(key)!))
  }
  if (latencies.length !== (LAYERS - 1) * WIDTH || latencies.some((l) => Number.isNaN(l))) {
    throw new Error(`expected ${(LAYERS - 1) * WIDTH} latencies, got ${latencies.length}`)
  }
  return { ms, succeeded: value.counts.succeeded, latencies, slotFree }
}
