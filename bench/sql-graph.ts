// Benchmark: 1,000 SQL assets, each a warehouse table, in the layered graph of layered.ts (10
// layers of 100, each reading 2–3 tables of the layer before), with two checks each. Side by
// side with the database running bare, on one connection, exactly the statements Tributary's
// warehouse sent during a run (recorded at the driver: staging, checks, data versions, schemas,
// publish with its ledger row, staging drops). Budget: Tributary ≤ 1.5 × bare.
import { join } from 'node:path'
import { defineProject, notNull, postgres, sqlAsset, Tributary, unique, type AnyNode, type ProjectSpec } from '../src/index.js'
import { CREATE_LEDGER } from '../src/warehouse/duckdb/ledger.js'
import { createLedger } from '../src/warehouse/postgres/ledger.js'
import { createDatabase } from '../test/helpers/postgres-database.js'
import { inTempDir, pick, result, seeded, timed, type BenchResult } from './harness.js'
import { recordDuckDb, recordPostgres, replayDuckDb, replayPostgres, type StatementLog } from './statement-log.js'

const LAYERS = 10
const WIDTH = 100
const ROWS = 1000
/** Measured runs of each side; the median counts. Default: 3. */
const RUNS = Number(process.env.TRIBUTARY_BENCH_SQL_RUNS ?? 3)

/** The graph: layer 0 generates `ROWS` rows; every later table joins 2–3 tables of the layer before on id. */
export function sqlLayeredAssets(dialect: 'duckdb' | 'postgres'): AnyNode[] {
  const random = seeded(1000)
  const series = dialect === 'duckdb' ? `range(${ROWS}) as t(i)` : `generate_series(0, ${ROWS - 1}) as t(i)`
  const all: AnyNode[] = []
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < WIDTH; i++) {
      const key = `layer${layer}/a${String(i).padStart(3, '0')}`
      let sql = `select i as id, i % 10 as grp, (i * ${i + 7}) % 1000 as amount from ${series}`
      if (layer > 0) {
        const ins = pick(random, 2 + Math.floor(random() * 2), WIDTH).map((index) => `layer${layer - 1}.a${String(index).padStart(3, '0')}`)
        const joins = ins.slice(1).map((table, j) => `join ${table} as u${j + 1} on u${j + 1}.id = u0.id`).join(' ')
        sql = `select u0.id, u0.grp, ${ins.map((_, j) => `u${j}.amount`).join(' + ')} as amount from ${ins[0]} as u0 ${joins}`
      }
      all.push(sqlAsset({ key, sql, checks: [notNull('id'), unique('id')] }))
    }
  }
  return all
}

/** One Tributary run of the graph in a fresh project: the wall time of materialize(), the warehouse already open. */
async function tributaryRun(spec: Omit<ProjectSpec, 'name' | 'assets'>, assets: AnyNode[], record?: (work: () => Promise<void>) => Promise<StatementLog>): Promise<{ ms: number; log?: StatementLog }> {
  return inTempDir('sql-graph', async (projectDir) => {
    const instance = await Tributary.open({ projectDir, project: defineProject({ name: 'bench-sql-graph', assets, ...spec }) })
    try {
      await instance.warehouse()
      let ms = 0
      const run = async () => {
        const { ms: took, value } = await timed(() => instance.materialize())
        if (value.status !== 'succeeded' || value.counts.succeeded !== assets.length) throw new Error(`SQL graph run ended ${value.status}: ${JSON.stringify(value.counts)}`)
        ms = took
      }
      if (!record) {
        await run()
        return { ms }
      }
      const log = await record(run)
      return { ms, log }
    } finally {
      await instance.close()
    }
  })
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
}

function figures(label: string, tributaryMs: number[], bareMs: number[], log: StatementLog): BenchResult[] {
  const [t, b] = [median(tributaryMs), median(bareMs)]
  return [
    result(`${label}: Tributary materialize() wall time, median of ${tributaryMs.length}`, t / 1000, 's'),
    result(`${label}: the same ${log.statements.length.toLocaleString('en-US')} statements bare on one connection, median of ${bareMs.length}`, b / 1000, 's'),
    result(`${label}: Tributary / bare`, t / b, '×', { max: 1.5 }),
  ]
}

/** The DuckDB warehouse with the default SQLite store, against DuckDB alone. */
export async function sqlGraphDuckDb(): Promise<BenchResult[]> {
  const assets = sqlLayeredAssets('duckdb')
  // The recorded run also warms the process up; it is not timed.
  const { log } = await tributaryRun({}, assets, recordDuckDb)
  const tributaryMs: number[] = []
  const bareMs: number[] = []
  // Alternating, so a change in the machine's load falls on both sides.
  for (let run = 0; run < RUNS; run++) {
    tributaryMs.push((await tributaryRun({}, assets)).ms)
    bareMs.push(await inTempDir('sql-graph-bare', (dir) => replayDuckDb(join(dir, 'bare.duckdb'), CREATE_LEDGER, log!)))
  }
  return figures('1,000 SQL assets, DuckDB warehouse + SQLite store (c=4)', tributaryMs, bareMs, log!)
}

/** Runs `work` with a fresh database's name and URL, dropped afterwards. */
async function withDatabase<T>(work: (name: string, url: string) => Promise<T>): Promise<T> {
  const database = await createDatabase()
  try {
    return await work(database.name, database.url)
  } finally {
    await database.drop()
  }
}

/** The PostgreSQL warehouse with the PostgreSQL store (and with SQLite's), against PostgreSQL alone. */
export async function sqlGraphPostgres(): Promise<BenchResult[]> {
  const assets = sqlLayeredAssets('postgres')
  // Recorded with the store in a database of its own, so only the warehouse's statements are kept.
  const log = await withDatabase((storeDb, storeUrl) => withDatabase(async (warehouseDb, warehouseUrl) => {
    const spec = { store: postgres({ url: storeUrl }), warehouse: postgres({ url: warehouseUrl }) }
    return (await tributaryRun(spec, assets, (work) => recordPostgres(warehouseDb, work))).log!
  }))
  const withPgStore: number[] = []
  const withSqliteStore: number[] = []
  const bareMs: number[] = []
  for (let run = 0; run < RUNS; run++) {
    // Store and warehouse in one database, as a team on PostgreSQL would have them.
    withPgStore.push(await withDatabase((_, url) => tributaryRun({ store: postgres({ url }), warehouse: postgres({ url }) }, assets).then((r) => r.ms)))
    withSqliteStore.push(await withDatabase((_, url) => tributaryRun({ warehouse: postgres({ url }) }, assets).then((r) => r.ms)))
    bareMs.push(await withDatabase((_, url) => replayPostgres(url, createLedger('_tributary'), log)))
  }
  return [
    ...figures('1,000 SQL assets, PostgreSQL warehouse + PostgreSQL store (c=4)', withPgStore, bareMs, log),
    result('1,000 SQL assets, PostgreSQL warehouse + SQLite store (c=4): Tributary / bare', median(withSqliteStore) / median(bareMs), '×'),
  ]
}
