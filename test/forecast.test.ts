import assert from 'node:assert/strict'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { unique } from '../src/checks/builtins.js'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { eager } from '../src/model/automation.js'
import { defineSource, files } from '../src/model/source.js'
import { openProject } from './helpers/temp-project.js'

const DAY = 86_400_000

describe('forecast: when will it be ready?', () => {
  test('an upstream blocked by a failed check: not until it is fixed (owner), never "now + its typical run"', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    let rows = [{ id: 1 }, { id: 2 }]
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('crm/*.csv') })
    const accounts = defineAsset({ key: 'raw/accounts', owner: 'team:data', ins: { crm }, checks: [unique('id')], automation: eager(), async materialize() { return rows } })
    const mart = sqlAsset({ key: 'marts/x', owner: 'team:bi', sql: 'select count(*) as n from raw.accounts', automation: eager(), freshness: { maxAge: '2h' } })
    const p = await openProject({ assets: [crm, accounts, mart] }, { clock })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id\n1\n')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      clock.advance(60_000)
      await writeFile(join(p.dir, 'crm/a.csv'), 'id\n1\n1\n')
      rows = [{ id: 1 }, { id: 1 }]
      await p.instance.materialize()
      assert.equal((await p.instance.ready('raw/accounts')).status, 'blocked')
      const { predictions, sla } = await p.instance.forecast(['marts/x'])
      const prediction = predictions.get('marts/x')!
      assert.equal(prediction.predictedAt, null, 'nothing rebuilds a blocked asset on the same data')
      assert.equal(prediction.basis, 'not until raw/accounts is fixed (owner team:data): it is blocked')
      assert.deepEqual(prediction.blockedBy, { key: 'raw/accounts', owner: 'team:data', status: 'blocked' })
      assert.deepEqual(sla.get('marts/x'), { state: 'at_risk', dueAt: new Date('2026-03-02T08:00:00Z'), reason: 'due by 2026-03-02T08:00:00.000Z, and not until raw/accounts is fixed (owner team:data): it is blocked' })
    } finally {
      await p.close()
    }
  })

  test('polling a daily source does not evict its arrival history: the ETA still comes from its daily pattern', async () => {
    const clock = new ManualClock('2026-03-01T05:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('crm/*.csv'), freshness: { maxAge: '20h' } })
    const load = defineAsset({ key: 'raw/crm', ins: { crm }, automation: eager(), async materialize() { return [{ id: 1 }] } })
    const p = await openProject({ assets: [crm, load] }, { clock })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      const file = join(p.dir, 'crm/a.csv')
      await writeFile(file, 'id\n1\n')
      for (let day = 0; day < 3; day++) {
        // The export lands at 05:00 each day; status is asked every minute all day long.
        const landed = new Date(Date.parse('2026-03-01T05:00:00Z') + day * DAY)
        clock.set(landed)
        await utimes(file, landed, landed)
        for (let minute = 0; minute < 40; minute++) {
          await p.instance.status()
          clock.advance(60_000)
        }
      }
      await p.instance.materialize()
      clock.set('2026-03-04T04:00:00Z') // late by its 20h maxAge; today's export is not in yet
      for (let poll = 0; poll < 40; poll++) await p.instance.status()
      const { predictions } = await p.instance.forecast(['raw/crm'])
      assert.equal(predictions.get('landing/crm')!.predictedAt?.toISOString(), '2026-03-04T05:00:00.000Z', predictions.get('landing/crm')!.basis)
      assert.equal((await p.instance.store.listObservations('landing/crm')).length, 3, 'one observation per export, not per look')
    } finally {
      await p.close()
    }
  })
})
