import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { ParseCache } from '../parse-cache.js'
import type { SqlAnalysis, SqlFacts } from '../sql-analysis.js'
import { PostgresSqlAnalyzer } from './postgres-analyzer.js'

let analyzer: PostgresSqlAnalyzer
before(async () => {
  analyzer = await PostgresSqlAnalyzer.load(new ParseCache())
})

const facts = (sql: string): SqlFacts => {
  const result: SqlAnalysis = analyzer.analyze([sql])[0]!
  assert.equal(result.ok, true, JSON.stringify(result))
  return result as SqlFacts
}
const tables = (sql: string) => facts(sql).tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).sort()
const lineage = (sql: string) => Object.fromEntries(facts(sql).columns.map((c) => [c.name, c.sources.map((s) => `${s.kind}:${s.table}.${s.column}`)]))

// A corpus of the PostgreSQL an analytics team writes, PostgreSQL-only spellings included.
describe('PostgreSQL SQL analysis through libpg_query', () => {
  test('tables: joins, CTEs (not tables), subqueries in FROM and WHERE, LATERAL, set operations', () => {
    assert.deepEqual(tables('select o.id, a.name from raw.orders o left join crm.accounts a on a.id = o.account_id'), ['crm.accounts', 'raw.orders'])
    assert.deepEqual(tables('with paid as (select * from raw.orders where status = $$paid$$) select count(*) from paid'), ['raw.orders'])
    assert.deepEqual(tables('select * from (select id from raw.orders) s where s.id in (select order_id from raw.refunds)'), ['raw.orders', 'raw.refunds'])
    assert.deepEqual(tables('select a.id, l.amount from crm.accounts a cross join lateral (select amount from raw.orders o where o.account_id = a.id order by created_at desc limit 1) l'), ['crm.accounts', 'raw.orders'])
    assert.deepEqual(tables('select id from raw.orders union select id from archive.orders except select id from raw.refunds'), ['archive.orders', 'raw.orders', 'raw.refunds'])
    assert.deepEqual(tables('with recursive tree(id, parent) as (select id, parent_id from org.units where parent_id is null union all select u.id, u.parent_id from org.units u join tree t on u.parent_id = t.id) select * from tree'), ['org.units'])
    assert.deepEqual(tables('select * from generate_series(1, 10) g(n)'), [])
  })

  test('PostgreSQL-only spellings parse: casts with ::, DISTINCT ON, FILTER, intervals, jsonb operators, ILIKE, arrays', () => {
    const sql = `select distinct on (o.account_id) o.account_id, o.created_at::date as day,
        (o.payload ->> 'channel') as channel, count(*) filter (where o.status ilike 'paid%') over (partition by o.account_id) as paid,
        array_agg(o.id) over (partition by o.account_id) as ids
      from raw.orders o where o.created_at > now() - interval '45 days' and o.tags @> array['web']
      order by o.account_id, o.created_at desc`
    assert.deepEqual(lineage(sql), {
      account_id: ['copy:raw.orders.account_id'],
      day: ['transform:raw.orders.created_at'],
      channel: ['transform:raw.orders.payload'],
      paid: ['transform:raw.orders.status', 'transform:raw.orders.account_id'],
      ids: ['transform:raw.orders.id', 'transform:raw.orders.account_id'],
    })
    assert.deepEqual(facts(sql).filters.map((f) => f.column).sort(), ['account_id', 'created_at', 'tags'])
  })

  test('column lineage through aliases, CTEs, subqueries, renamed CTE columns and set operations', () => {
    assert.deepEqual(lineage(`with paid as (select account_id, amount from raw.orders where status = 'paid'),
        totals as (select account_id, sum(amount) as revenue from paid group by account_id)
      select a.name as account, t.revenue, round(t.revenue / 100.0, 2) as revenue_eur from totals t join crm.accounts a on a.id = t.account_id`), {
      account: ['copy:crm.accounts.name'],
      revenue: ['transform:raw.orders.amount'],
      revenue_eur: ['transform:raw.orders.amount'],
    })
    assert.deepEqual(lineage('with c(k, v) as (select id, amount from raw.orders) select k, v from c'), { k: ['copy:raw.orders.id'], v: ['copy:raw.orders.amount'] })
    assert.deepEqual(lineage('select s.total from (select sum(amount) as total from raw.orders) s'), { total: ['transform:raw.orders.amount'] })
    assert.deepEqual(lineage('select id, amount from raw.orders union all select id, amount from archive.orders'), {
      id: ['transform:raw.orders.id', 'transform:archive.orders.id'], amount: ['transform:raw.orders.amount', 'transform:archive.orders.amount'],
    })
  })

  test('* stays one column per table; a CTE\'s * expands to its columns; unqualified columns over two tables are marked ambiguous', () => {
    assert.deepEqual(lineage('select * from raw.orders'), { '*': ['copy:raw.orders.*'] })
    assert.deepEqual(facts('select o.*, a.name from raw.orders o join crm.accounts a using (id)').columns.map((c) => c.name), ['*', 'name'])
    assert.deepEqual(lineage('with c as (select id, amount * 2 as doubled from raw.orders) select * from c'), { id: ['copy:raw.orders.id'], doubled: ['transform:raw.orders.amount'] })
    const [source] = facts('select name from raw.orders join crm.accounts on true').columns[0]!.sources
    assert.equal(source?.ambiguous, true)
    assert.deepEqual(lineage('select id, 1 as one, now() as at from orders'), { id: ['copy:main.orders.id'], one: [], at: [] }, 'an unqualified table is named as the graph names it')
  })

  test('refusals: PostgreSQL\'s own message with line and column; not a SELECT; several statements', () => {
    assert.deepEqual(analyzer.analyze(['select id,\n  amount\nfrom raw.orders\nwher id > 1'])[0], { ok: false, message: 'syntax error at or near "id"', position: { line: 4, column: 6 } })
    assert.deepEqual(analyzer.analyze(['delete from raw.orders'])[0], { ok: false, notSelect: true, message: 'PostgreSQL analyses SELECT statements only, not DeleteStmt' })
    assert.deepEqual(analyzer.analyze(['select 1; select 2'])[0], { ok: false, notSelect: true, message: 'it holds 2 statements' })
  })

  test('analyses are cached by statement under the postgres dialect', () => {
    const sql = 'select id from raw.cached_orders'
    const first = analyzer.parsed
    analyzer.analyze([sql, sql])
    analyzer.analyze([sql])
    assert.equal(analyzer.parsed - first, 1)
    assert.match(analyzer.dialect, /^postgres-18\//)
  })
})
