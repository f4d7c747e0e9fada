// Column lineage end to end: schemas recorded at publish expand `*`; the CLI
// (`tributary lineage asset.column`) and GET /api/lineage/columns answer from them.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { cli } from './helpers/cli.js'
import { serveInstance } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'
const orders = defineAsset({ key: 'raw/orders', owner: 'team:sales', materialize: () => [
  { id: 1, customer_id: 10, amount: 5.5, status: 'paid' }, { id: 2, customer_id: 11, amount: 7, status: 'open' }] })
const customers = defineAsset({ key: 'raw/customers', materialize: () => [{ id: 10, segment: 'smb' }, { id: 11, segment: 'ent' }] })
const enriched = sqlAsset({ key: 'staging/orders_enriched', owner: 'team:data',
  sql: "with paid as (select * from raw.orders where status = 'paid') select p.* exclude (status), c.segment from paid p join raw.customers c on c.id = p.customer_id" })
const bySegment = sqlAsset({ key: 'marts/by_segment', owner: 'team:finance', sql: 'select segment, sum(amount) as revenue from staging.orders_enriched group by all' })
export default defineProject({ name: 'columns', assets: [orders, customers, enriched, bySegment] })
`

describe('column lineage', () => {
  let dir = ''
  let cleanup: () => Promise<void> = async () => undefined
  before(async () => {
    ;({ dir, cleanup } = await tempDir('columns-'))
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const built = cli(['materialize', '--project', dir])
    assert.equal(built.code, 0, built.stderr)
  })
  after(() => cleanup())

  test('CLI: a column\'s sources through * EXCLUDE (expanded from the published schema) and a CTE, and its readers', () => {
    const result = cli(['lineage', 'staging/orders_enriched.amount', '--project', dir, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const lineage = JSON.parse(result.stdout)
    const edge = (e: any) => `${e.from.asset}.${e.from.column} -${e.kind}-> ${e.to.asset}.${e.to.column}`
    assert.deepEqual(lineage.upstream.map(edge).sort(), [
      'raw/customers.id -filter-> staging/orders_enriched.amount',
      'raw/orders.amount -copy-> staging/orders_enriched.amount',
      'raw/orders.customer_id -filter-> staging/orders_enriched.amount',
      'raw/orders.status -filter-> staging/orders_enriched.amount',
    ])
    assert.deepEqual(lineage.downstream.map(edge), ['staging/orders_enriched.amount -transform-> marts/by_segment.revenue'])
    const text = cli(['lineage', 'staging/orders_enriched.amount', '--project', dir])
    assert.match(text.stdout, /← raw\/orders\.amount\s+\(copy\)/)
    assert.match(text.stdout, /→ marts\/by_segment\.revenue\s+\(transform\)/)
  })

  test('CLI: an unknown column is TRB2003 with the asset\'s columns', () => {
    const result = cli(['lineage', 'staging/orders_enriched.amount_eur', '--project', dir])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /TRB2003 staging\/orders_enriched has no column amount_eur/)
    assert.match(result.stderr, /its columns: id, customer_id, amount, segment/)
  })

  test('GET /api/lineage/columns: one column transitively, or every column of an asset', async () => {
    const instance = await Tributary.open({ projectDir: dir })
    const { server, api } = await serveInstance(instance)
    try {
      const one = await api.get('/api/lineage/columns?asset=marts/by_segment&column=revenue&direction=upstream')
      assert.equal(one.status, 200)
      const froms = one.body.upstream.map((e: any) => `${e.from.asset}.${e.from.column}`)
      assert.ok(froms.includes('staging/orders_enriched.amount') && froms.includes('raw/orders.amount'), JSON.stringify(froms))
      const all = await api.get('/api/lineage/columns?asset=staging/orders_enriched')
      assert.deepEqual(all.body.columns.map((c: any) => c.name), ['id', 'customer_id', 'amount', 'segment'])
      assert.equal((await api.get('/api/lineage/columns?asset=nope/x')).status, 404)
    } finally {
      await server.close()
      await instance.close()
    }
  })
})
