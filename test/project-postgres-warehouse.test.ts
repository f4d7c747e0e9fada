// A project whose config says `warehouse: postgres({ url })`: Tributary.open wires the PostgreSQL
// warehouse; assets stage, are checked and publish inside PostgreSQL, and identical inputs are
// skipped as up to date through PostgreSQL's data versions.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { unique } from '../src/checks/builtins.js'
import { Tributary } from '../src/instance/tributary.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { postgres } from '../src/store/store-config.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50 }

describe('a project on the PostgreSQL warehouse', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  async function setUp(prefix: string) {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir(prefix)
    cleanups.unshift(temp.cleanup)
    return { url: database.url, dir: temp.dir }
  }

  test('store and warehouse both in PostgreSQL: assets publish into PostgreSQL tables with the ledger, and readers of unchanged data are up to date', async () => {
    const { url, dir } = await setUp('pg-wh-')
    const orders = defineAsset({ key: 'raw/orders', checks: [unique('id')], async materialize() { return [{ id: 1, amount: 10 }, { id: 2, amount: 20 }] } })
    const totals = sqlAsset({ key: 'marts/totals', sql: 'select sum(amount)::bigint as amount, count(*) as n from raw.orders' })
    const project = defineProject({ name: 'pg-wh', assets: [orders, totals], store: postgres({ url, poolSize: 3 }), warehouse: postgres({ url }) })
    const instance = await Tributary.open({ projectDir: dir, project, settings: SETTINGS })
    cleanups.unshift(() => instance.close())
    assert.equal((await instance.warehouse()).dialect, 'postgres')

    const first = await instance.materialize()
    assert.equal(first.status, 'succeeded')
    assert.equal(existsSync(join(dir, '.tributary', 'warehouse.duckdb')), false, 'no DuckDB file is made')
    assert.deepEqual(await query(url, 'select amount, n from marts.totals'), [{ amount: '30', n: '2' }])
    const ledger = await query<{ asset_key: string }>(url, `select asset_key from _tributary.publications where run_id = '${first.runId}' order by asset_key`)
    assert.deepEqual(ledger.map((row) => row.asset_key), ['marts/totals', 'raw/orders'])
    const staging = await query(url, `select table_name from information_schema.tables where table_name like '__trb_stage_%'`)
    assert.deepEqual(staging, [], 'every staging table was published or dropped')

    const second = await instance.materialize()
    assert.equal(second.status, 'succeeded')
    // raw/orders reads the outside world, so it always builds; it came out with the same data
    // version, so its reader is skipped as up to date.
    const built = async (key: string) => (await instance.store.listMaterializations(key, { limit: 10 })).length
    assert.equal(await built('raw/orders'), 2)
    assert.equal(await built('marts/totals'), 1, 'marts/totals was up to date')
  })

  test('a failing check leaves the published table as it was; the staged data is kept for inspection', async () => {
    const { url, dir } = await setUp('pg-wh-check-')
    let rows = [{ id: 1 }, { id: 2 }]
    const orders = defineAsset({ key: 'raw/orders', checks: [unique('id')], async materialize() { return rows } })
    const project = defineProject({ name: 'pg-wh-check', assets: [orders], warehouse: postgresWarehouse({ url, schema: 'trb_meta' }) })
    const instance = await Tributary.open({ projectDir: dir, project, settings: SETTINGS })
    cleanups.unshift(() => instance.close())
    assert.equal((await instance.materialize()).status, 'succeeded')
    rows = [{ id: 3 }, { id: 3 }]
    assert.equal((await instance.materialize(undefined, { force: true })).status, 'failed')
    assert.deepEqual(await query(url, 'select id from raw.orders order by id'), [{ id: '1' }, { id: '2' }])
    const [kept] = await query<{ table_schema: string; table_name: string }>(url, `select table_schema, table_name from information_schema.tables where table_name like '__trb_stage_%'`)
    assert.deepEqual(await query(url, `select id from "${kept!.table_schema}"."${kept!.table_name}"`), [{ id: '3' }, { id: '3' }])
    assert.equal((await query(url, 'select * from trb_meta.publications')).length, 1, 'the ledger lives in the configured schema')
  })
})
