// Dead runs are settled by whoever reads state, judged by heartbeat age (a PID alone can be
// reused); recovery removes what a dead attempt staged, tables and `.staging-<run>` directories.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset } from '../src/model/asset.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { cli } from './helpers/cli.js'
import { AutomationDaemon } from '../src/automation/daemon.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { startRunProcess } from './helpers/run-process.js'
import { serveInstance } from './helpers/server.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { check, defineAsset, defineProject } from 'tributary-orchestrator'

export const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }] } })
// A files asset that writes a report into its staging directory; its check then hangs until killed
// when a run started in the project's directory finds a 'hang' file there.
export const report = defineAsset({
  key: 'reports/daily', io: 'files', ins: { base },
  checks: [check('hold', async () => {
    if (existsSync('hang')) await new Promise(() => setInterval(() => {}, 1000))
    return { passed: true }
  })],
  async materialize(_inputs, ctx) {
    await writeFile(join(ctx.outputDir, 'index.html'), '<h1>half</h1>')
  },
})
export default defineProject({ name: 'recovery', assets: [base, report] })
`

async function withProject(body: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir('recovery-')
  try {
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const first = cli(['materialize', 'raw/base', '--project', dir])
    assert.equal(first.code, 0, first.stderr)
    await body(dir)
  } finally {
    await cleanup()
  }
}

/** Records a run that looks like it is running: pid and heartbeat as given, its step of raw/base running. */
async function fakeRun(dir: string, id: string, pid: number, heartbeatAgoMs: number): Promise<void> {
  const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
  try {
    const at = new Date(Date.now() - heartbeatAgoMs)
    await store.createRun({ id, selection: '', trigger: 'test', pid, host: hostname(), startedAt: at, steps: [{ assetKey: 'raw/base', partition: null }] })
    await store.updateStep({ runId: id, assetKey: 'raw/base', partition: null, status: 'running', attempt: 1, at })
  } finally {
    await store.close()
  }
}

async function runOf(dir: string, id: string) {
  const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
  try {
    return { run: (await store.getRun(id))!, steps: await store.listSteps(id) }
  } finally {
    await store.close()
  }
}

describe('dead runs are settled by readers, by heartbeat age', () => {
  test('status settles a run whose PID is alive but unrelated (PID 1, the reader’s own) once its heartbeat is old', async () => {
    await withProject(async (dir) => {
      // PID 1 (init) is alive; so is this test process, which also runs no Tributary run.
      await fakeRun(dir, 'run-pid-1', 1, 5 * 60_000)
      await fakeRun(dir, 'run-test-pid', process.pid, 5 * 60_000)
      const status = cli(['status', '--project', dir, '--json'])
      assert.equal(status.code, 0, status.stderr)
      for (const id of ['run-pid-1', 'run-test-pid']) {
        const { run, steps } = await runOf(dir, id)
        assert.equal(run.status, 'failed', `${id} is settled, not left running`)
        assert.equal(run.error?.code, 'TRB3006')
        assert.equal(steps[0]!.status, 'failed')
      }
      const statuses = JSON.parse(status.stdout) as { key: string; status: string }[]
      assert.notEqual(statuses.find((s) => s.key === 'raw/base')?.status, 'running')
    })
  })

  test('a run recorded with the reader’s own PID but an old heartbeat is settled by that reader’s status()', async () => {
    const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }] } })
    const p = await openProject({ assets: [base] })
    try {
      // As after a container restart: the new process got the PID the dead one had.
      const at = new Date(Date.now() - 3 * 60_000)
      await p.instance.store.createRun({ id: 'mine', selection: '', trigger: 'test', pid: process.pid, host: hostname(), startedAt: at, steps: [{ assetKey: 'raw/base', partition: null }] })
      await p.instance.store.updateStep({ runId: 'mine', assetKey: 'raw/base', partition: null, status: 'running', attempt: 1, at })
      const [status] = await p.instance.status('raw/base')
      assert.notEqual(status!.status, 'running')
      assert.equal((await p.instance.store.getRun('mine'))!.status, 'failed')
      assert.deepEqual(await p.instance.store.listActiveRuns(), [])
    } finally {
      await p.close()
    }
  })

  test('the server settles a dead run when its runs are listed (GET /api/runs)', async () => {
    const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }] } })
    const p = await openProject({ assets: [base] })
    const { server, api } = await serveInstance(p.instance)
    try {
      const at = new Date(Date.now() - 3 * 60_000)
      await p.instance.store.createRun({ id: 'pid-one', selection: '', trigger: 'test', pid: 1, host: hostname(), startedAt: at, steps: [{ assetKey: 'raw/base', partition: null }] })
      const listed = await api.get('/api/runs')
      assert.equal(listed.status, 200)
      assert.equal((listed.body as { id: string; status: string }[]).find((r) => r.id === 'pid-one')?.status, 'failed')
    } finally {
      await server.close()
      await p.close()
    }
  })

  test('a daemon tick settles a dead run', async () => {
    const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }] } })
    const p = await openProject({ assets: [base] })
    const automation = await SqliteAutomationStore.open(join(p.dir, '.tributary/metadata.sqlite'))
    try {
      await automation.migrate()
      const at = new Date(Date.now() - 3 * 60_000)
      await p.instance.store.createRun({ id: 'pid-one', selection: '', trigger: 'test', pid: 1, host: hostname(), startedAt: at, steps: [{ assetKey: 'raw/base', partition: null }] })
      await new AutomationDaemon(() => p.instance, automation, { holder: 'daemon-test' }).runOnce()
      assert.equal((await p.instance.store.getRun('pid-one'))!.status, 'failed')
    } finally {
      await automation.close()
      await p.close()
    }
  })

  test('runs settles a dead run too; a run with a live PID and a fresh heartbeat is left alone', async () => {
    await withProject(async (dir) => {
      await fakeRun(dir, 'run-stale', process.pid, 2 * 60_000)
      await fakeRun(dir, 'run-fresh', process.pid, 0)
      const runs = cli(['runs', '--project', dir, '--json'])
      assert.equal(runs.code, 0, runs.stderr)
      const listed = Object.fromEntries((JSON.parse(runs.stdout) as { id: string; status: string }[]).map((r) => [r.id, r.status]))
      assert.equal(listed['run-stale'], 'failed')
      assert.equal(listed['run-fresh'], 'running', 'a heartbeat seconds old means alive')
    })
  })
})

describe('recovery removes what dead attempts staged', () => {
  test('SIGKILL of a files asset once its report is staged: the next reader (status) settles the run and removes .staging-<run>', async () => {
    await withProject(async (dir) => {
      await writeFile(join(dir, 'hang'), '')
      const running = startRunProcess(dir, 'reports/daily')
      const { child } = running
      const exited = new Promise((resolve) => child.once('exit', resolve))
      try {
        const staged = await running.event('staging_written', (e) => e.key === 'reports/daily')
        const runId = staged.runId
        const staging = join(dir, '.tributary/files/reports/daily', `.staging-${runId}`)
        assert.equal(staged.dir, staging)
        assert.ok(existsSync(join(staging, 'index.html')), 'the report is staged')
        child.kill('SIGKILL')
        await exited
        assert.ok(existsSync(staging), 'the killed attempt left its staging directory')
        // The process is gone but its heartbeat is fresh: a dead PID on this host is enough.
        const status = cli(['status', '--project', dir])
        assert.equal(status.code, 0, status.stderr)
        assert.equal(existsSync(staging), false, 'recovery removed the staging directory')
        const { run, steps } = await runOf(dir, runId)
        assert.equal(run.status, 'failed')
        assert.equal(steps.find((s) => s.assetKey === 'reports/daily')?.error?.code, 'TRB3006')
        const left = await readdir(join(dir, '.tributary/files/reports/daily'))
        assert.deepEqual(left.filter((name) => name.startsWith('.staging-')), [])
      } finally {
        await running.kill()
      }
    })
  })

  test('an attempt that overruns its timeout while it writes leaves no staging table behind', async () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z')
    const cpu = defineAsset({
      key: 'raw/cpu', timeout: '200ms',
      async materialize(_inputs, ctx) {
        await ctx.writeRows([{ id: 1 }])
        // The timeout falls due while the next write is under way (as when CPU-bound code held the
        // event loop past it): the write goes on after the abort, and the code returns rows anyway.
        const writing = ctx.writeRows([{ id: 2 }])
        clock.advance(600)
        await writing.catch(() => undefined)
        return [{ id: 3 }]
      },
    })
    const p = await openProject({ assets: [cpu] }, { clock })
    try {
      const result = await p.instance.materialize('raw/cpu')
      assert.equal((await p.instance.store.listSteps(result.runId))[0]!.error?.code, 'TRB3002')
      const session = await (await p.instance.warehouse()).session()
      try {
        assert.deepEqual(await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'"), [])
      } finally {
        await session.close()
      }
    } finally {
      await p.close()
    }
  })

  test('recovery drops the staging table of a dead run’s step that had already failed (its own cleanup never ran)', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const base = defineAsset({ key: 'raw/base', async materialize() { return [{ id: 1 }] } })
    const p = await openProject({ assets: [base] })
    try {
      const store = p.instance.store
      const now = new Date()
      await store.createRun({ id: 'dead', selection: '', trigger: 'test', pid: deadPid, host: hostname(), startedAt: now, steps: [{ assetKey: 'raw/base', partition: null }] })
      await store.updateStep({ runId: 'dead', assetKey: 'raw/base', partition: null, status: 'failed', attempt: 1, at: now, error: { code: 'TRB3002', message: 'timed out' } })
      const warehouse = await p.instance.warehouse()
      const session = await warehouse.session()
      try {
        await session.createFromRows(warehouse.stagingRelation({ schema: 'raw', name: 'base' }, 'dead', null), [{ id: 1 }])
        assert.deepEqual(await p.instance.recover(), [{ runId: 'dead', reconciled: [], failed: [] }])
        assert.deepEqual(await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'"), [])
      } finally {
        await session.close()
      }
    } finally {
      await p.close()
    }
  })
})
