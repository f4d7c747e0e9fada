// The worker fleet (executor: queue()): the 1,000-asset layered graph on 2 `tributary worker`
// processes, and the 40 × 10 ms chain on them, against PostgreSQL (store and warehouse) at
// $TRIBUTARY_TEST_POSTGRES (Default: postgres://postgres@127.0.0.1:5432), in a database made for it.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { join } from 'node:path'
import { Tributary } from '../src/index.js'
import { slotModel } from './slot-model.js'
import { createDatabase, POSTGRES_SERVER, query } from '../test/helpers/postgres-database.js'
import { inTempDir, quantile, result, resultBelow, timed, type BenchResult } from './harness.js'
import { layeredAssets } from './layered.js'
import { chainAssets } from './sequential.js'
import { cpuBetween, cpuSnapshot } from './cpu-split.js'

const BIN = join(import.meta.dirname, '..', 'bin', 'tributary.js')
const WORKERS = 2
// Steps in flight across the fleet, and per worker: the budgeted shape, and a wider one reported beside it.
const SHAPE = { concurrency: 16, perWorker: 8 }
const WIDE = { concurrency: 32, perWorker: 16 }
const RUNS = 3
const COMMITS = 200

/** The fleet's figures; reported as not measured (NaN) when PostgreSQL cannot be reached. */
export async function fleetBenchmarks(): Promise<BenchResult[]> {
  const layered = layeredAssets()
  const chain = chainAssets()
  const shape = (assets: typeof layered) => assets.map((def) => ({ key: def.key, ins: def.type === 'asset' ? Object.values(def.ins ?? {}).map((up) => (up as { key: string }).key) : [] }))
  const out: BenchResult[] = []
  for (const slots of [SHAPE, WIDE]) {
    out.push(...await onFleet('layered', shape(layered), '() => undefined', slots, async (instance, url, workerPids) => {
      await instance.materialize(undefined, { force: true })
      await settle(url)
      const cpuBefore = cpuSnapshot(workerPids)
      const runs: { ms: number; steps: number; runId: string; slotFreeAt: Map<string, number> }[] = []
      for (let run = 0; run < RUNS; run++) {
        const model = slotModel(instance, slots.concurrency, () => Date.now())
        const { ms, value } = await timed(() => instance.materialize(undefined, { force: true, onProgress: model.onProgress })).finally(model.stop)
        if (value.status !== 'succeeded') throw new Error(`fleet layered run ended ${value.status}: ${JSON.stringify(value.counts)}`)
        runs.push({ ms, steps: value.counts.succeeded, runId: value.runId, slotFreeAt: model.slotFreeAt })
      }
      const cpu = cpuBetween(cpuBefore, cpuSnapshot(workerPids))
      const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!
      const label = `fleet: layered 1,000 on ${WORKERS} workers (c=${slots.concurrency}, ${slots.perWorker} per worker)`
      const throughput = median.steps / (median.ms / 1000)
      // The budgets hold for the first shape; the wider one is reported beside it.
      if (slots !== SHAPE) return [result(`${label}: throughput`, throughput, 'steps/s')]
      const { latencies, slotFree } = await publishedToStarted(url, median.runId, instance, median.slotFreeAt)
      const stepsInAll = runs.reduce((sum, run) => sum + run.steps, 0)
      return [
        result(`${label}: wall time, median of ${RUNS}`, median.ms / 1000, 's'),
        result(`${label}: throughput`, throughput, 'steps/s', { min: 500 }),
        result(`${label}: published → started p50 (slot waits included)`, quantile(latencies, 0.5), 'ms'),
        result(`${label}: published → started p99 (slot waits included)`, quantile(latencies, 0.99), 'ms'),
        result(`${label}: published → started p50, when a slot is free`, quantile(slotFree, 0.5), 'ms'),
        // Budgeted as the embedded figure is (bench/layered.ts): from when the step could start, its upstream published and a slot free.
        resultBelow(`${label}: published → started p99, when a slot is free`, quantile(slotFree, 0.99), 'ms', 50),
        // Where the two cores go (the budget is CPU-bound here): the control plane, the workers and PostgreSQL, per step.
        result(`${label}: CPU per step, control plane (this process)`, cpu.self / stepsInAll, 'ms'),
        result(`${label}: CPU per step, the ${WORKERS} workers`, cpu.children / stepsInAll, 'ms'),
        result(`${label}: CPU per step, the workers' process pools (step code)`, cpu.grandchildren / stepsInAll, 'ms'),
        result(`${label}: CPU per step, PostgreSQL`, cpu.postgres / stepsInAll, 'ms'),
      ]
    }))
  }
  out.push(...await onFleet('chain', shape(chain), 'async () => { await new Promise((resolve) => setTimeout(resolve, 10)) }', SHAPE, async (instance, url) => {
    await instance.materialize(undefined, { force: true })
    await settle(url)
    const runs: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const { ms, value } = await timed(() => instance.materialize(undefined, { force: true }))
      if (value.status !== 'succeeded') throw new Error(`fleet chain run ended ${value.status}`)
      runs.push(ms)
    }
    const median = [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!
    return [
      result(`fleet: chain 40×10ms on ${WORKERS} workers: wall time, median of ${RUNS}`, median / 1000, 's'),
      result(`fleet: chain 40×10ms on ${WORKERS} workers: wall / 0.4 s of work`, median / 400, '×', { max: 1.5 }),
      // Each step's way through the fleet commits four times (completion, enqueue, the queue's fetch, claim), each waiting for its WAL flush.
      result(`fleet: PostgreSQL commit of one row on this machine, median of ${COMMITS} (WAL flushed)`, await commitLatency(url), 'ms'),
    ]
  }))
  return out
}

// Per step past the first layer: when its worker recorded it running, less when its last upstream
// was recorded published (both from the store's event log; one machine, so one clock), and less
// whichever came later, that or its slot freeing on the control plane.
async function publishedToStarted(url: string, runId: string, instance: Tributary, slotFreeAt: ReadonlyMap<string, number>): Promise<{ latencies: number[]; slotFree: number[] }> {
  const rows = await query<{ asset_key: string; type: string; at: string }>(url, `select asset_key, type, at from events where run_id = $1 and type in ('step_running', 'step_succeeded')`, [runId])
  const at = new Map<string, { running?: number; succeeded?: number }>()
  for (const row of rows) {
    const entry = at.get(row.asset_key) ?? {}
    if (row.type === 'step_running') entry.running = Number(row.at)
    else entry.succeeded = Number(row.at)
    at.set(row.asset_key, entry)
  }
  const latencies: number[] = []
  const slotFree: number[] = []
  for (const [key, entry] of at) {
    const upstream = instance.graph.get(key).upstream
    if (upstream.length === 0 || entry.running === undefined) continue
    const published = Math.max(...upstream.map((up) => at.get(up)?.succeeded ?? Number.NaN))
    latencies.push(entry.running - published)
    // A step had its slot at the latest when it started: one its worker kept (see KeepHandOff)
    // starts as the step before it in the slot ends, before the control plane hears of that end.
    slotFree.push(entry.running - Math.max(published, Math.min(entry.running, slotFreeAt.get(key) ?? Number.NEGATIVE_INFINITY)))
  }
  return { latencies, slotFree }
}

// After the warm-up run: the statistics and cleanup autovacuum (on by default) would have made by
// then. This machine's PostgreSQL runs with autovacuum off, and plans made on tables the first run
// found empty (a scan of asset_state for every read) would otherwise stay for the whole benchmark.
async function settle(url: string): Promise<void> {
  await query(url, 'VACUUM ANALYZE')
}

// The median time of one-row inserts, each its own transaction, on the benchmark's database.
async function commitLatency(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('CREATE TABLE bench_commit_probe (n integer)')
    const times: number[] = []
    for (let i = 0; i < COMMITS; i++) {
      const start = performance.now()
      await client.query('INSERT INTO bench_commit_probe VALUES ($1)', [i])
      times.push(performance.now() - start)
    }
    return quantile(times, 0.5)
  } finally {
    await client.end()
  }
}

async function onFleet(name: string, shape: { key: string; ins: string[] }[], materialize: string, slots: { concurrency: number; perWorker: number }, work: (instance: Tributary, url: string, workerPids: number[]) => Promise<BenchResult[]>): Promise<BenchResult[]> {
  let database: Awaited<ReturnType<typeof createDatabase>>
  try {
    database = await createDatabase()
  } catch (error) {
    return [result(`fleet: ${name}: not measured (PostgreSQL at ${POSTGRES_SERVER.replace(/\/\/[^@]*@/, '//')} unreachable: ${(error as Error).message})`, Number.NaN, '')]
  }
  const url = database.url
  const children: ChildProcess[] = []
  // A bench that dies (an uncaught error) takes its workers with it: they would otherwise outlive it, idle.
  const killChildren = () => children.forEach((child) => child.kill('SIGKILL'))
  process.once('exit', killChildren)
  try {
    return await inTempDir(`fleet-${name}`, async (dir) => {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
      await writeFile(join(dir, 'tributary.config.ts'), `import { defineAsset, defineProject, postgres, queue, type AnyNode } from 'tributary-orchestrator'
const shape: { key: string; ins: string[] }[] = ${JSON.stringify(shape)}
const made = new Map<string, AnyNode>()
for (const { key, ins } of shape) {
  made.set(key, defineAsset({ key, io: 'none', ins: Object.fromEntries(ins.map((up, i) => [\`in_\${i}\`, made.get(up)!])), materialize: ${materialize} }))
}
const url = process.env.TRIBUTARY_DATABASE_URL
export default defineProject({
  name: 'bench-fleet-${name}', assets: [...made.values()], concurrency: ${slots.concurrency},
  store: postgres({ url, poolSize: 12 }), warehouse: postgres({ url, poolSize: 4 }), executor: queue(),
})
`)
      process.env.TRIBUTARY_DATABASE_URL = url
      const instance = await Tributary.open({ projectDir: dir })
      try {
        for (let i = 0; i < WORKERS; i++) children.push(await startWorker(dir, url, slots.perWorker))
        return await work(instance, url, children.map((child) => child.pid!))
      } finally {
        await instance.close()
      }
    })
  } finally {
    process.off('exit', killChildren)
    for (const child of children) child.kill('SIGTERM')
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)))
    await database.drop().catch(() => undefined)
  }
}

async function startWorker(dir: string, url: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--project', dir, '--concurrency', String(concurrency)], { env: { ...process.env, TRIBUTARY_DATABASE_URL: url, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
      if (/worker \S+ started/.test(stderr)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`worker exited ${code} before starting: ${stderr}`)))
  })
  return child
}
