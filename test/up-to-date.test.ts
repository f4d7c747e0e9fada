// Skip what is up to date: a step whose code and input versions equal those of its last
// published materialization is skipped (reason "up to date"); --force, a changed input,
// changed code, or a failed last run rebuild exactly what they should.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { defineSource, files } from '../src/model/source.js'
import type { ProgressEvent } from '../src/engine/progress.js'
import { Tributary } from '../src/instance/tributary.js'
import { ManualClock } from '../src/engine/clock.js'
import { tempDir } from './helpers/temp-project.js'
import { ProgressDisplay } from '../src/cli/progress-display.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 50 }

describe('skip what is up to date', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  // landing/orders (files) → raw/orders (TS, reads the CSV) → marts/totals (SQL) → marts/report (SQL)
  async function project(options: { totalsSql?: string; totalsContract?: boolean } = {}) {
    const landing = defineSource({ key: 'landing/orders', observe: files('landing/orders/*.csv') })
    const raw = defineAsset({ key: 'raw/orders', ins: { landing }, async materialize({ landing }, ctx) { await ctx.loadCsv(landing.files) } })
    const totals = sqlAsset({
      key: 'marts/totals', sql: options.totalsSql ?? 'select count(*) as n, sum(amount) as amount from raw.orders',
      ...(options.totalsContract ? { contract: { columns: { n: { type: 'bigint', nullable: false } } } } : {}),
    })
    const report = sqlAsset({ key: 'marts/report', sql: 'select n * 2 as doubled from marts.totals' })
    return defineProject({ name: 'up-to-date', assets: [landing, raw, totals, report] })
  }

  async function open(definitions: Awaited<ReturnType<typeof project>>, dir: string) {
    const instance = await Tributary.open({ projectDir: dir, project: definitions, settings: SETTINGS })
    cleanups.unshift(() => instance.close())
    return instance
  }

  async function run(instance: Tributary, options: { force?: boolean } = {}) {
    const events: ProgressEvent[] = []
    const result = await instance.materialize(undefined, { ...options, onProgress: (event) => events.push(event) })
    const steps = Object.fromEntries((await instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s]))
    const reasons = Object.fromEntries(events.flatMap((e) => (e.type === 'step' && e.status === 'succeeded' ? [[e.key, e.reason ?? null]] : [])))
    return { result, steps, reasons }
  }

  const upToDate = (reason: string | null | undefined) => typeof reason === 'string' && reason.startsWith('up to date')
  const materializations = async (instance: Tributary, key: string) => (await instance.store.listMaterializations(key, { limit: 10 })).length

  async function setUp() {
    const temp = await tempDir('utd-')
    cleanups.push(temp.cleanup)
    await mkdir(join(temp.dir, 'landing', 'orders'), { recursive: true })
    await writeFile(join(temp.dir, 'landing', 'orders', 'a.csv'), 'id,amount\n1,10\n2,20\n')
    return temp.dir
  }

  test('identical inputs: every step is skipped as up to date, nothing is published, in progress and run details', async () => {
    const dir = await setUp()
    const instance = await open(await project(), dir)
    const first = await run(instance)
    assert.equal(first.result.status, 'succeeded')
    assert.ok(Object.values(first.reasons).every((reason) => !upToDate(reason)))
    const second = await run(instance)
    assert.equal(second.result.status, 'succeeded')
    for (const key of ['raw/orders', 'marts/totals', 'marts/report']) {
      assert.ok(upToDate(second.reasons[key]), `${key} progress: ${second.reasons[key]}`)
      assert.equal(second.steps[key]!.status, 'succeeded')
      assert.ok(upToDate(second.steps[key]!.reason), `${key} run detail: ${second.steps[key]!.reason}`)
      assert.equal(await materializations(instance, key), 1, key)
    }
    const statuses = await instance.status()
    assert.ok(statuses.filter((s) => s.key !== 'landing/orders').every((s) => s.status === 'fresh'), JSON.stringify(statuses.map((s) => [s.key, s.status])))
  })

  test('--force rebuilds everything', async () => {
    const dir = await setUp()
    const instance = await open(await project(), dir)
    await run(instance)
    const forced = await run(instance, { force: true })
    assert.deepEqual(Object.values(forced.reasons).filter(upToDate), [])
    for (const key of ['raw/orders', 'marts/totals', 'marts/report']) assert.equal(await materializations(instance, key), 2, key)
  })

  test('a changed input rebuilds its readers; a reader whose input data came out identical is skipped', async () => {
    const dir = await setUp()
    const instance = await open(await project(), dir)
    await run(instance)
    // Same rows in another order: the file changed, so raw/orders is rebuilt, but its data version
    // (by content, order-free) is unchanged, so its readers are up to date.
    await writeFile(join(dir, 'landing', 'orders', 'a.csv'), 'id,amount\n2,20\n1,10\n')
    const reordered = await run(instance)
    assert.ok(!upToDate(reordered.reasons['raw/orders']))
    assert.ok(upToDate(reordered.reasons['marts/totals']) && upToDate(reordered.reasons['marts/report']))
    assert.equal(await materializations(instance, 'raw/orders'), 2)
    assert.equal(await materializations(instance, 'marts/totals'), 1)
    // A changed amount changes raw/orders and totals; report reads totals, whose data changed.
    await writeFile(join(dir, 'landing', 'orders', 'a.csv'), 'id,amount\n1,11\n2,20\n')
    const changed = await run(instance)
    for (const key of ['raw/orders', 'marts/totals', 'marts/report']) assert.ok(!upToDate(changed.reasons[key]), key)
  })

  test('changed code rebuilds that asset and what reads it, nothing upstream', async () => {
    const dir = await setUp()
    const first = await open(await project(), dir)
    await run(first)
    await first.close()
    cleanups.shift()
    const edited = await open(await project({ totalsSql: 'select count(*) as n, sum(amount) * 1.0 as amount from raw.orders' }), dir)
    const after = await run(edited)
    assert.ok(upToDate(after.reasons['raw/orders']))
    assert.ok(!upToDate(after.reasons['marts/totals']))
    // totals' amount is now a decimal: new data version, so its reader is rebuilt too.
    assert.ok(!upToDate(after.reasons['marts/report']))
    assert.equal(await materializations(edited, 'raw/orders'), 1)
    assert.equal(await materializations(edited, 'marts/totals'), 2)
  })

  test('a contract (or check) added since the last build rebuilds that asset, so its output is checked by it', async () => {
    const dir = await setUp()
    const first = await open(await project(), dir)
    await run(first)
    await first.close()
    cleanups.shift()
    const checked = await open(await project({ totalsContract: true }), dir)
    const after = await run(checked)
    assert.ok(upToDate(after.reasons['raw/orders']), `raw/orders: ${after.reasons['raw/orders']}`)
    assert.ok(!upToDate(after.reasons['marts/totals']), `marts/totals: ${after.reasons['marts/totals']}`)
    assert.equal((await checked.store.listCheckResults('marts/totals', { limit: 1 }))[0]!.checkName, 'contract')
    const again = await run(checked)
    assert.ok(upToDate(again.reasons['marts/totals']), `checked once, up to date again: ${again.reasons['marts/totals']}`)
  })

    test('a failed last run rebuilds what failed and its skipped readers, not what succeeded', async () => {
    const dir = await setUp()
    const broken = await open(await project({ totalsSql: 'select count(*) as n, sum(no_such_column) as amount from raw.orders' }), dir)
    const failed = await run(broken)
    assert.equal(failed.result.status, 'failed')
    assert.equal(failed.steps['marts/totals']!.status, 'failed')
    assert.equal(failed.steps['marts/report']!.status, 'skipped')
    await broken.close()
    cleanups.shift()
    const fixed = await open(await project(), dir)
    const repaired = await run(fixed)
    assert.equal(repaired.result.status, 'succeeded')
    assert.ok(upToDate(repaired.reasons['raw/orders']))
    assert.ok(!upToDate(repaired.reasons['marts/totals']))
    assert.ok(!upToDate(repaired.reasons['marts/report']))
  })

  test('partitions likewise: an up-to-date partition is skipped, a changed one rebuilt', async () => {
    const dir = await setUp()
    const clock = new ManualClock(new Date('2026-03-05T12:00:00Z'))
    const landing = defineSource({ key: 'landing/orders', observe: files('landing/orders/*.csv') })
    const raw = defineAsset({ key: 'raw/orders', ins: { landing }, async materialize({ landing }, ctx) { await ctx.loadCsv(landing.files) } })
    const byDay = sqlAsset({ key: 'marts/by_day', partitions: dailyPartitions({ start: '2026-03-01' }), sql: "select {{ partition_key }} as day, count(*) as n from raw.orders" })
    const instance = await Tributary.open({ projectDir: dir, project: defineProject({ name: 'p', assets: [landing, raw, byDay] }), settings: SETTINGS, clock })
    cleanups.unshift(() => instance.close())
    await instance.materialize('raw/orders')
    const first = await instance.materialize('marts/by_day', { from: '2026-03-01', to: '2026-03-02' })
    assert.equal(first.status, 'succeeded')
    const events: ProgressEvent[] = []
    const second = await instance.materialize('marts/by_day', { from: '2026-03-01', to: '2026-03-03', onProgress: (e) => events.push(e) })
    assert.equal(second.status, 'succeeded')
    const reasons = Object.fromEntries(events.flatMap((e) => (e.type === 'step' && e.status === 'succeeded' ? [[e.partition, e.reason ?? null]] : [])))
    assert.ok(upToDate(reasons['2026-03-01']) && upToDate(reasons['2026-03-02']), JSON.stringify(reasons))
    assert.ok(!upToDate(reasons['2026-03-03']), 'a partition never built is built')
  })

  test('the progress display says up to date instead of a duration', () => {
    let text = ''
    const display = new ProgressDisplay((t) => (text += t), false)
    display.onEvent({ type: 'run_started', runId: 'r', total: 1 })
    display.onEvent({ type: 'step', runId: 'r', key: 'marts/totals', partition: null, status: 'succeeded', attempt: 0, durationMs: 0, reason: 'up to date: code and 1 input version unchanged since run r0' })
    // eslint-disable-next-line no-control-regex -- stripping ANSI colours is the point
    assert.match(text.replace(/\x1b\[[0-9;]*m/g, ''), /marts\/totals\s+up to date/)
  })
})
