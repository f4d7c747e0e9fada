import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { findProblems } from '../src/alerts/problems.js'
import { ManualClock } from '../src/engine/clock.js'
import type { Tributary } from '../src/instance/tributary.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineSource, files, table } from '../src/model/source.js'
import { openProject, tempDir } from './helpers/temp-project.js'

/** Replaces the replica table `landing.crm` as the system that owns it would. */
async function replaceCrm(instance: Tributary, select: string): Promise<void> {
  const session = await (await instance.warehouse()).session()
  try {
    await session.createFromSelect({ schema: 'landing', name: 'crm' }, select)
  } finally {
    await session.close()
  }
}

describe('schema drift that breaks readers', () => {
  test('a source that drops a column a SQL reader reads is the root cause (its owner); the reader is blocked before it runs', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: table('landing.crm') })
    const amounts = sqlAsset({ key: 'marts/amounts', owner: 'team:bi', sql: 'select id, amount from landing.crm' })
    const ids = sqlAsset({ key: 'marts/ids', owner: 'team:bi', sql: 'select id from landing.crm' })
    const p = await openProject({ assets: [crm, amounts, ids] }, { clock })
    try {
      await replaceCrm(p.instance, 'select 1 as id, 10 as amount')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      clock.advance(60_000)
      await replaceCrm(p.instance, 'select 2 as id, 20 as amount_eur')

      const run = await p.instance.materialize()
      const steps = new Map((await p.instance.store.listSteps(run.runId)).map((s) => [s.assetKey, s]))
      assert.equal(steps.get('marts/ids')!.status, 'succeeded', 'a reader that does not read the column is not held back')
      const blocked = steps.get('marts/amounts')!
      assert.equal(blocked.status, 'blocked')
      assert.equal(blocked.attempt, 0, 'blocked before it ran: no binder error')
      assert.equal(blocked.error!.code, 'TRB3020')
      assert.equal(blocked.reason, 'upstream landing/crm changed its schema: removed amount, which marts/amounts reads (owner team:crm)')

      const statuses = new Map((await p.instance.status(undefined, { observeTables: true })).map((s) => [s.key, s]))
      const source = statuses.get('landing/crm')!
      assert.equal(source.status, 'failed')
      assert.deepEqual(source.reasons.map((r) => [r.type, r.message]), [['schema_changed', 'schema changed: removed amount, which marts/amounts reads']])
      const reader = statuses.get('marts/amounts')!
      assert.equal(reader.status, 'blocked')
      assert.deepEqual([reader.rootCause!.key, reader.rootCause!.owner], ['landing/crm', 'team:crm'])
      assert.equal(statuses.get('marts/ids')!.status, 'fresh')
      const problems = findProblems({ graph: p.instance.graph, statuses, sla: new Map(), drift: new Map(), circuits: new Map(), enabled: { has: () => true }, now: clock.now() })
      assert.deepEqual(problems.problems.map((x) => [x.assetKey, x.condition]), [['landing/crm', 'schema_drift']], 'paged on the source, not on marts/amounts')

      // The owner restores the column: nothing is broken any more and the reader runs.
      clock.advance(60_000)
      await replaceCrm(p.instance, 'select 3 as id, 30 as amount, 30 as amount_eur')
      assert.equal((await p.instance.materialize('marts/amounts')).status, 'succeeded')
      const fixed = new Map((await p.instance.status(undefined, { observeTables: true })).map((s) => [s.key, s]))
      assert.equal(fixed.get('landing/crm')!.status, 'fresh')
      assert.equal(fixed.get('marts/amounts')!.status, 'fresh')
    } finally {
      await p.close()
    }
  })

  test('a CSV export that drops a column a loader passes on to SQL: the loader is blocked, the export\'s owner is the root cause', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('crm/*.csv') })
    const load = defineAsset({ key: 'raw/crm', owner: 'team:data', ins: { crm }, async materialize({ crm }, ctx) { await ctx.loadCsv(crm.files) } })
    const total = sqlAsset({ key: 'marts/total', owner: 'team:bi', sql: 'select sum(amount) as total from raw.crm' })
    const p = await openProject({ assets: [crm, load, total] }, { clock })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount\n1,10\n')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      clock.advance(60_000)
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount_eur,region\n1,10,eu\n')
      const run = await p.instance.materialize()
      const steps = new Map((await p.instance.store.listSteps(run.runId)).map((s) => [s.assetKey, s]))
      assert.equal(steps.get('raw/crm')!.status, 'blocked')
      assert.equal(steps.get('raw/crm')!.reason, 'upstream landing/crm changed its schema: removed amount, which raw/crm passes on to marts/total (owner team:crm)')
      assert.equal(steps.get('marts/total')!.status, 'skipped', 'marts/total keeps its last good version; no binder error')
      const status = await p.instance.ready('marts/total')
      assert.deepEqual([status.rootCause!.key, status.rootCause!.owner], ['landing/crm', 'team:crm'])
    } finally {
      await p.close()
    }
  })

  test('a retyped column breaks a reader that mentions it until the reader\'s SQL changes', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: table('landing.crm') })
    const before = sqlAsset({ key: 'marts/total', sql: 'select sum(amount) as total from landing.crm' })
    const temp = await tempDir()
    after(() => temp.cleanup())
    const p = await openProject({ assets: [crm, before] }, { clock, dir: temp.dir })
    try {
      await replaceCrm(p.instance, 'select 10 as amount')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      clock.advance(60_000)
      await replaceCrm(p.instance, "select '10' as amount")
      const [step] = await p.instance.store.listSteps((await p.instance.materialize()).runId)
      assert.equal(step!.status, 'blocked')
      assert.match(step!.reason!, /retyped amount INTEGER → VARCHAR, which marts\/total reads \(owner team:crm\)/)
    } finally {
      await p.close()
    }
    // The reader's owner adapts the SQL: a changed reader is their answer to the change, and runs.
    const adapted = sqlAsset({ key: 'marts/total', sql: 'select sum(cast(amount as integer)) as total from landing.crm' })
    const again = await openProject({ assets: [crm, adapted] }, { clock, dir: temp.dir })
    try {
      assert.equal((await again.instance.materialize()).status, 'succeeded')
    } finally {
      await again.close()
    }
  })
})
