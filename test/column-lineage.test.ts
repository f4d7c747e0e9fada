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

// Before anything is published: what is known is said, with the readers at asset granularity,
// and a contract's columns stand in for the schema until the first publish.
const UNPUBLISHED = `
import { defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'
const orders = defineAsset({ key: 'raw/orders', owner: 'team:sales', materialize: () => [{ id: 1, amount: 5 }] })
const customers = defineAsset({ key: 'raw/customers', owner: 'team:crm', contract: { columns: { id: 'bigint', segment: 'varchar' } },
  materialize: () => [{ id: 1n, segment: 'smb' }] })
const loader = defineAsset({ key: 'marts/export', ins: { orders }, owner: 'team:ops', materialize: () => [] })
const total = sqlAsset({ key: 'marts/total', owner: 'team:finance', sql: 'select sum(amount) as revenue from raw.orders' })
const seg = sqlAsset({ key: 'marts/segments', owner: 'team:growth', sql: 'select * from raw.customers' })
export default defineProject({ name: 'unpublished', assets: [orders, customers, loader, total, seg] })
`

describe('column lineage before the first publish', () => {
  let dir = ''
  let cleanup: () => Promise<void> = async () => undefined
  before(async () => {
    ;({ dir, cleanup } = await tempDir('columns-unknown-'))
    await writeFile(join(dir, 'tributary.config.ts'), UNPUBLISHED)
  })
  after(() => cleanup())

  test('CLI: a column of an asset whose schema is unknown prints its readers at asset level and says why, exit 0', () => {
    const text = cli(['lineage', 'raw/orders.amount', '--project', dir])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /the columns of raw\/orders are not known yet: they are recorded when it is first published, or declared by a contract/)
    assert.match(text.stdout, /→ marts\/total\.revenue\s+\(transform\)/, 'the SQL reader still names the column it reads')
    assert.match(text.stdout, /read by \(asset level[^\n]*\n\s+→ marts\/export \(owner team:ops\)\n\s+→ marts\/total \(owner team:finance\)/)
    // A name nothing mentions is not refused either: nothing says the table lacks it.
    const typo = cli(['lineage', 'raw/orders.amout', '--project', dir, '--json'])
    assert.equal(typo.code, 0, typo.stderr)
    const json = JSON.parse(typo.stdout)
    assert.equal(json.columnsKnown, false)
    assert.match(json.note, /not known yet/)
    assert.deepEqual(json.readers, [{ asset: 'marts/export', owner: 'team:ops' }, { asset: 'marts/total', owner: 'team:finance' }])
  })

  test('a contract declares the columns until the first publish: * expands from it, and the API says where they come from', async () => {
    const text = cli(['lineage', 'raw/customers.segment', '--project', dir, '--json'])
    assert.equal(text.code, 0, text.stderr)
    const json = JSON.parse(text.stdout)
    assert.equal(json.columnsKnown, true)
    assert.deepEqual(json.downstream.map((e: any) => `${e.to.asset}.${e.to.column} (${e.kind})`), ['marts/segments.segment (copy)'])
    const instance = await Tributary.open({ projectDir: dir })
    const { server, api } = await serveInstance(instance)
    try {
      const customers = await api.get('/api/lineage/columns?asset=raw/customers')
      assert.equal(customers.body.schemaFrom, 'contract')
      assert.deepEqual(customers.body.columns.map((c: any) => `${c.name}:${c.type}`), ['id:bigint', 'segment:varchar'])
      const orders = await api.get('/api/lineage/columns?asset=raw/orders')
      assert.equal(orders.body.columnsKnown, false)
      assert.match(orders.body.note, /not known yet/)
      assert.deepEqual(orders.body.readers.map((r: any) => r.asset), ['marts/export', 'marts/total'])
    } finally {
      await server.close()
      await instance.close()
    }
  })
})
