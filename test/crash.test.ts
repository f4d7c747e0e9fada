import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { cli } from './helpers/cli.js'
import { poll } from './helpers/poll.js'
import { startRunProcess } from './helpers/run-process.js'
import { openProject, tempDir } from './helpers/temp-project.js'

// raw/slow stages its rows, then its check holds the first run (before anything is published)
// until the test kills the process; once go-fast exists, the check passes at once.
const config = (dir: string) => `
import { existsSync } from 'node:fs'
import { check, defineAsset, defineProject, unique } from 'tributary-orchestrator'

const rows = Array.from({ length: 100 }, (_, i) => ({ id: i + 1 }))
const hold = check('hold', async () => {
  if (!existsSync(${JSON.stringify(join(dir, 'go-fast'))})) await new Promise((resolve) => setTimeout(resolve, 120_000))
  return { passed: true }
})
export const fast = defineAsset({ key: 'raw/fast', checks: [unique('id')], async materialize() { return rows } })
export const slow = defineAsset({ key: 'raw/slow', ins: { fast }, checks: [unique('id'), hold], async materialize() { return rows } })
export default defineProject({ name: 'crash', assets: [fast, slow] })
`

// The pids of the processes in process group `pgid`, and one process's state letter (undefined once it is gone).
const processGroup = (pgid: number) => readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => statOf(pid)?.[4] === String(pgid))
const stateOf = (pid: number) => statOf(pid)?.[2]
function statOf(pid: number): string[] | undefined {
  try {
    // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return [String(pid), '', ...stat.slice(stat.lastIndexOf(')') + 2).split(' ')]
  } catch {
    return undefined
  }
}

describe('crash safety', () => {
  test('SIGKILL mid-run: the run is marked failed on restart, nothing half-published, nothing duplicated', async () => {
    const { dir, cleanup } = await tempDir('crash-')
    try {
      await writeFile(join(dir, 'tributary.config.ts'), config(dir))
      const run = startRunProcess(dir)
      const { child } = run
      const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
      let runId: string | undefined
      try {
        // Killed once its staging table is written (its checks hold it there).
        runId = (await run.event('staging_written', (e) => e.key === 'raw/slow')).runId
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        assert.equal((await store.getRun(runId))!.status, 'running', 'the dead run still looks alive until recovery')
      } finally {
        // Also when the event never came: the run (its check holding it 2 minutes) and its pool's workers must not outlive the test.
        await run.kill()
        await store.close()
      }

      await writeFile(join(dir, 'go-fast'), '')
      const second = cli(['materialize', '--project', dir, '--json'])
      assert.equal(second.code, 0, second.stderr)
      const result = JSON.parse(second.stdout)
      assert.deepEqual(result.recovered, [{ runId, reconciled: [], failed: ['raw/slow'] }])

      const detail = JSON.parse(cli(['run', runId!, '--project', dir, '--json']).stdout)
      assert.equal(detail.run.status, 'failed')
      assert.equal(detail.run.error.code, 'TRB3006')
      const steps = Object.fromEntries(detail.steps.map((s: { assetKey: string; status: string; error: { code: string } | null }) => [s.assetKey, s]))
      assert.equal(steps['raw/fast'].status, 'succeeded')
      assert.equal(steps['raw/slow'].status, 'failed')
      assert.equal(steps['raw/slow'].error.code, 'TRB3006')

      const { DuckDbWarehouse } = await import('../src/warehouse/duckdb/duckdb-warehouse.js')
      const warehouse = await DuckDbWarehouse.open(join(dir, '.tributary/warehouse.duckdb'))
      const session = await warehouse.session()
      assert.deepEqual(await session.query('select count(*)::int as n, count(distinct id)::int as d from raw.slow'), [{ n: 100, d: 100 }])
      assert.deepEqual(await session.query('select count(*)::int as n from raw.fast'), [{ n: 100 }])
      const staged = await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'")
      assert.deepEqual(staged, [], 'the dead attempt’s staging was dropped')
      await session.close()
      await warehouse.close()
    } finally {
      await cleanup()
    }
  })

  test("a run process whose awaited event never comes is ended by kill(), its pool's workers with it", async () => {
    const { dir, cleanup } = await tempDir('crash-cleanup-')
    await writeFile(join(dir, 'tributary.config.ts'), config(dir))
    const run = startRunProcess(dir)
    try {
      await run.event('staging_written', (e) => e.key === 'raw/slow')
      // The wait a test would fail on: raw/slow's checks hold the run for 2 minutes.
      await assert.rejects(run.event('checks_done', (e) => e.key === 'raw/slow', 200), /no checks_done event from the run process within 200 ms/)
      const group = processGroup(run.child.pid!)
      assert.ok(group.length >= 2, `the run process and its pool's workers: ${group.join(', ')}`)
      await run.kill()
      assert.notEqual(run.child.signalCode ?? run.child.exitCode, null)
      // Gone, or a zombie not yet reaped; a SIGKILL lands once the process next gets the CPU, so this looks a few times.
      await poll('every process of the group to end', async () => group.every((pid) => ['Z', undefined].includes(stateOf(pid))) || undefined, 5000, 20)
    } finally {
      await run.kill()
      await cleanup()
    }
  })

  test('a publish that reached the warehouse before the crash is recorded once, not redone', async () => {
    // A real process that has already exited gives a pid that is certainly dead.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.pid']).pid!
    const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }, { id: 2 }] } })
    const p = await openProject({ assets: [base] })
    try {
      const store = p.instance.store
      const now = new Date()
      await store.createRun({ id: 'crashed-run', selection: '', trigger: 'test', pid: deadPid, host: (await import('node:os')).hostname(), startedAt: now, steps: [{ assetKey: 'raw/base', partition: null }] })
      await store.updateStep({ runId: 'crashed-run', assetKey: 'raw/base', partition: null, status: 'running', attempt: 1, at: now })
      const warehouse = await p.instance.warehouse()
      const session = await warehouse.session()
      const staging = warehouse.stagingRelation({ schema: 'raw', name: 'base' }, 'crashed-run', null)
      await session.createFromRows(staging, [{ id: 1 }, { id: 2 }])
      const dataVersion = await session.dataVersion(staging)
      await session.publish(staging, { schema: 'raw', name: 'base' }, { assetKey: 'raw/base', partition: null, runId: 'crashed-run', dataVersion, rowCount: 2 })
      // The process "dies" here: the warehouse has the data, the store does not know.
      const recovered = await p.instance.recover()
      assert.deepEqual(recovered, [{ runId: 'crashed-run', reconciled: ['raw/base'], failed: [] }])
      const materializations = await store.listMaterializations('raw/base')
      assert.equal(materializations.length, 1)
      assert.equal(materializations[0]!.dataVersion, dataVersion)
      assert.equal((await store.listSteps('crashed-run'))[0]!.status, 'succeeded')
      assert.deepEqual(await p.instance.recover(), [], 'recovery is idempotent')
      assert.deepEqual(await session.query('select count(*)::int as n from raw.base'), [{ n: 2 }])
      await session.close()
    } finally {
      await p.close()
    }
  })
})
