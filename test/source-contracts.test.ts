// Contracts at source observation: a source whose newly observed schema breaks its own contract
// is the root cause (failed, owned by its owner, paged as schema drift), and its readers are
// blocked before they run with a reason naming the source and the offending columns (TRB1040).
// Real DuckDB warehouse, real SQLite store, real CSV files.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { findProblems } from '../src/alerts/problems.js'
import { ManualClock } from '../src/engine/clock.js'
import { createDaemon } from '../src/instance/daemon.js'
import type { Tributary } from '../src/instance/tributary.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { eager } from '../src/model/automation.js'
import { defineSource, files, table } from '../src/model/source.js'
import { openProject } from './helpers/temp-project.js'

/** Replaces the replica table `landing.accounts` as the system that owns it would. */
async function replaceAccounts(instance: Tributary, select: string): Promise<void> {
  const session = await (await instance.warehouse()).session()
  try {
    await session.createFromSelect({ schema: 'landing', name: 'accounts' }, select)
  } finally {
    await session.close()
  }
}

const statusMap = async (instance: Tributary) => new Map((await instance.status(undefined, { observeTables: true })).map((s) => [s.key, s]))

describe('contracts at source observation', () => {
  test('a table source that drops and retypes guaranteed columns: the source fails, every reader is blocked before it runs, the owner is paged', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const accounts = defineSource({
      key: 'landing/accounts', owner: 'team:crm', observe: table('landing.accounts'),
      contract: { columns: { id: { type: 'bigint', nullable: false }, segment: 'varchar', amount: 'double' } },
    })
    // Reads only id: still blocked, since the source as a whole no longer keeps its promise.
    const ids = sqlAsset({ key: 'marts/ids', owner: 'team:bi', sql: 'select id from landing.accounts' })
    const bySegment = sqlAsset({ key: 'marts/by_segment', owner: 'team:growth', sql: 'select segment, sum(amount) as amount from landing.accounts group by all' })
    let exported = 0
    const exporter = defineAsset({ key: 'extracts/accounts', owner: 'team:ops', ins: { accounts }, materialize: () => { exported++; return [{ n: 1 }] } })
    const p = await openProject({ assets: [accounts, ids, bySegment, exporter] }, { clock })
    try {
      await replaceAccounts(p.instance, "select 1::bigint as id, 'smb' as segment, 10.5::double as amount")
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      assert.equal(exported, 1)
      assert.equal((await statusMap(p.instance)).get('landing/accounts')!.status, 'fresh', 'a source that keeps its contract is fresh')

      clock.advance(60_000)
      await replaceAccounts(p.instance, "select '2' as id, 'smb' as segment, 20 as amount_eur")
      const run = await p.instance.materialize()
      assert.equal(run.status, 'failed')
      const steps = new Map((await p.instance.store.listSteps(run.runId)).map((s) => [s.assetKey, s]))
      for (const key of ['marts/ids', 'marts/by_segment', 'extracts/accounts']) {
        const step = steps.get(key)!
        assert.equal(step.status, 'blocked', key)
        assert.equal(step.attempt, 0, `${key} blocked before it ran`)
        assert.equal(step.error!.code, 'TRB1040')
        assert.equal(step.error!.upstream, 'landing/accounts')
        assert.equal(step.reason, 'upstream landing/accounts breaks its contract: id is VARCHAR; the contract says bigint; amount is missing; the contract guarantees it (double) (owner team:crm)')
      }
      assert.match(steps.get('marts/ids')!.error!.hint!, /Ask team:crm to restore id, amount/)
      assert.equal(exported, 1, 'the TypeScript reader did not run')

      const statuses = await statusMap(p.instance)
      const source = statuses.get('landing/accounts')!
      assert.equal(source.status, 'failed')
      assert.deepEqual(source.reasons.map((r) => [r.type, r.columns]), [['contract_breached', ['id', 'amount']]])
      for (const key of ['marts/ids', 'marts/by_segment', 'extracts/accounts']) {
        const reader = statuses.get(key)!
        assert.equal(reader.status, 'blocked', key)
        assert.deepEqual([reader.rootCause!.key, reader.rootCause!.owner], ['landing/accounts', 'team:crm'], key)
      }
      const problems = findProblems({ graph: p.instance.graph, statuses, sla: new Map(), drift: new Map(), circuits: new Map(), enabled: { has: () => true }, now: clock.now() })
      assert.deepEqual(problems.problems.map((x) => [x.assetKey, x.condition]), [['landing/accounts', 'schema_drift']], 'paged on the source, not on its readers')
      assert.match(problems.problems[0]!.message, /landing\/accounts contract breached: id is VARCHAR/)
      assert.deepEqual([...problems.routed].sort(), [['extracts/accounts', 'landing/accounts'], ['marts/by_segment', 'landing/accounts'], ['marts/ids', 'landing/accounts']])

      // The owner restores the schema (an extra column is fine: the contract is not exact): everything runs again.
      clock.advance(60_000)
      await replaceAccounts(p.instance, "select 3::bigint as id, 'ent' as segment, 30.0::double as amount, 'x' as note")
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      const fixed = await statusMap(p.instance)
      for (const key of ['landing/accounts', 'marts/ids', 'marts/by_segment', 'extracts/accounts']) assert.equal(fixed.get(key)!.status, 'fresh', key)
      assert.equal(exported, 2)
    } finally {
      await p.close()
    }
  })

  test('a CSV source is judged by its header: a missing column blocks its loader; with exact, an unexpected one does too', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('crm/*.csv'), contract: { columns: { id: 'bigint', region: 'varchar' }, exact: true } })
    const load = defineAsset({ key: 'raw/crm', owner: 'team:data', ins: { crm }, async materialize({ crm }, ctx) { await ctx.loadCsv(crm.files) } })
    const p = await openProject({ assets: [crm, load] }, { clock })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,region\n1,eu\n')
      assert.equal((await p.instance.materialize()).status, 'succeeded', 'types are not judged on a header: id passes as the contract says')

      clock.advance(60_000)
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,region_code,segment\n1,eu,smb\n')
      const run = await p.instance.materialize()
      const [step] = await p.instance.store.listSteps(run.runId)
      assert.equal(step!.status, 'blocked')
      assert.equal(step!.attempt, 0)
      assert.equal(step!.error!.code, 'TRB1040')
      assert.equal(step!.reason, 'upstream landing/crm breaks its contract: region is missing; the contract guarantees it (varchar); region_code is not in the exact contract; segment is not in the exact contract (owner team:crm)')
    } finally {
      await p.close()
    }
  })

  test('the daemon observes the source each tick: one incident for the source\'s owner naming the contract, and eager readers are not started', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const accounts = defineSource({ key: 'landing/accounts', owner: 'team:crm', observe: table('landing.accounts'), contract: { columns: { id: 'bigint', amount: 'double' } } })
    const totals = sqlAsset({ key: 'marts/totals', owner: 'team:bi', automation: eager(), sql: 'select sum(amount) as amount from landing.accounts' })
    const p = await openProject({ assets: [accounts, totals] }, { clock })
    const daemon = await createDaemon(() => p.instance, { clock, holder: 'daemon-a', waitForRuns: true })
    try {
      await replaceAccounts(p.instance, 'select 1::bigint as id, 1.5::double as amount')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      clock.advance(60_000)
      await replaceAccounts(p.instance, 'select 2::bigint as id, 3 as amount_eur')
      const runsBefore = (await p.instance.store.listRuns()).length
      const report = await daemon.runOnce()
      assert.deepEqual(report.fired, [], 'nothing started for a reader of a source breaking its contract')
      assert.equal((await p.instance.store.listRuns()).length, runsBefore)
      assert.equal(report.statuses.get('landing/accounts')!.status, 'failed')
      assert.equal(report.statuses.get('marts/totals')!.status, 'blocked')
      const automation = await p.instance.automation()
      const incidents = await automation.listIncidents({ status: 'unresolved' })
      assert.deepEqual(incidents.map((i) => [i.assetKey, i.condition, i.owner]), [['landing/accounts', 'schema_drift', 'team:crm']])
      assert.match(incidents[0]!.message, /landing\/accounts contract breached: amount is missing; the contract guarantees it \(double\)/)
      assert.deepEqual(incidents[0]!.affected, ['marts/totals'])
    } finally {
      await p.close()
    }
  })
})
