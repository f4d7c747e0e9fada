import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { simulateNight } from '../examples/revenue/simulator.js'
import { tempDir } from './helpers/temp-project.js'

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'revenue')

async function revenueProject() {
  const temp = await tempDir('revenue-')
  await cp(join(EXAMPLE, 'tributary.config.ts'), join(temp.dir, 'tributary.config.ts'))
  await cp(join(EXAMPLE, 'assets'), join(temp.dir, 'assets'), { recursive: true })
  const instance = await Tributary.open({ projectDir: temp.dir, settings: { readinessTimeoutMs: 0 } })
  return { dir: temp.dir, instance, close: async () => { await instance.close(); await temp.cleanup() } }
}

async function stepStatuses(instance: Tributary, runId: string) {
  return Object.fromEntries((await instance.store.listSteps(runId)).map((s) => [s.assetKey, s.status]))
}

describe('revenue demo', () => {
  test('a good night, then a late CRM export: CRM-fed assets wait, revenue updates, the dashboard is not ready because of team:crm', async () => {
    const p = await revenueProject()
    try {
      await simulateNight(p.dir, { night: 1 })
      const first = await p.instance.materialize()
      assert.equal(first.status, 'succeeded', JSON.stringify(await stepStatuses(p.instance, first.runId)))
      assert.equal((await p.instance.ready('dashboards/revenue')).ready, true)
      const revenueBefore = (await p.instance.store.listMaterializations('marts/revenue'))[0]!

      await simulateNight(p.dir, { night: 2, crm: 'late' })
      const second = await p.instance.materialize()
      assert.equal(second.status, 'failed')
      const steps = await stepStatuses(p.instance, second.runId)
      assert.equal(steps['raw/payments'], 'succeeded')
      assert.equal(steps['marts/revenue'], 'succeeded')
      assert.equal(steps['raw/accounts'], 'blocked', 'a late input blocks its reader; it does not fail it')
      for (const key of ['raw/opportunities', 'marts/pipeline', 'marts/expansion', 'dashboards/revenue']) assert.equal(steps[key], 'skipped', key)

      const revenueAfter = (await p.instance.store.listMaterializations('marts/revenue'))[0]!
      assert.notEqual(revenueAfter.dataVersion, revenueBefore.dataVersion, 'revenue took in the new payments')
      assert.equal((await p.instance.ready('marts/revenue')).ready, true)
      const dashboard = await p.instance.ready('dashboards/revenue')
      assert.equal(dashboard.ready, false)
      assert.equal(dashboard.rootCause!.owner, 'team:crm')
      assert.match(dashboard.rootCause!.key, /^landing\/crm_/)
      assert.equal(dashboard.rootCause!.status, 'late')
    } finally {
      await p.close()
    }
  })

  for (const [scenario, check] of [['duplicated', /unique\(payment_id\)/], ['schema_drift', /not_null|schema/], ['partial', /volume_change/]] as const) {
    test(`a ${scenario} payments export is blocked before publishing; consumers keep the last good version`, async () => {
      const p = await revenueProject()
      try {
        await simulateNight(p.dir, { night: 1 })
        assert.equal((await p.instance.materialize()).status, 'succeeded')
        const good = (await p.instance.store.listMaterializations('raw/payments'))[0]!
        // Night 2 replaces the folder's contents so "partial" really shrinks the data.
        const { rm } = await import('node:fs/promises')
        if (scenario === 'partial') await rm(join(p.dir, 'landing/payments'), { recursive: true })
        await simulateNight(p.dir, { night: 2, payments: scenario })
        const run = await p.instance.materialize('raw/payments+')
        const steps = await p.instance.store.listSteps(run.runId)
        const payments = steps.find((s) => s.assetKey === 'raw/payments')!
        assert.equal(payments.status, 'blocked')
        assert.match(payments.reason!, check)
        assert.ok(steps.filter((s) => s.assetKey !== 'raw/payments').every((s) => s.status === 'skipped'))
        const session = await (await p.instance.warehouse()).session()
        assert.deepEqual(await session.query('select count(*)::int as n from raw.payments'), [{ n: good.rowCount }])
        await session.close()
        assert.equal((await p.instance.ready('raw/payments')).status, 'blocked')
      } finally {
        await p.close()
      }
    })
  }
})
