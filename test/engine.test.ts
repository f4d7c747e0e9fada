import assert from 'node:assert/strict'
import { readFile, readlink, writeFile, mkdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { existsSync } from 'node:fs'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineSource, files } from '../src/model/source.js'
import { acceptedValues, rowCount, unique } from '../src/checks/builtins.js'
import { ManualClock } from '../src/engine/clock.js'
import { findProblems } from '../src/alerts/problems.js'
import { openProject, tempDir } from './helpers/temp-project.js'
import { poll } from './helpers/poll.js'
import { Tributary } from '../src/instance/tributary.js'

const numbers = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => ({ id: i + 1 + offset, value: (i + 1) * 10 }))

describe('engine', () => {
  test('runs assets in dependency order, SQL deps parsed, outputs published and readable', async () => {
    const order: string[] = []
    const base = defineAsset({ key: 'raw/base', async materialize() { order.push('raw/base'); return numbers(5) } })
    const doubled = sqlAsset({ key: 'marts/doubled', sql: 'select id, value * 2 as value from raw.base' })
    const total = defineAsset({
      key: 'marts/total', ins: { doubled },
      async materialize({ doubled }, ctx) {
        order.push('marts/total')
        return ctx.warehouse.query(`select sum(value)::bigint as total from ${doubled.table}`)
      },
    })
    const p = await openProject({ assets: [total, doubled, base] })
    try {
      const result = await p.instance.materialize()
      assert.equal(result.status, 'succeeded')
      assert.deepEqual(result.counts.succeeded, 3)
      assert.deepEqual(order, ['raw/base', 'marts/total'])
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select total from marts.total'), [{ total: 300 }])
      await session.close()
      const steps = await p.instance.store.listSteps(result.runId)
      assert.deepEqual(steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded'])
      const statuses = await p.instance.status()
      assert.ok(statuses.every((s) => s.status === 'fresh'), JSON.stringify(statuses.map((s) => [s.key, s.status])))
    } finally {
      await p.close()
    }
  })

  test('a failure skips only its downstream; siblings still succeed', async () => {
    const broken = defineAsset({ key: 'raw/broken', async materialize() { throw new Error('vendor API returned 500') } })
    const fine = defineAsset({ key: 'raw/fine', async materialize() { return numbers(2) } })
    const afterBroken = sqlAsset({ key: 'marts/after_broken', sql: 'select * from raw.broken' })
    const afterFine = sqlAsset({ key: 'marts/after_fine', sql: 'select * from raw.fine' })
    const p = await openProject({ assets: [broken, fine, afterBroken, afterFine] })
    try {
      const result = await p.instance.materialize()
      assert.equal(result.status, 'failed')
      const steps = Object.fromEntries((await p.instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s]))
      assert.equal(steps['raw/broken']!.status, 'failed')
      assert.equal(steps['raw/broken']!.error!.code, 'TRB3001')
      assert.match(steps['raw/broken']!.error!.message, /vendor API returned 500/)
      assert.equal(steps['marts/after_broken']!.status, 'skipped')
      assert.match(steps['marts/after_broken']!.reason!, /raw\/broken failed/)
      assert.equal(steps['raw/fine']!.status, 'succeeded')
      assert.equal(steps['marts/after_fine']!.status, 'succeeded')
    } finally {
      await p.close()
    }
  })

  test('a flaky asset is retried with backoff until it succeeds', async () => {
    let calls = 0
    const flaky = defineAsset({
      key: 'raw/flaky', retry: { attempts: 3, initialDelay: '5ms', jitter: 0 },
      async materialize() {
        calls++
        if (calls < 3) throw new Error(`transient failure ${calls}`)
        return numbers(1)
      },
    })
    const p = await openProject({ assets: [flaky] })
    try {
      const result = await p.instance.materialize()
      assert.equal(result.status, 'succeeded')
      assert.equal(calls, 3)
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.attempt, 3)
      const logs = await p.instance.store.listLogs(result.runId)
      assert.equal(logs.filter((l) => /retrying in/.test(l.message)).length, 2)
    } finally {
      await p.close()
    }
  })

  test('retries stop at the attempt limit, and errors marked not retryable never retry', async () => {
    let calls = 0
    let fatalCalls = 0
    const alwaysFails = defineAsset({ key: 'raw/always', retry: { attempts: 2, initialDelay: '1ms' }, async materialize() { calls++; throw new Error('down') } })
    const fatal = defineAsset({
      key: 'raw/fatal', retry: { attempts: 5, initialDelay: '1ms', retryOn: (e) => !/permission/.test(String(e)) },
      async materialize() { fatalCalls++; throw new Error('permission denied') },
    })
    const p = await openProject({ assets: [alwaysFails, fatal] })
    try {
      const result = await p.instance.materialize()
      assert.equal(result.status, 'failed')
      assert.equal(calls, 2)
      assert.equal(fatalCalls, 1)
    } finally {
      await p.close()
    }
  })

  test('a blocking check failure never retries, keeps the previous version readable and the staged data', async () => {
    let duplicate = false
    let calls = 0
    const orders = defineAsset({
      key: 'raw/orders', retry: { attempts: 3, initialDelay: '1ms' }, checks: [unique('id'), acceptedValues('value', [10, 20, 30])],
      async materialize() {
        calls++
        return duplicate ? [...numbers(3), { id: 1, value: 10 }] : numbers(3)
      },
    })
    const downstream = sqlAsset({ key: 'marts/orders_count', sql: 'select count(*) as n from raw.orders' })
    const p = await openProject({ assets: [orders, downstream] })
    try {
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      duplicate = true
      calls = 0
      const result = await p.instance.materialize()
      assert.equal(result.status, 'failed')
      assert.equal(calls, 1, 'check failures are not retried')
      const steps = Object.fromEntries((await p.instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s]))
      assert.equal(steps['raw/orders']!.status, 'blocked')
      assert.match(steps['raw/orders']!.reason!, /unique\(id\)/)
      assert.equal(steps['marts/orders_count']!.status, 'skipped')
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select count(*)::int as n from raw.orders'), [{ n: 3 }], 'previous version intact')
      const staged = await session.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'raw' and table_name like '__trb_stage_%'")
      assert.equal(staged.length, 1, 'staged data kept for inspection')
      assert.deepEqual(await session.query(`select count(*)::int as n from raw."${staged[0]!.table_name}"`), [{ n: 4 }])
      await session.close()
      const [status] = await p.instance.status('raw/orders')
      assert.equal(status!.status, 'blocked')
      const results = await p.instance.store.listCheckResults('raw/orders', { limit: 2 })
      const failed = results.find((r) => r.checkName === 'unique(id)' && !r.passed)
      assert.equal(failed?.failingRows, 2, "both rows sharing id 1 fail")
      assert.ok(failed!.sample.length >= 1)
    } finally {
      await p.close()
    }
  })

  test('re-running never duplicates rows, and identical data keeps its data version', async () => {
    const base = defineAsset({ key: 'raw/base', async materialize() { return numbers(4) } })
    const copy = sqlAsset({ key: 'marts/copy', sql: 'select * from raw.base' })
    const p = await openProject({ assets: [base, copy] })
    try {
      await p.instance.materialize()
      const first = await p.instance.store.listMaterializations('raw/base')
      await p.instance.materialize()
      await p.instance.materialize('raw/base')
      const session = await (await p.instance.warehouse()).session()
      assert.deepEqual(await session.query('select count(*)::int as n from marts.copy'), [{ n: 4 }])
      assert.deepEqual(await session.query('select count(*)::int as n from raw.base'), [{ n: 4 }])
      await session.close()
      const all = await p.instance.store.listMaterializations('raw/base')
      assert.equal(all.length, 3)
      assert.ok(all.every((m) => m.dataVersion === first[0]!.dataVersion))
      const [copyStatus] = await p.instance.status('marts/copy')
      assert.equal(copyStatus!.status, 'fresh', 'same data upstream: downstream is not stale')
    } finally {
      await p.close()
    }
  })

  test('a step past its timeout fails with TRB3002', async () => {
    // The timeout runs on the injected clock: the test steps it past 50 ms instead of waiting.
    const clock = new ManualClock('2026-03-01T00:00:00Z')
    const slow = defineAsset({
      key: 'raw/slow', timeout: '50ms',
      async materialize(_inputs, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
        if (ctx.signal.aborted) throw new Error('should not publish')
        return numbers(1)
      },
    })
    const p = await openProject({ assets: [slow] }, { clock })
    try {
      const done = p.instance.materialize()
      await clock.timersSet(1)
      clock.advance(50)
      const result = await done
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.status, 'failed')
      assert.equal(step!.error!.code, 'TRB3002')
      const session = await (await p.instance.warehouse()).session()
      assert.equal(await session.relationExists({ schema: 'raw', name: 'slow' }), false)
      await session.close()
    } finally {
      await p.close()
    }
  })

  test('canceling a run stops running steps, cancels queued ones and drops staging', async () => {
    const controller = new AbortController()
    const slow = defineAsset({
      key: 'raw/slow',
      async materialize(_inputs, ctx) {
        await ctx.writeRows(numbers(2))
        controller.abort()
        await new Promise((resolve) => setTimeout(resolve, 5000).unref())
        return undefined
      },
    })
    const after = sqlAsset({ key: 'marts/after', sql: 'select * from raw.slow' })
    const p = await openProject({ assets: [slow, after] })
    try {
      const result = await p.instance.materialize(undefined, { signal: controller.signal })
      assert.equal(result.status, 'canceled')
      const steps = Object.fromEntries((await p.instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s.status]))
      assert.deepEqual(steps, { 'raw/slow': 'canceled', 'marts/after': 'canceled' })
      const session = await (await p.instance.warehouse()).session()
      const staged = await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'")
      assert.equal(staged.length, 0)
      await session.close()
      assert.equal((await p.instance.store.getRun(result.runId))!.status, 'canceled')
    } finally {
      await p.close()
    }
  })

  test('a missing source makes the step wait, then end blocked naming the source and its owner', async () => {
    const clock = new ManualClock('2026-03-01T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('landing/crm/*.csv') })
    const load = defineAsset({ key: 'raw/crm', ins: { crm }, async materialize({ crm }, ctx) { await ctx.loadCsv(crm.files) } })
    const p = await openProject({ assets: [crm, load] }, { clock, settings: { readinessTimeoutMs: 30_000, readinessPollMs: 10_000 } })
    try {
      const result = await p.instance.materialize()
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.status, 'blocked')
      assert.equal(step!.error!.code, 'TRB3003')
      assert.match(step!.error!.message, /landing\/crm.*no files match.*owner team:crm/)
      const [status] = await p.instance.status('raw/crm')
      assert.equal(status!.rootCause!.key, 'landing/crm')
      assert.equal(status!.rootCause!.owner, 'team:crm')
      // The data lands: the same selection now succeeds.
      await mkdir(join(p.dir, 'landing/crm'), { recursive: true })
      await writeFile(join(p.dir, 'landing/crm/a.csv'), 'id,name\n1,Acme\n2,Globex\n')
      assert.equal((await p.instance.materialize()).status, 'succeeded')
    } finally {
      await p.close()
    }
  })

  test('a late upstream leaves its reader blocked (not failed) after the readiness wait, root cause and alerts on the source owner', async () => {
    const clock = new ManualClock('2026-03-02T06:00:00Z')
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('landing/crm/*.csv'), freshness: { maxAge: '20h' } })
    const load = defineAsset({ key: 'raw/crm', owner: 'team:data', ins: { crm }, async materialize({ crm }, ctx) { await ctx.loadCsv(crm.files) } })
    const p = await openProject({ assets: [crm, load] }, { clock, settings: { readinessTimeoutMs: 30_000, readinessPollMs: 10_000 } })
    try {
      await mkdir(join(p.dir, 'landing/crm'), { recursive: true })
      await writeFile(join(p.dir, 'landing/crm/a.csv'), 'id\n1\n')
      const landed = new Date('2026-03-01T06:00:00Z')
      await utimes(join(p.dir, 'landing/crm/a.csv'), landed, landed)
      const result = await p.instance.materialize()
      assert.equal(result.status, 'failed', 'the run did not get its work done')
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.status, 'blocked')
      assert.equal(step!.error!.code, 'TRB3003')
      assert.match(step!.reason!, /upstream landing\/crm is late: last updated 24h \dm ago, older than maxAge 20h \(owner team:crm\); waited 30s/)
      const statuses = new Map((await p.instance.status()).map((s) => [s.key, s]))
      const reader = statuses.get('raw/crm')!
      assert.equal(reader.status, 'blocked')
      assert.deepEqual([reader.rootCause!.key, reader.rootCause!.owner], ['landing/crm', 'team:crm'])
      const problems = findProblems({ graph: p.instance.graph, statuses, sla: new Map(), drift: new Map(), circuits: new Map(), enabled: { has: () => true }, now: clock.now() })
      assert.deepEqual(problems.problems.map((x) => [x.assetKey, x.condition]), [['landing/crm', 'source_late']], 'one problem, on the source: nothing paged on raw/crm')
      assert.match(problems.problems[0]!.message, /holds up 1 downstream: raw\/crm/)
      // The export lands: the blocked reader is no one's problem while it waits for its next run.
      await utimes(join(p.dir, 'landing/crm/a.csv'), clock.now(), clock.now())
      const after = new Map((await p.instance.status()).map((s) => [s.key, s]))
      assert.deepEqual(findProblems({ graph: p.instance.graph, statuses: after, sla: new Map(), drift: new Map(), circuits: new Map(), enabled: { has: () => true }, now: clock.now() }).problems, [])
      assert.equal((await p.instance.materialize()).status, 'succeeded')
    } finally {
      await p.close()
    }
  })

  test('the global limit and named pools bound concurrency', async () => {
    let running = 0
    let peak = 0
    let poolRunning = 0
    let poolPeak = 0
    const make = (i: number) => defineAsset({
      key: `raw/a${i}`, io: 'none', ...(i % 2 === 0 ? { pool: 'db' } : {}),
      async materialize() {
        running++
        if (i % 2 === 0) poolRunning++
        peak = Math.max(peak, running)
        poolPeak = Math.max(poolPeak, poolRunning)
        await new Promise((resolve) => setTimeout(resolve, 20))
        running--
        if (i % 2 === 0) poolRunning--
      },
    })
    const p = await openProject({ assets: Array.from({ length: 10 }, (_, i) => make(i)), concurrency: 3, pools: { db: 1 } })
    try {
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      assert.equal(peak, 3)
      assert.equal(poolPeak, 1)
    } finally {
      await p.close()
    }
  })

  test('two concurrent runs never materialize the same asset at once', async () => {
    let live = 0
    let overlap = false
    const shared = defineAsset({
      key: 'raw/shared',
      async materialize() {
        live++
        if (live > 1) overlap = true
        await new Promise((resolve) => setTimeout(resolve, 50))
        live--
        return numbers(2)
      },
    })
    const p = await openProject({ assets: [shared] }, { settings: { readinessTimeoutMs: 5_000 } })
    try {
      const [a, b] = await Promise.all([p.instance.materialize(), p.instance.materialize()])
      assert.equal(a.status, 'succeeded')
      assert.equal(b.status, 'succeeded')
      assert.equal(overlap, false)
      assert.equal((await p.instance.store.listMaterializations('raw/shared')).length, 2)
    } finally {
      await p.close()
    }
  })

  test('status says why: code changed, upstream newer, late by the clock', async () => {
    const clock = new ManualClock('2026-03-01T06:00:00Z')
    let version = 'v1'
    let rows = numbers(2)
    const makeProject = () => {
      const base = defineAsset({ key: 'raw/base', async materialize() { return rows } })
      const model = sqlAsset({ key: 'marts/model', version, freshness: { maxAge: '2h' }, sql: 'select * from raw.base', checks: [rowCount({ min: 1 })] })
      return [base, model]
    }
    const p = await openProject({ assets: makeProject() }, { clock })
    try {
      await p.instance.materialize()
      rows = numbers(3)
      await p.instance.materialize('raw/base')
      let [model] = await p.instance.status('marts/model')
      assert.equal(model!.status, 'stale')
      assert.deepEqual(model!.reasons.map((r) => r.type), ['upstream_newer'])
      clock.advance(3 * 3_600_000)
      ;[model] = await p.instance.status('marts/model')
      assert.equal(model!.status, 'late')
      assert.match(model!.reasons.find((r) => r.type === 'late')!.message, /maxAge 2h/)
      version = 'v2'
      const reopened = await openProject({ assets: makeProject() }, { clock, dir: p.dir })
      ;[model] = await reopened.instance.status('marts/model')
      assert.ok(model!.reasons.some((r) => r.type === 'code_changed'))
      await reopened.instance.close()
    } finally {
      await p.close()
    }
  })

  test("io 'files' assets publish a directory atomically through a current link", async () => {
    let text = 'first'
    const report = defineAsset({
      key: 'reports/daily', io: 'files', kind: 'report',
      async materialize(_inputs, ctx) { await writeFile(join(ctx.outputDir, 'report.txt'), text) },
    })
    const reader = defineAsset({
      key: 'reports/reader', io: 'none', ins: { report },
      async materialize({ report }) { assert.equal(await readFile(join(report.dir, 'report.txt'), 'utf8'), text) },
    })
    const p = await openProject({ assets: [report, reader] })
    try {
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      text = 'second'
      assert.equal((await p.instance.materialize()).status, 'succeeded')
      const current = join(p.dir, '.tributary/files/reports/daily/current')
      assert.equal(await readFile(join(current, 'report.txt'), 'utf8'), 'second')
      assert.match(await readlink(current), /^v-/)
    } finally {
      await p.close()
    }
  })
})

// The same engine semantics wherever the code runs: each executor materializes one project on disk.
const EXECUTOR_PROJECT = `
import { existsSync, writeFileSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { check, defineAsset, defineProject, sqlAsset, unique } from 'tributary-orchestrator'
const numbers = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, value: (i + 1) * 10 }))
const untilAborted = (signal: AbortSignal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
const base = defineAsset({ key: 'raw/base', async materialize(_inputs, ctx) { ctx.log.info(\`base runs in \${process.pid}\`); return numbers(5) } })
const doubled = sqlAsset({ key: 'marts/doubled', sql: 'select id, value * 2 as value from raw.base' })
const total = defineAsset({ key: 'marts/total', ins: { doubled }, async materialize({ doubled }, ctx) {
  const rows = await ctx.warehouse.query(\`select sum(value)::bigint as total from \${doubled.table}\`)
  ctx.log.info(\`total is \${rows[0]!.total}\`)
  return rows
} })
const files = defineAsset({ key: 'raw/files', io: 'files', async materialize(_inputs, ctx) { await writeFile(join(ctx.outputDir, 'a.txt'), 'a') } })
const listed = defineAsset({ key: 'marts/listed', ins: { files }, async materialize({ files }) { return (await readdir(files.dir)).map((name) => ({ name })) } })
export default defineProject({ name: 'executors', concurrency: 4, assets: [
  base, doubled, total, files, listed,
  defineAsset({ key: 'raw/broken', async materialize() { throw new Error('vendor API returned 500') } }),
  sqlAsset({ key: 'marts/after_broken', sql: 'select * from raw.broken' }),
  defineAsset({ key: 'raw/flaky', retry: { attempts: 3, initialDelay: '1ms', jitter: 0 }, async materialize(_inputs, ctx) {
    if (ctx.attempt < 3) throw new Error(\`transient failure \${ctx.attempt}\`)
    return numbers(1)
  } }),
  defineAsset({ key: 'raw/fatal', retry: { attempts: 5, initialDelay: '1ms', retryOn: (e) => !/permission/.test(String(e)) }, async materialize() { throw new Error('permission denied') } }),
  defineAsset({ key: 'raw/dupes', checks: [unique('id')], async materialize() { return [...numbers(2), { id: 1, value: 0 }] } }),
  defineAsset({ key: 'raw/checked', checks: [
    check('where', () => ({ passed: true, message: \`checked in \${process.pid}\` })),
    check('total_is_30', async (ctx) => {
      const [row] = await ctx.warehouse.query<{ total: number }>(\`select sum(value)::int as total from \${ctx.relation}\`)
      return row!.total === 30 ? { passed: true } : { passed: false, message: \`total is \${row!.total}\` }
    }),
    check('throws', () => { throw new Error('the check has a bug') }, { severity: 'warn' }),
  ], async materialize() { return numbers(2) } }),
  defineAsset({ key: 'raw/slow', timeout: '10m', async materialize(_inputs, ctx) { await ctx.writeRows(numbers(1)); await untilAborted(ctx.signal) } }),
  defineAsset({ key: 'raw/canceled', async materialize(_inputs, ctx) {
    await ctx.writeRows(numbers(2))
    writeFileSync(join(ctx.projectDir, 'canceled-started'), '')
    await untilAborted(ctx.signal)
  } }),
  sqlAsset({ key: 'marts/after_canceled', sql: 'select * from raw.canceled' }),
] })
`

for (const executor of ['in-process', 'pool'] as const) {
  describe(`engine on the ${executor} executor`, () => {
    let dir: string
    let cleanup: () => Promise<void>
    let instance: Tributary
    const clock = new ManualClock('2026-06-01T00:00:00Z')
    const steps = async (runId: string) => Object.fromEntries((await instance.store.listSteps(runId)).map((s) => [s.assetKey, s]))
    const query = async (sql: string) => {
      const session = await (await instance.warehouse()).session()
      try {
        return await session.query(sql)
      } finally {
        await session.close()
      }
    }
    before(async () => {
      ;({ dir, cleanup } = await tempDir('executor-'))
      await writeFile(join(dir, 'tributary.config.ts'), EXECUTOR_PROJECT)
      instance = await Tributary.open({ projectDir: dir, executor, clock, settings: { readinessTimeoutMs: 0, heartbeatMs: 50 }, workers: { graceMs: 500 } })
    })
    after(async () => {
      await instance?.close()
      await cleanup?.()
    })

    test('dependency order, SQL between TypeScript assets, ctx.warehouse, files outputs and the step log', async () => {
      const result = await instance.materialize('raw/base+ raw/files+')
      assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
      assert.equal(result.counts.succeeded, 5)
      assert.deepEqual(await query('select total from marts.total'), [{ total: 300 }])
      assert.deepEqual(await query('select name from marts.listed'), [{ name: 'a.txt' }])
      const logs = await instance.store.listLogs(result.runId)
      const pid = Number(/base runs in (\d+)/.exec(logs.find((l) => l.assetKey === 'raw/base')?.message ?? '')?.[1])
      assert.equal(pid === process.pid, executor === 'in-process', `raw/base ran in ${pid}, the test in ${process.pid}`)
      assert.ok(logs.some((l) => l.assetKey === 'marts/total' && l.level === 'info' && l.message === 'total is 300'))
    })

    test('a failure skips only its downstream; retries follow the policy; a blocking check never retries', async () => {
      const result = await instance.materialize('raw/broken+ raw/flaky raw/fatal raw/dupes')
      assert.equal(result.status, 'failed')
      const s = await steps(result.runId)
      assert.equal(s['raw/broken']!.error!.code, 'TRB3001')
      assert.match(s['raw/broken']!.error!.message, /vendor API returned 500/)
      assert.equal(s['marts/after_broken']!.status, 'skipped')
      assert.deepEqual([s['raw/flaky']!.status, s['raw/flaky']!.attempt], ['succeeded', 3])
      assert.deepEqual([s['raw/fatal']!.status, s['raw/fatal']!.attempt, s['raw/fatal']!.error!.code], ['failed', 1, 'TRB3001'])
      assert.deepEqual([s['raw/dupes']!.status, s['raw/dupes']!.attempt, s['raw/dupes']!.error!.code], ['blocked', 1, 'TRB3004'])
    })

    test('custom checks run where the code runs, query the staging relation, and a throwing check fails as a check', async () => {
      const result = await instance.materialize('raw/checked')
      assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
      const checks = Object.fromEntries((await instance.store.listCheckResults('raw/checked')).map((c) => [c.checkName, c]))
      assert.equal(checks['total_is_30']!.passed, true)
      assert.deepEqual([checks['throws']!.passed, checks['throws']!.message], [false, 'the check threw: the check has a bug'])
      const pid = Number(/checked in (\d+)/.exec(checks['where']!.message ?? '')?.[1])
      assert.equal(pid === process.pid, executor === 'in-process', `the check ran in ${pid}, the test in ${process.pid}`)
    })

    test('a step past its timeout (on the injected clock) fails with TRB3002 and publishes nothing', async () => {
      const done = instance.materialize('raw/slow')
      await clock.timersSet(1)
      clock.advance(10 * 60_000)
      const result = await done
      const s = await steps(result.runId)
      assert.equal(s['raw/slow']!.error!.code, 'TRB3002')
      assert.deepEqual(await query("select table_name from information_schema.tables where table_name in ('slow') or (table_name like '__trb_stage_%' and table_name not like '%dupes%')"), [])
    })

    test('canceling a run stops its running step, cancels the queued one and drops staging', async () => {
      const controller = new AbortController()
      const done = instance.materialize('raw/canceled+', { signal: controller.signal })
      await poll('raw/canceled to run its code', async () => (existsSync(join(dir, 'canceled-started')) ? true : undefined))
      controller.abort()
      const result = await done
      assert.equal(result.status, 'canceled')
      const s = await steps(result.runId)
      assert.deepEqual([s['raw/canceled']!.status, s['marts/after_canceled']!.status], ['canceled', 'canceled'])
      // The blocked raw/dupes keeps its staged data for inspection, by design; nothing else is left.
      assert.deepEqual(await query("select table_name from information_schema.tables where table_name like '__trb_stage_%' and table_name not like '%dupes%'"), [])
    })
  })
}
