import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { defineAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { defineSource, files, table } from '../model/source.js'
import { sqlAsset } from '../model/asset.js'
import { DuckDbSqlAnalyzer } from '../sql/duckdb/duckdb-analyzer.js'
import { ParseCache } from '../sql/parse-cache.js'
import { buildGraph, buildGraphOrThrow } from './build-graph.js'

const dir = mkdtempSync(join(tmpdir(), 'trb-sql-deps-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const orders = defineAsset({ key: 'main/orders', materialize: async () => [{ id: 1 }] })
const rawOrders = defineSource({ key: 'raw/orders', observe: table('raw.orders') })
const crmFiles = defineSource({ key: 'landing/crm', observe: files('landing/crm/*.csv') })

test('a CTE named like a table hides it only inside the query that defines it', () => {
  const shadowedInside = sqlAsset({ key: 'marts/a', sql: 'select * from (with orders as (select 1 as id) select * from orders) x' })
  const readsOutside = sqlAsset({ key: 'marts/b', sql: 'select * from (with orders as (select 1 as id) select * from orders) x join orders o using (id)' })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [orders, shadowedInside, readsOutside] }))
  assert.deepEqual(graph.get('marts/a').upstream, [])
  assert.deepEqual(graph.get('marts/b').upstream, ['main/orders'])
})

test('three-part names (dbt-duckdb) resolve to schema.table, dropping the catalog', () => {
  const mart = sqlAsset({ key: 'marts/c', sql: 'select * from "warehouse"."main"."orders" join "warehouse"."raw"."orders" r using (id)' })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [orders, rawOrders, mart] }))
  assert.deepEqual(graph.get('marts/c').upstream, ['main/orders', 'raw/orders'])
})

test('read_csv over a file source adds lineage to that source', () => {
  const staged = sqlAsset({ key: 'staging/crm', sql: "select * from read_csv('landing/crm/*.csv', header = true)" })
  const oneFile = sqlAsset({ key: 'staging/crm_one', sql: "select * from './landing/crm/2024-01-01.csv'" })
  const elsewhere = sqlAsset({ key: 'staging/other', sql: "select * from read_parquet('s3://bucket/x.parquet')" })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [crmFiles, staged, oneFile, elsewhere] }))
  assert.deepEqual(graph.get('staging/crm').upstream, ['landing/crm'])
  assert.deepEqual(graph.get('staging/crm_one').upstream, ['landing/crm'])
  assert.deepEqual(graph.get('staging/other').upstream, [])
})

test("a parse error is DuckDB's message with the asset and position (TRB1005)", () => {
  const broken = sqlAsset({ key: 'marts/broken', sql: 'select id,\n  amount\nfrom raw.orders\nwhere amount = = 3' })
  const { problems } = buildGraph(defineProject({ name: 't', assets: [rawOrders, broken] }))
  assert.equal(problems.length, 1)
  assert.equal(problems[0]!.code, 'TRB1005')
  assert.equal(problems[0]!.context.assetKey, 'marts/broken')
  assert.deepEqual(problems[0]!.context.position, { line: 4, column: 16 })
  assert.match(problems[0]!.message, /marts\/broken does not parse at line 4, column 16: syntax error at or near "=" \(DuckDB\)/)
})

test('DuckDB idioms the previous parser refused are accepted', () => {
  const idioms = ['select * exclude (id) from raw.orders', 'from raw.orders select id', 'select id, count(*) from raw.orders group by all',
    'select * from raw.orders qualify row_number() over (partition by id order by id) = 1']
  const assets = idioms.map((sql, i) => sqlAsset({ key: `marts/idiom_${i}`, sql }))
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [rawOrders, ...assets] }))
  for (const asset of assets) assert.deepEqual(graph.get(asset.key).upstream, ['raw/orders'])
})

test('the cache file makes a second process-like validation parse nothing', () => {
  const cacheFile = join(dir, 'sql-analysis.json')
  const project = defineProject({ name: 't', assets: [rawOrders, sqlAsset({ key: 'marts/cached', sql: 'select id from raw.orders where id > 41' })] })
  const cold = new DuckDbSqlAnalyzer(new ParseCache())
  buildGraphOrThrow(project, { analyzer: cold, cacheFile })
  assert.equal(cold.parsed, 1)
  const warm = new DuckDbSqlAnalyzer(new ParseCache())
  const graph = buildGraphOrThrow(project, { analyzer: warm, cacheFile })
  assert.equal(warm.parsed, 0)
  assert.deepEqual(graph.get('marts/cached').upstream, ['raw/orders'])
})
