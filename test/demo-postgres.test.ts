// The revenue demo on PostgreSQL store and warehouse: the same nights, the same outcomes, and
// the same published numbers as on the embedded DuckDB warehouse.
import assert from 'node:assert/strict'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { simulateNight } from '../examples/revenue/simulator.js'
import { Tributary } from '../src/instance/tributary.js'
import { loadProject } from '../src/instance/load-project.js'
import { defineProject } from '../src/model/project.js'
import { postgres } from '../src/store/store-config.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'revenue')

/** The demo in a fresh directory; on PostgreSQL when `url` is given, else on its own config (DuckDB, SQLite). */
async function revenueProject(url?: string) {
  const temp = await tempDir('revenue-pg-')
  await cp(join(EXAMPLE, 'tributary.config.ts'), join(temp.dir, 'tributary.config.ts'))
  await cp(join(EXAMPLE, 'assets'), join(temp.dir, 'assets'), { recursive: true })
  // SQL assets are written in their warehouse's dialect: the demo's one DuckDB-only spelling
  // (`interval 45 day`) becomes the form both accept.
  const models = join(temp.dir, 'assets', 'models.ts')
  const source = await readFile(models, 'utf8')
  assert.ok(source.includes('interval 45 day'))
  await writeFile(models, source.replace('interval 45 day', "interval '45 days'"))
  const { project } = await loadProject(temp.dir)
  const onPostgres = url === undefined ? project : defineProject({ ...project, store: postgres({ url }), warehouse: postgres({ url }) })
  const instance = await Tributary.open({ projectDir: temp.dir, project: onPostgres, settings: { readinessTimeoutMs: 0 } })
  return { dir: temp.dir, instance, close: async () => { await instance.close(); await temp.cleanup() } }
}

async function stepStatuses(instance: Tributary, runId: string) {
  return Object.fromEntries((await instance.store.listSteps(runId)).map((s) => [s.assetKey, s.status]))
}

/** marts/revenue as plain numbers and strings, whichever warehouse it came from. */
async function revenueRows(instance: Tributary) {
  const session = await (await instance.warehouse()).session()
  try {
    const rows = await session.query('select * from marts.revenue')
    return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'number' ? Number(v.toFixed(6)) : v])))).sort()
  } finally {
    await session.close()
  }
}

describe('revenue demo on PostgreSQL store and warehouse', () => {
  test('a good night, then a late CRM export: the same outcomes as on DuckDB, and the same revenue', async () => {
    const database = await createDatabase()
    const p = await revenueProject(database.url)
    const embedded = await revenueProject()
    try {
      assert.equal((await p.instance.warehouse()).dialect, 'postgres')
      await simulateNight(p.dir, { night: 1 })
      await simulateNight(embedded.dir, { night: 1 })
      const first = await p.instance.materialize()
      assert.equal(first.status, 'succeeded', JSON.stringify(await stepStatuses(p.instance, first.runId)))
      assert.equal((await embedded.instance.materialize()).status, 'succeeded')
      assert.equal((await p.instance.ready('dashboards/revenue')).ready, true)
      const revenue = await revenueRows(p.instance)
      assert.ok(revenue.length > 0)
      assert.deepEqual(revenue, await revenueRows(embedded.instance))

      await simulateNight(p.dir, { night: 2, crm: 'late' })
      const second = await p.instance.materialize()
      assert.equal(second.status, 'failed')
      const steps = await stepStatuses(p.instance, second.runId)
      assert.equal(steps['raw/payments'], 'succeeded')
      assert.equal(steps['marts/revenue'], 'succeeded')
      assert.equal(steps['raw/accounts'], 'blocked', 'a late input blocks its reader; it does not fail it')
      for (const key of ['raw/opportunities', 'marts/pipeline', 'marts/expansion', 'dashboards/revenue']) assert.equal(steps[key], 'skipped', key)
      const dashboard = await p.instance.ready('dashboards/revenue')
      assert.equal(dashboard.ready, false)
      assert.equal(dashboard.rootCause!.owner, 'team:crm')
    } finally {
      await p.close()
      await embedded.close()
      await database.drop()
    }
  })
})
