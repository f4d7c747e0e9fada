// `npm run bench`: runs the benchmarks of DESIGN.md "Performance budget" in this process,
// prints a table with each budget, and writes the figures to bench/results/.
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { apiLatency } from './api.js'
import { uiLineage } from './ui-lineage.js'
import { automationBenchmarks } from './automation.js'
import { result, round, seeded, type BenchResult } from './harness.js'
import { fleetBenchmarks } from './fleet.js'
import { largeProject } from './large-project.js'
import { layeredGraph } from './layered.js'
import { noopRerun } from './noop-rerun.js'
import { planBenchmark } from './plan.js'
import { partitionBenchmarks } from './partitions.js'
import { sequentialChain } from './sequential.js'
import { sqlParsing } from './sql-parse.js'
import { sqlGraphDuckDb, sqlGraphPostgres } from './sql-graph.js'
import { cliLayered } from './cli-layered.js'
import { startupBenchmarks } from './startup.js'
import { workerCrash } from './worker-crash.js'

const RESULTS_DIR = join(import.meta.dirname, 'results')

const BENCHMARKS: { readonly name: string; readonly run: () => Promise<BenchResult[]> | BenchResult[] }[] = [
  { name: 'CLI start-up (built CLI, whole processes) and the 40×10ms chain against GNU make', run: startupBenchmarks },
  { name: 'cli-layered: the 1,000-asset layered graph, full and no-op re-run, via the CLI against GNU make -j2', run: cliLayered },
  { name: '40 sequential assets, ~10 ms of work each', run: sequentialChain },
  { name: '1,000-asset layered graph of no-op assets', run: layeredGraph },
  { name: 'worker crash: worker death → next step started, on the process pool', run: workerCrash },
  { name: 'worker fleet (executor: queue(), PostgreSQL): layered 1,000 and the 40×10ms chain on 2 tributary worker processes', run: fleetBenchmarks },
  { name: '10,000-asset project: load, validate, plan, status', run: largeProject },
  { name: 'SQL analysis by DuckDB: 10,000 SQL assets validate, cold and warm', run: sqlParsing },
  { name: '1,000 SQL assets, each a DuckDB table, against DuckDB running the same statements bare', run: sqlGraphDuckDb },
  { name: '1,000 SQL assets, each a PostgreSQL table (PostgreSQL store), against PostgreSQL running the same statements bare', run: sqlGraphPostgres },
  { name: 'no-op re-run of 1,000 up-to-date assets', run: noopRerun },
  { name: 'plan on a 5,000-asset project with one changed asset', run: planBenchmark },
  { name: 'partitions: backfill planning, partition status, backfill throughput', run: partitionBenchmarks },
  { name: 'HTTP API latency, 10,000-asset project', run: apiLatency },
  { name: 'Lineage page of 5,000 assets in Chromium', run: uiLineage },
  { name: 'automation: daemon tick over 10,000 assets, alert routing of 1,000 failures', run: automationBenchmarks },
]

function table(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    formatValue(r.value),
    r.unit,
    r.budget ?? '',
    r.withinBudget === null ? '' : r.withinBudget ? 'PASS' : 'OVER',
  ])
  const header = ['benchmark', 'value', 'unit', 'budget', 'result']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function formatValue(value: number): string {
  return round(value).toLocaleString('en-US', { maximumFractionDigits: 4 })
}

// The same piece of CPU work on every machine (sorting and JSON round trips), the fastest of 7:
// figures of two runs compare only as this one does. Taken at the start
// and at the end, since a shared machine's speed can change during the run.
function calibration(): number {
  const random = seeded(42)
  const numbers = Array.from({ length: 100_000 }, () => random())
  const rows = Array.from({ length: 5_000 }, (_, i) => ({ key: `layer${i % 10}/a${i}`, status: i % 3 === 0 ? 'fresh' : 'stale', upstream: [i - 1, i - 2] }))
  const times: number[] = []
  for (let round = 0; round < 7; round++) {
    const start = performance.now()
    ;[...numbers].sort((a, b) => a - b)
    for (let i = 0; i < 10; i++) JSON.parse(JSON.stringify(rows))
    times.push(performance.now() - start)
  }
  return Math.min(...times)
}

async function main(): Promise<void> {
  const started = performance.now()
  const results: BenchResult[] = [result('machine: a fixed piece of CPU work, at the start (fastest of 7)', calibration(), 'ms')]
  // `node --import tsx bench/run.ts start-up chain`: only the benchmarks whose names contain one of the words.
  const only = process.argv.slice(2)
  for (const benchmark of BENCHMARKS.filter((b) => only.length === 0 || only.some((word) => b.name.toLowerCase().includes(word.toLowerCase())))) {
    process.stderr.write(`running: ${benchmark.name} … `)
    const before = performance.now()
    results.push(...(await benchmark.run()))
    process.stderr.write(`${((performance.now() - before) / 1000).toFixed(1)} s\n`)
  }
  results.push(result('machine: the same piece of CPU work, at the end (fastest of 7)', calibration(), 'ms'))
  const rounded = results.map((r) => ({ ...r, value: round(r.value) }))
  console.log()
  console.log(table(rounded))
  const over = rounded.filter((r) => r.withinBudget === false)
  console.log()
  console.log(over.length === 0 ? 'All budgets met.' : `${over.length} figure(s) over budget: ${over.map((r) => r.name).join('; ')}`)

  const date = new Date()
  const report = {
    date: date.toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, memory: totalmem(), cpuModel: cpus()[0]?.model ?? null, platform: `${process.platform}-${process.arch}` },
    results: rounded,
  }
  await mkdir(RESULTS_DIR, { recursive: true })
  const json = `${JSON.stringify(report, null, 2)}\n`
  const file = join(RESULTS_DIR, `${date.toISOString().replace(/:/g, '-')}.json`)
  await writeFile(file, json)
  await writeFile(join(RESULTS_DIR, 'latest.json'), json)
  console.log(`Wrote ${file} and latest.json (${((performance.now() - started) / 1000).toFixed(1)} s in all).`)
}

await main()
