// With a PostgreSQL warehouse, worker processes connect to PostgreSQL themselves: a step's
// ctx.warehouse and ctx.write* calls run on the worker's own connection (named after the worker
// in pg_stat_activity), not through the control plane. Real PostgreSQL, real worker processes.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

const config = (url: string) => `
import { check, defineAsset, defineProject, postgres } from 'tributary-orchestrator'

// Which connection runs a step's queries: its application_name in pg_stat_activity.
const whose = async (ctx: { warehouse: { query(sql: string): Promise<Record<string, unknown>[]> } }) =>
  String((await ctx.warehouse.query('select application_name as name from pg_stat_activity where pid = pg_backend_pid()'))[0]?.name)

export default defineProject({ name: 'pg-workers', concurrency: 3, warehouse: postgres({ url: ${JSON.stringify(url)} }), assets: [
  defineAsset({
    key: 'raw/direct',
    checks: [check('two rows', async (ctx) => {
      const [row] = await ctx.warehouse.query('select count(*)::int as n from ' + ctx.relation)
      return { passed: row?.n === 2, message: 'rows: ' + String(row?.n) + ' on ' + await whose(ctx) }
    })],
    async materialize(_inputs, ctx) {
      ctx.log.info('worker ' + process.pid + ' on connection ' + await whose(ctx))
      await ctx.writeRows([{ id: 1, name: 'a' }, { id: 2, name: 'b' }])
      // The step's own writes are visible to its queries.
      const [row] = await ctx.warehouse.query('select count(*)::int as n from ' + ctx.staging)
      ctx.log.info('staged ' + String(row?.n))
    },
  }),
  defineAsset({
    key: 'raw/csv',
    async materialize(_inputs, ctx) {
      await ctx.loadCsv([ctx.projectDir + '/people.csv'])
    },
  }),
  // Writes without awaiting: the write still lands before the control plane reads the staging relation.
  defineAsset({
    key: 'raw/unawaited',
    async materialize(_inputs, ctx) {
      void ctx.writeRows([{ id: 7 }])
    },
  }),
  // Writes its staging, then hangs until its worker is killed.
  defineAsset({
    key: 'raw/killed',
    async materialize(_inputs, ctx) {
      await ctx.writeRows([{ id: 9 }])
      ctx.log.info('staged in ' + process.pid)
      await new Promise(() => {})
    },
  }),
] })
`

describe('worker processes on a PostgreSQL warehouse', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>
  let project: Awaited<ReturnType<typeof tempDir>>
  let instance: Tributary
  before(async () => {
    database = await createDatabase()
    project = await tempDir('pg-workers-')
    await writeFile(join(project.dir, 'tributary.config.ts'), config(database.url))
    await writeFile(join(project.dir, 'people.csv'), 'id,name\n1,ada\n2,grace\n')
    instance = await Tributary.open({ projectDir: project.dir, executor: 'pool', settings: { heartbeatMs: 50, readinessTimeoutMs: 0 }, workers: { graceMs: 300 } })
  })
  after(async () => {
    await instance?.close()
    await project?.cleanup()
    await database?.drop()
  })

  test("a step's and a custom check's warehouse calls run on the worker's own connection; writes, loads and unawaited writes publish as through the control plane", async () => {
    const result = await instance.materialize('raw/direct raw/csv raw/unawaited')
    assert.equal(result.status, 'succeeded', JSON.stringify(await instance.store.listSteps(result.runId)))
    const logs = (await instance.store.listLogs(result.runId)).map((l) => l.message)
    const [, pid, connection] = /^worker (\d+) on connection (.*)$/.exec(logs.find((m) => m.startsWith('worker ')) ?? '') ?? []
    assert.ok(Number(pid) > 0 && Number(pid) !== process.pid, `ran in a worker: ${logs}`)
    assert.equal(connection, `tributary worker ${pid}`, 'the query ran on the worker’s own connection, not the control plane’s')
    assert.ok(logs.includes('staged 2'), String(logs))
    assert.deepEqual(await query(database.url, 'select id::int as id, name from raw.direct order by id'), [{ id: 1, name: 'a' }, { id: 2, name: 'b' }])
    assert.deepEqual(await query(database.url, 'select id::int as id, name from raw.csv order by id'), [{ id: 1, name: 'ada' }, { id: 2, name: 'grace' }])
    assert.deepEqual(await query(database.url, 'select id::int as id from raw.unawaited'), [{ id: 7 }])
    const [checkResult] = await instance.store.listCheckResults('raw/direct', { limit: 1 })
    // The custom check's queries ran on a worker's own connection too.
    assert.equal(checkResult?.passed, true)
    assert.match(checkResult?.message ?? '', /^rows: 2 on tributary worker \d+$/)
    assert.deepEqual(await query(database.url, "select table_name from information_schema.tables where table_name like '__trb_stage_%'"), [])
  })

  test('kill -9 of a worker after it staged on its own connection: the step fails with TRB3031 and nothing is published or left staged', async () => {
    const done = instance.materialize('raw/killed')
    const pid = await poll('raw/killed to stage in its worker', async () => {
      const [run] = await instance.store.listRuns({ limit: 1 })
      const logs = run ? await instance.store.listLogs(run.id) : []
      return logs.flatMap((l) => /^staged in (\d+)$/.exec(l.message)?.[1] ?? []).map(Number)[0]
    })
    process.kill(pid, 'SIGKILL')
    const result = await done
    const [step] = await instance.store.listSteps(result.runId)
    assert.deepEqual([step?.status, step?.error?.code], ['failed', 'TRB3031'])
    assert.deepEqual(await query(database.url, "select table_name from information_schema.tables where table_name = 'killed' or table_name like '__trb_stage_%'"), [])
    // A new worker takes the next step.
    assert.equal((await instance.materialize('raw/unawaited')).status, 'succeeded')
  })
})
