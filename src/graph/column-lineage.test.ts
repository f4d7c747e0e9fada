import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { defineSource, files } from '../model/source.js'
import { buildGraphOrThrow } from './build-graph.js'
import { ColumnLineage, type ColumnEdge } from './column-lineage.js'

const landing = defineSource({ key: 'landing/fx', observe: files('landing/fx/*.csv') })
const orders = defineAsset({ key: 'raw/orders', materialize: () => [] })
const customers = defineAsset({ key: 'raw/customers', materialize: () => [] })
const enriched = sqlAsset({
  key: 'staging/orders_enriched',
  sql: `with paid as (select * from raw.orders where status = 'paid')
        select p.id, p.amount * fx.rate as amount_eur, c.segment
        from paid p join raw.customers c on c.id = p.customer_id
        join read_csv('landing/fx/rates.csv') fx on fx.currency = p.currency`,
})
const bySegment = sqlAsset({ key: 'marts/by_segment', sql: 'select segment, sum(amount_eur) as revenue from staging.orders_enriched group by all' })
const copyAll = sqlAsset({ key: 'marts/orders_copy', sql: 'select * exclude (status) from raw.orders' })
const report = defineAsset({ key: 'reports/segments', ins: { bySegment }, materialize: () => [] })
const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [landing, orders, customers, enriched, bySegment, copyAll, report] }))
const schemas = new Map([
  ['raw/orders', ['id', 'customer_id', 'amount', 'currency', 'status']],
  ['raw/customers', ['id', 'segment']],
  ['reports/segments', ['segment', 'total']],
])
const lineage = ColumnLineage.build(graph, schemas)
const show = (edges: readonly ColumnEdge[]) => edges.map((e) => `${e.from.asset}.${e.from.column} -${e.kind}-> ${e.to.asset}.${e.to.column}`).sort()

test('a column derives from its inputs through a CTE with *, a join and a file, with its kind', () => {
  assert.deepEqual(show(lineage.upstream('staging/orders_enriched', 'amount_eur', false)), [
    'landing/fx.currency -filter-> staging/orders_enriched.amount_eur',
    'landing/fx.rate -transform-> staging/orders_enriched.amount_eur',
    'raw/customers.id -filter-> staging/orders_enriched.amount_eur',
    'raw/orders.amount -transform-> staging/orders_enriched.amount_eur',
    'raw/orders.currency -filter-> staging/orders_enriched.amount_eur',
    'raw/orders.customer_id -filter-> staging/orders_enriched.amount_eur',
    'raw/orders.status -filter-> staging/orders_enriched.amount_eur',
  ])
})

test('downstream of a column: readers through aggregates, and a TypeScript reader at asset level', () => {
  assert.deepEqual(show(lineage.downstream('raw/orders', 'amount')), [
    'marts/by_segment.* -asset-> reports/segments.segment',
    'marts/by_segment.* -asset-> reports/segments.total',
    'raw/orders.amount -copy-> marts/orders_copy.amount',
    'raw/orders.amount -transform-> staging/orders_enriched.amount_eur',
    'staging/orders_enriched.amount_eur -transform-> marts/by_segment.revenue',
  ].sort())
})

test('* EXCLUDE expands from the recorded schema; without one it stays *', () => {
  assert.deepEqual(lineage.columnsOf('marts/orders_copy').sort(), ['amount', 'currency', 'customer_id', 'id'])
  const unknown = ColumnLineage.build(graph, new Map())
  assert.deepEqual(show(unknown.upstream('marts/orders_copy', 'amount', false)), ['raw/orders.* -copy-> marts/orders_copy.*'])
})
