// Benchmark 4: SQL analysis by DuckDB's own parser. Validates 10,000 SQL assets of the shapes
// analytics SQL has (joins, CTEs, subqueries, aggregates, windows, unions) cold and warm (the
// parse cache file, as a new CLI process reads it), and the per-statement parse cost.
import { join } from 'node:path'
import { buildGraph } from '../src/graph/build-graph.js'
import { defineProject, defineSource, sqlAsset, table, type ProjectDefinition } from '../src/index.js'
import { DuckDbSqlAnalyzer } from '../src/sql/duckdb/duckdb-analyzer.js'
import { stopDuckDbParser } from '../src/sql/duckdb/duckdb-parser.js'
import { ParseCache } from '../src/sql/parse-cache.js'
import { inTempDir, quantile, result, resultBelow, seeded, timed, type BenchResult } from './harness.js'

const COUNT = 1000
const PROJECT_SIZE = 10_000
const WARM_RUNS = 3

const SCHEMAS = ['raw', 'staging', 'marts', 'finance', 'crm']
const TABLES = ['orders', 'customers', 'payments', 'invoices', 'events', 'accounts', 'products', 'refunds', 'sessions', 'subscriptions']

/** One SELECT per call, cycling through realistic shapes, with its expected table count. */
export function realisticQueries(count: number): { sql: string; tables: number }[] {
  const random = seeded(4)
  const choose = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  // Distinct qualified tables for one query.
  const tables = (n: number): string[] => {
    const chosen = new Set<string>()
    while (chosen.size < n) chosen.add(`${choose(SCHEMAS)}.${choose(TABLES)}`)
    return [...chosen]
  }
  const shapes: ((i: number) => { sql: string; tables: number })[] = [
    () => {
      const [a] = tables(1)
      return { tables: 1, sql: `select id, customer_id, amount, status, created_at from ${a} where status = 'paid' and amount > 0` }
    },
    () => {
      const [a, b] = tables(2)
      return {
        tables: 2,
        sql: `select o.id, o.amount, c.name, c.country
from ${a} o
join ${b} c on c.id = o.customer_id
where o.created_at >= date '2024-01-01' and c.country in ('DE', 'FR', 'GB')`,
      }
    },
    () => {
      const [a, b, c] = tables(3)
      return {
        tables: 3,
        sql: `select o.id, c.name, sum(p.amount) as paid, count(*) as payments
from ${a} o
left join ${b} c on c.id = o.customer_id
left join ${c} p on p.order_id = o.id
group by o.id, c.name
having sum(p.amount) > 100
order by paid desc
limit 1000`,
      }
    },
    (i) => {
      const [a, b] = tables(2)
      return {
        tables: 2,
        sql: `with recent as (
  select customer_id, amount, created_at from ${a} where created_at > now() - interval '30 days'
), totals as (
  select customer_id, sum(amount) as total, count(*) as n from recent group by customer_id
)
select c.id, c.name, coalesce(t.total, 0) as total_${i % 7}, t.n
from ${b} c
left join totals t on t.customer_id = c.id`,
      }
    },
    () => {
      const [a, b] = tables(2)
      return {
        tables: 2,
        sql: `select id, email
from ${a}
where id in (select customer_id from ${b} where amount > 500)
  and deleted_at is null`,
      }
    },
    () => {
      const [a, b] = tables(2)
      return {
        tables: 2,
        sql: `select s.customer_id, s.day, s.revenue
from (
  select customer_id, date_trunc('day', created_at) as day, sum(amount) as revenue
  from ${a}
  group by 1, 2
) s
join ${b} a on a.id = s.customer_id
where s.revenue > 0`,
      }
    },
    () => {
      const [a] = tables(1)
      return {
        tables: 1,
        sql: `select customer_id, created_at, amount,
  row_number() over (partition by customer_id order by created_at desc) as rn,
  sum(amount) over (partition by customer_id order by created_at rows between unbounded preceding and current row) as running_total
from ${a}`,
      }
    },
    () => {
      const [a, b, c] = tables(3)
      return {
        tables: 3,
        sql: `select id, amount, 'order' as kind from ${a}
union all
select id, -amount, 'refund' as kind from ${b}
union all
select id, amount, 'adjustment' as kind from ${c} where approved`,
      }
    },
    () => {
      const [a, b, c, d] = tables(4)
      return {
        tables: 4,
        sql: `with paid as (
  select order_id, sum(amount) as paid from ${a} group by order_id
), refunded as (
  select order_id, sum(amount) as refunded from ${b} group by order_id
)
select o.id,
  case when coalesce(p.paid, 0) - coalesce(r.refunded, 0) >= o.amount then 'settled'
       when p.paid is null then 'open' else 'partial' end as state,
  cast(o.created_at as date) as order_date,
  (select max(e.at) from ${c} e where e.order_id = o.id) as last_event
from ${d} o
left join paid p on p.order_id = o.id
left join refunded r on r.order_id = o.id
where exists (select 1 from paid x where x.order_id = o.id)`,
      }
    },
  ]
  return Array.from({ length: count }, (_, i) => shapes[i % shapes.length]!(i))
}

/** 10,000 SQL assets over 50 table sources, each statement distinct (a trailing comment), as a project. */
function sqlProject(count: number): ProjectDefinition {
  const sources = SCHEMAS.flatMap((schema) => TABLES.map((name) => defineSource({ key: `${schema}/${name}`, observe: table(`${schema}.${name}`) })))
  const assets = realisticQueries(count).map(({ sql }, i) => sqlAsset({ key: `bench/q${String(i).padStart(5, '0')}`, sql: `${sql}\n-- asset ${i}` }))
  return defineProject({ name: 'sql-10k', assets: [...sources, ...assets] })
}

export async function sqlParsing(): Promise<BenchResult[]> {
  const project = sqlProject(PROJECT_SIZE)
  return inTempDir('sql-parse', async (dir) => {
    const cacheFile = join(dir, 'sql-analysis.json')
    // Cold: the parser's worker thread starts and every statement is parsed in one batch.
    stopDuckDbParser()
    const coldAnalyzer = new DuckDbSqlAnalyzer(new ParseCache())
    const cold = await timed(() => buildGraph(project, { analyzer: coldAnalyzer, cacheFile }))
    if (!cold.value.graph || coldAnalyzer.parsed !== PROJECT_SIZE) throw new Error(`cold validation: ${cold.value.problems[0]?.message ?? `${coldAnalyzer.parsed} parsed`}`)
    // Warm, as a new CLI process sees it: an empty in-memory cache that loads the file.
    const warmTimes: number[] = []
    for (let i = 0; i < WARM_RUNS; i++) {
      const analyzer = new DuckDbSqlAnalyzer(new ParseCache())
      const warm = await timed(() => buildGraph(project, { analyzer, cacheFile }))
      if (!warm.value.graph || analyzer.parsed !== 0) throw new Error(`warm validation parsed ${analyzer.parsed}`)
      warmTimes.push(warm.ms)
    }
    // Parse cost alone, per statement, in batches of the corpus size (no cache).
    const queries = realisticQueries(COUNT)
    const batch = await timed(() => new DuckDbSqlAnalyzer(new ParseCache()).analyze(queries.map((q, i) => `${q.sql}\n-- ${i}`)))
    batch.value.forEach((analysis, i) => {
      if (!analysis.ok || analysis.tables.length !== queries[i]!.tables) throw new Error(`expected ${queries[i]!.tables} tables in:\n${queries[i]!.sql}\n${JSON.stringify(analysis)}`)
    })
    return [
      result(`SQL: validate ${PROJECT_SIZE.toLocaleString('en-US')} SQL assets, cold (parser start + one DuckDB batch)`, cold.ms, 'ms'),
      resultBelow(`SQL: validate ${PROJECT_SIZE.toLocaleString('en-US')} SQL assets, warm (cache file, new process), median of ${WARM_RUNS}`, quantile(warmTimes, 0.5), 'ms', 1000),
      result(`SQL: DuckDB json_serialize_sql + analysis, mean over ${COUNT} statements in one batch`, batch.ms / COUNT, 'ms/asset'),
    ]
  })
}
