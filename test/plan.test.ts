// `tributary plan`: the working tree against what is deployed. A renamed column read by two
// downstream assets names both, with their owners, and exits 1; an added column does not.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { cli } from './helpers/cli.js'
import { serveInstance } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

const config = (staging: string, extra = '') => `
import { defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'
const orders = defineAsset({ key: 'raw/orders', owner: 'team:sales', materialize: () => [{ id: 1, customer_id: 10, amount: 5.5 }, { id: 2, customer_id: 11, amount: 7 }] })
const staging = sqlAsset({ key: 'staging/orders', owner: 'team:data', sql: ${JSON.stringify(staging)} })
const revenue = sqlAsset({ key: 'marts/revenue', owner: 'team:finance', sql: 'select sum(amount) as revenue from staging.orders' })
const byCustomer = sqlAsset({ key: 'marts/by_customer', owner: 'team:growth', sql: 'select customer_id, sum(amount) as total from staging.orders group by all' })
const ids = sqlAsset({ key: 'marts/ids', sql: 'select id from staging.orders', contract: { columns: { id: { type: 'bigint', nullable: false } } } })
${extra}
export default defineProject({ name: 'plan', assets: [orders, staging, revenue, byCustomer, ids${extra ? ', more' : ''}] })
`

describe('tributary plan', () => {
  let dir = ''
  let cleanup: () => Promise<void> = async () => undefined
  before(async () => {
    ;({ dir, cleanup } = await tempDir('plan-'))
    await writeFile(join(dir, 'tributary.config.ts'), config('select id, customer_id, amount from raw.orders'))
    const built = cli(['materialize', '--project', dir])
    assert.equal(built.code, 0, built.stderr)
  })
  after(() => cleanup())

  test('nothing changed: exit 0, nothing to rebuild', () => {
    const result = cli(['plan', '--project', dir, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const plan = JSON.parse(result.stdout)
    assert.deepEqual([plan.changed, plan.breaks, plan.rebuild], [[], [], []])
  })

  test('a renamed column read by two downstream assets: both named with their owners, exit 1', async () => {
    await writeFile(join(dir, 'tributary.config.ts'), config('select id, customer_id, amount as amount_eur from raw.orders'))
    const result = cli(['plan', '--project', dir, '--json'])
    assert.equal(result.code, 1, result.stderr)
    const plan = JSON.parse(result.stdout)
    assert.deepEqual(plan.changed.map((c: any) => [c.key, c.columns]), [['staging/orders', { added: ['amount_eur'], removed: ['amount'] }]])
    assert.deepEqual(plan.breaks.map((b: any) => [b.asset, b.column, b.readers.map((r: any) => `${r.asset}.${r.column} ${r.owner} ${r.kind}`).sort()]), [
      ['staging/orders', 'amount', ['marts/by_customer.total team:growth transform', 'marts/revenue.revenue team:finance transform']],
    ])
    assert.deepEqual(plan.rebuild.map((r: any) => `${r.key}:${r.why}`), ['staging/orders:code changed', 'marts/by_customer:upstream changed', 'marts/ids:upstream changed', 'marts/revenue:upstream changed'])
    assert.equal(plan.breaking, true)
    const text = cli(['plan', '--project', dir])
    assert.equal(text.code, 1)
    assert.match(text.stdout, /removing staging\/orders\.amount breaks:/)
    assert.match(text.stdout, /marts\/revenue\.revenue \(owner team:finance\)/)
    assert.match(text.stdout, /marts\/by_customer\.total \(owner team:growth\)/)
    const markdown = cli(['plan', '--project', dir, '--markdown'])
    assert.match(markdown.stdout, /### Tributary plan: ❌ breaking/)
    assert.match(markdown.stdout, /\| `staging\/orders` \| code changed \| −amount \+amount_eur \|/)
    // The same plan over HTTP, for the UI.
    const instance = await Tributary.open({ projectDir: dir })
    const { server, api } = await serveInstance(instance)
    try {
      const response = await api.post('/api/plan', { body: {} })
      assert.equal(response.status, 200)
      assert.equal(response.body.breaking, true)
      assert.deepEqual(response.body.breaks.map((b: any) => b.readers.length), [2])
      assert.equal((await api.post('/api/plan', { body: { selection: 'x' } })).status, 400)
    } finally {
      await server.close()
      await instance.close()
    }
  })

  test('a dropped column a contract guarantees is a breach; an added column breaks nothing', async () => {
    await writeFile(join(dir, 'tributary.config.ts'), config('select id, customer_id, amount, 1 as flag from raw.orders').replace("sql: 'select id from staging.orders'", "sql: 'select customer_id from staging.orders'"))
    const result = cli(['plan', '--project', dir, '--json'])
    const plan = JSON.parse(result.stdout)
    assert.deepEqual(plan.breaks, [])
    assert.deepEqual(plan.contractBreaches, [{ asset: 'marts/ids', owner: null, reasons: ['id is missing; the contract guarantees it (bigint)'] }])
    assert.equal(result.code, 1)
    await writeFile(join(dir, 'tributary.config.ts'), config('select id, customer_id, amount, 1 as flag from raw.orders'))
    const fine = cli(['plan', '--project', dir, '--json'])
    assert.equal(fine.code, 0, fine.stdout)
    assert.deepEqual(JSON.parse(fine.stdout).changed[0].columns, { added: ['flag'], removed: [] })
  })
})
