// Partitions and backfills: planning a 10 × 10,000 backfill, partition status over 100,000
// partition records, and the throughput of a 1,000-partition backfill of no-op assets.
import { performance } from 'node:perf_hooks'
import { dailyPartitions, defineAsset, window, type AnyNode, type PartitionMapping } from '../src/index.js'
import { derivePartitionStatuses } from '../src/engine/partition-status.js'
import { backfillTargets } from '../src/engine/partition-targets.js'
import { planPartitions } from '../src/engine/plan.js'
import { buildGraphOrThrow } from '../src/graph/build-graph.js'
import { defineProject } from '../src/model/project.js'
import { partitionKeys } from '../src/model/partitions.js'
import type { AssetStateRecord } from '../src/store/records.js'
import { result, resultBelow, timed, withInstance, type BenchResult } from './harness.js'

const DAY = 86_400_000

// A chain of `count` daily-partitioned no-op assets with exactly `days` partitions, each reading
// the one before through `mapping` (Default: identity).
function chain(count: number, days: number, mapping?: PartitionMapping): AnyNode[] {
  const start = Date.UTC(2000, 0, 1)
  const partitions = dailyPartitions({ start: '2000-01-01', end: new Date(start + days * DAY).toISOString().slice(0, 10) })
  const assets: AnyNode[] = []
  for (let i = 0; i < count; i++) {
    const ins: Record<string, AnyNode> = i > 0 ? { up: assets[i - 1]! } : {}
    assets.push(defineAsset({ key: `p/a${i}`, io: 'none', partitions, ins, ...(mapping && i > 0 ? { partitionMappings: { up: mapping } } : {}), materialize: () => undefined }))
  }
  return assets
}

const lastDay = (days: number) => new Date(Date.UTC(2000, 0, 1) + (days - 1) * DAY).toISOString().slice(0, 10)

/** The three partition benchmarks. */
export async function partitionBenchmarks(): Promise<BenchResult[]> {
  return [...(await planning()), ...status(), ...status(window({ lookback: 6 })), ...(await throughput())]
}

async function planning(): Promise<BenchResult[]> {
  const assets = chain(10, 10_000)
  const graph = buildGraphOrThrow(defineProject({ name: 'bench', assets }))
  const now = new Date('2030-01-01T00:00:00Z')
  const spec = { from: '2000-01-01', to: lastDay(10_000) }
  const pure = [0, 1, 2].map(() => timed(() => planPartitions(graph, backfillTargets(graph, ['p/a0'], spec, now, () => true, () => false), now)))
  const plans = await Promise.all(pure)
  const steps = plans[0]!.value.steps.length
  if (steps !== 100_000) throw new Error(`expected 100,000 steps, planned ${steps}`)
  const pureMs = Math.min(...plans.map((p) => p.ms))
  const facadeMs = await withInstance('partition-plan', assets, {}, async (instance) => {
    const runs = []
    for (let i = 0; i < 3; i++) runs.push((await timed(() => instance.planBackfill('p/a0', { ...spec, only: 'all' }))).ms)
    return Math.min(...runs)
  })
  return [
    resultBelow('backfill plan, 10 assets × 10,000 partitions (Tributary.planBackfill, best of 3)', facadeMs, 'ms', 1000),
    result('backfill plan, 10 × 10,000: targets + planPartitions only (best of 3)', pureMs, 'ms'),
  ]
}

// When partition i of the asset at `level` of the chain was published.
const published = (i: number, level: number) => Date.UTC(2029, 0, 1) + i * 1000 + level * 10

function status(mapping?: PartitionMapping): BenchResult[] {
  const assets = chain(10, 10_000, mapping)
  const graph = buildGraphOrThrow(defineProject({ name: 'bench', assets }))
  const now = new Date('2030-01-01T00:00:00Z')
  const states: AssetStateRecord[] = []
  for (const [level, node] of [...graph.nodes.values()].entries()) {
    for (const [i, partition] of partitionKeys(node.partitions!, now).entries()) {
      const runId = `run-${i % 50}`
      const failed = i % 997 === 0
      states.push({
        assetKey: node.key, partition, lastChecks: [],
        lastMaterialization: i % 101 === 0 ? null : {
          id: i, assetKey: node.key, partition, runId, codeVersion: node.codeVersion, dataVersion: `v${i}`,
          inputVersions: Object.fromEntries(node.upstream.map((up) => [up, `recorded-${i}`])),
          // As a backfill leaves them: each partition after the ones before it, each asset after its upstream.
          rowCount: 1, columns: null, durationMs: 1, createdAt: new Date(published(i, level)),
        },
        lastStep: {
          runId: failed ? 'run-failed' : runId, assetKey: node.key, partition, status: failed ? 'failed' : 'succeeded', attempt: 1,
          startedAt: new Date(published(i, level) - 2), finishedAt: new Date(published(i, level)), durationMs: 1, error: null, reason: null,
        },
      })
    }
  }
  if (states.length !== 100_000) throw new Error(`expected 100,000 partition records, built ${states.length}`)
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    derivePartitionStatuses(graph, states, now, new Set())
    times.push(performance.now() - started)
  }
  const label = mapping ? ', each reading a 7-day window upstream' : ''
  return [resultBelow(`partition status of 100,000 partition records${label} (best of 5)`, Math.min(...times), 'ms', 200)]
}

async function throughput(): Promise<BenchResult[]> {
  const assets = chain(2, 1_000)
  return withInstance('partition-backfill', assets, { concurrency: 8 }, async (instance) => {
    await instance.warehouse()
    const { ms, value } = await timed(() => instance.backfill('p/a0', { from: '2000-01-01', to: lastDay(1_000), only: 'all' }))
    if (value.status !== 'succeeded' || value.counts?.succeeded !== 2_000) throw new Error(`backfill ended ${value.status}: ${JSON.stringify(value.counts)}`)
    return [
      result('backfill of 1,000 partitions × 2 no-op assets (c=8): wall time', ms / 1000, 's'),
      result('backfill of 1,000 partitions × 2 no-op assets (c=8): throughput', 2_000 / (ms / 1000), 'steps/s'),
    ]
  })
}
