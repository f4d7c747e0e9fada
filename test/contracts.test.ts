// Contracts: enforced before publish as a blocking gate, with a reason per offending column;
// consumers keep the last good version; bad contract definitions fail validation (TRB1031).
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { buildGraph } from '../src/graph/build-graph.js'
import { Tributary } from '../src/instance/tributary.js'
import { tempDir } from './helpers/temp-project.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50 }
const CONTRACT = { columns: { id: { type: 'bigint', nullable: false }, amount: { type: 'double', description: 'in EUR' }, segment: 'varchar' } }

describe('contracts', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  function project(sql: string) {
    const orders = defineAsset({ key: 'raw/orders', materialize: () => [{ id: 1, amount: 5.5, segment: 'smb' }, { id: 2, amount: 7.25, segment: 'ent' }] })
    const mart = sqlAsset({ key: 'marts/orders', owner: 'team:finance', contract: CONTRACT, sql })
    const reader = sqlAsset({ key: 'marts/reader', sql: 'select segment, sum(amount) as total from marts.orders group by all' })
    return defineProject({ name: 'contracts', assets: [orders, mart, reader] })
  }

  test('a breach blocks the publish, names each offending column, and consumers keep the last good version', async () => {
    const { dir, cleanup } = await tempDir('contracts-')
    cleanups.push(cleanup)
    const good = await Tributary.open({ projectDir: dir, project: project('select id, amount, segment from raw.orders'), settings: SETTINGS })
    const first = await good.materialize()
    assert.equal(first.status, 'succeeded')
    const [passed] = await good.store.listCheckResults('marts/orders', { limit: 1 })
    assert.equal(passed!.checkName, 'contract')
    assert.equal(passed!.passed, true)
    await good.close()

    // The upstream renames amount, retypes id and lets nulls in: three offending columns.
    const bad = await Tributary.open({ projectDir: dir, project: project("select case when id = 1 then null else id::varchar end as id, amount as amount_eur, segment from raw.orders"), settings: SETTINGS })
    cleanups.unshift(() => bad.close())
    const second = await bad.materialize()
    assert.equal(second.status, 'failed')
    const steps = Object.fromEntries((await bad.store.listSteps(second.runId)).map((s) => [s.assetKey, s]))
    assert.equal(steps['marts/orders']!.status, 'blocked')
    assert.match(steps['marts/orders']!.reason!, /contract breached: id is VARCHAR; the contract says bigint; amount is missing; the contract guarantees it \(double\)/)
    assert.equal(steps['marts/reader']!.status, 'skipped')
    const session = await (await bad.warehouse()).session()
    try {
      // The published table is still the last good version, with its contract's columns.
      assert.deepEqual((await session.columns({ schema: 'marts', name: 'orders' })).map((c) => c.name), ['id', 'amount', 'segment'])
    } finally {
      await session.close()
    }
  })

  test('nulls in a not-null column are a breach', async () => {
    const { dir, cleanup } = await tempDir('contracts-')
    cleanups.push(cleanup)
    const instance = await Tributary.open({ projectDir: dir, project: project('select case when id = 1 then null else id end as id, amount, segment from raw.orders'), settings: SETTINGS })
    cleanups.unshift(() => instance.close())
    const run = await instance.materialize()
    const step = (await instance.store.listSteps(run.runId)).find((s) => s.assetKey === 'marts/orders')!
    assert.equal(step.status, 'blocked')
    assert.match(step.reason!, /id has 1 null\(s\); the contract says not null/)
  })

  test('an invalid contract fails validation with TRB1031', () => {
    const bad = sqlAsset({ key: 'marts/x', sql: 'select 1 as id', contract: { columns: { id: { type: '' } } } })
    const { problems } = buildGraph(defineProject({ name: 'c', assets: [bad] }))
    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.code, 'TRB1031')
    assert.match(problems[0]!.message, /contract of marts\/x: column id has no type/)
  })
})
