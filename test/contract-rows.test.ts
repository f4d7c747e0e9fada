// ctx.rows: a TypeScript asset reads an upstream's rows, typed by its contract (the typing itself is
// pinned by src/model/contract-row.test-d.ts under tsc). Here the run-time half: the rows arrive,
// in-process and in the CLI's worker processes, and reading a files source's rows is refused (TRB1041).
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { defineSource, files } from '../src/model/source.js'
import { cli } from './helpers/cli.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'
const orders = sqlAsset({ key: 'staging/orders', sql: "select * from (values (1, 5.5, 'paid'), (2, 7.25, 'open'), (3, 1.25, 'paid')) t(id, amount, status)",
  contract: { columns: { id: { type: 'integer', nullable: false }, amount: { type: 'decimal', nullable: false }, status: 'varchar' } } })
const paid = defineAsset({ key: 'marts/paid', ins: { orders }, async materialize({ orders }, ctx) {
  const rows = await ctx.rows(orders)
  const paid = rows.filter((row) => row.status === 'paid')
  return [{ orders: paid.length, total: paid.reduce((sum, row) => sum + row.amount, 0) }]
} })
export default defineProject({ name: 'rows', assets: [orders, paid] })
`

describe('ctx.rows', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('in a worker process (the CLI): the contract-typed rows of an upstream arrive as the warehouse holds them', async () => {
    const { dir, cleanup } = await tempDir('rows-')
    cleanups.push(cleanup)
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const run = cli(['materialize', '--project', dir])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    const p = await openProject({ assets: [] }, { dir })
    cleanups.push(() => p.instance.close())
    const session = await (await p.instance.warehouse()).session()
    try {
      assert.deepEqual(await session.query('select orders, total from marts.paid'), [{ orders: 2, total: 6.75 }])
    } finally {
      await session.close()
    }
  })

  test('in-process; a files source has no rows to read: TRB1041 names it', async () => {
    const orders = sqlAsset({ key: 'staging/orders', sql: 'select 1 as id, 2.5 as amount', contract: { columns: { id: 'integer', amount: 'decimal(2,1)' } } })
    const export_ = defineSource({ key: 'landing/export', observe: files('landing/*.csv') })
    const copy = defineAsset({ key: 'marts/copy', ins: { orders }, async materialize({ orders }, ctx) { return (await ctx.rows(orders)).map((r) => ({ id: r.id, doubled: (r.amount ?? 0) * 2 })) } })
    const wrong = defineAsset({ key: 'marts/wrong', ins: { export_ }, async materialize({ export_ }, ctx) { return ctx.rows(export_) } })
    const p = await openProject({ assets: [orders, export_, copy, wrong] })
    cleanups.push(p.close)
    await writeFile(join(p.dir, 'x.csv'), 'a\n1\n')
    const result = await p.instance.materialize('staging/orders marts/copy')
    assert.equal(result.status, 'succeeded')
    const session = await (await p.instance.warehouse()).session()
    try {
      assert.deepEqual(await session.query('select id, doubled from marts.copy'), [{ id: 1, doubled: 5 }])
    } finally {
      await session.close()
    }
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(p.dir, 'landing'))
    await writeFile(join(p.dir, 'landing/a.csv'), 'a\n1\n')
    const failed = await p.instance.materialize('marts/wrong')
    const [step] = await p.instance.store.listSteps(failed.runId)
    assert.equal(step!.status, 'failed')
    assert.equal(step!.error!.code, 'TRB1041')
    assert.match(step!.error!.message, /marts\/wrong read the rows of landing\/export, which is not a table/)
  })

  test('a partitioned upstream read through its mapping: only the mapped partition\'s rows', async () => {
    const days = dailyPartitions({ start: '2026-03-01' })
    const sales = defineAsset({
      key: 'raw/sales', partitions: days, contract: { columns: { amount: { type: 'bigint', nullable: false } } },
      materialize: (_inputs, ctx) => [{ amount: ctx.partition === '2026-03-01' ? 10 : 20 }, { amount: 1 }],
    })
    const daily = defineAsset({ key: 'marts/daily', partitions: days, ins: { sales }, async materialize({ sales }, ctx) {
      const rows = await ctx.rows(sales)
      return [{ total: rows.reduce((sum, row) => sum + Number(row.amount), 0) }]
    } })
    const p = await openProject({ assets: [sales, daily] })
    cleanups.push(p.close)
    for (const partition of ['2026-03-01', '2026-03-02']) assert.equal((await p.instance.materialize(undefined, { partition })).status, 'succeeded')
    const session = await (await p.instance.warehouse()).session()
    try {
      assert.deepEqual(await session.query('select partition_key, total from marts.daily order by 1'), [{ partition_key: '2026-03-01', total: 11 }, { partition_key: '2026-03-02', total: 21 }])
    } finally {
      await session.close()
    }
  })
})
