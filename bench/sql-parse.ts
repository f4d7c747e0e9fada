// Benchmark 4: how long finding the tables of one SQL asset takes, over ~1,000 SELECTs of the
// shapes analytics SQL has (joins, CTEs, subqueries, aggregates, windows, unions).
import { performance } from 'node:perf_hooks'
import { referencedTables } from '../src/index.js'
import { mean, quantile, result, seeded, type BenchResult } from './harness.js'

const COUNT = 1000
const WARM_UP = 50

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

export function sqlParsing(): BenchResult[] {
  const queries = realisticQueries(COUNT)
  for (const { sql } of queries.slice(0, WARM_UP)) referencedTables(sql)
  const times: number[] = []
  for (const { sql, tables } of queries) {
    const started = performance.now()
    const found = referencedTables(sql)
    times.push(performance.now() - started)
    if (found.length !== tables) throw new Error(`expected ${tables} tables, found ${JSON.stringify(found)} in:\n${sql}`)
  }
  return [
    result(`SQL deps: referencedTables() mean over ${COUNT} SELECTs`, mean(times), 'ms/asset'),
    result('SQL deps: referencedTables() p50', quantile(times, 0.5), 'ms/asset'),
    result('SQL deps: referencedTables() p99', quantile(times, 0.99), 'ms/asset'),
  ]
}
