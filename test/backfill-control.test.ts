// Pausing, resuming and canceling backfills: in one process, from another process (the CLI
// against a backfill another CLI runs), and with Ctrl-C (a real SIGINT).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { dailyPartitions } from '../src/model/partitions.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import type { Store } from '../src/store/store.js'
import { cli, cliProcess } from './helpers/cli.js'
import { poll, runningStep } from './helpers/poll.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const days = dailyPartitions({ start: '2026-03-01' })

function project(gate: Promise<void>, gateOn: string) {
  const raw = defineAsset({
    key: 'raw/payments', partitions: days,
    async materialize(_inputs, ctx) {
      if (ctx.partition === gateOn) await gate
      return [{ id: 1, amount: Number(ctx.partition!.slice(8)) }]
    },
  })
  const daily = sqlAsset({ key: 'marts/daily', partitions: days, sql: 'select sum(amount)::int as revenue from raw.payments where partition_key = {{ partition_key }}' })
  return [raw, daily]
}

describe('backfill pause and resume in one process', () => {
  test('pause lets the running step finish and publish, starts nothing more, ends paused; resume does the rest once', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const p = await openProject({ assets: project(gate, '2026-03-02'), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')) })
    try {
      const events: string[] = []
      const running = p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-06', only: 'all', onProgress: (e) => events.push(e.type) })
      const runId = await runningStep(p.instance.store, 'raw/payments', '2026-03-02')
      const requested = await p.instance.pause(runId)
      assert.equal(requested.requested, 'pause')
      assert.equal(requested.status, 'running')
      release()
      const paused = await running
      assert.equal(paused.status, 'paused')
      assert.ok(events.includes('run_pausing'))
      const steps = await p.instance.store.listSteps(runId)
      assert.equal(steps.find((s) => s.assetKey === 'raw/payments' && s.partition === '2026-03-02')?.status, 'succeeded', 'the running step finished')
      assert.deepEqual([...new Set(steps.map((s) => s.status))].sort(), ['canceled', 'succeeded'])
      for (const step of steps.filter((s) => s.status === 'canceled')) assert.match(step.reason ?? '', /paused before this step started/)
      const run = (await p.instance.store.getRun(runId))!
      assert.equal(run.status, 'paused')
      assert.equal(run.requested, null, 'the request is cleared once acted on')

      const progress = await p.instance.backfillProgress(runId)
      assert.equal(progress.total, 12)
      assert.equal(progress.done, steps.filter((s) => s.status === 'succeeded').length, 'steps the pause left are not done')
      assert.equal(progress.etaMs, null)
      assert.deepEqual(progress.assets.map((a) => a.key), ['raw/payments', 'marts/daily'])

      // Pausing it again, or resuming a run that is still going, are clear errors.
      await assert.rejects(p.instance.pause(runId), (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'TRB6003' && /is paused/.test(e.message) && e.hint === `Resume it with \`tributary backfill --resume ${runId}\`, or leave it.`)
      const resumed = await p.instance.resume(runId)
      assert.equal(resumed.status, 'succeeded')
      assert.equal(resumed.resumes, runId)
      assert.equal(resumed.alreadyDone, steps.filter((s) => s.status === 'succeeded').length)
      assert.equal(resumed.alreadyDone + resumed.counts!.succeeded, 12)
      for (const day of ['01', '02', '03', '04', '05', '06']) {
        assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: `2026-03-${day}` })).length, 1, `2026-03-${day} published once`)
      }
      // The paused run was continued: resuming it again would run its rest twice.
      await assert.rejects(p.instance.resume(runId), (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'TRB6003' && e.message.includes(`already continued by run ${resumed.runId} (succeeded)`) && e.hint === 'Nothing is left to do.')
      const session = await (await p.instance.warehouse()).session()
      try {
        assert.deepEqual(await session.query('select count(*)::int as n, count(distinct partition_key)::int as days from raw.payments'), [{ n: 6, days: 6 }])
      } finally {
        await session.close()
      }
    } finally {
      release()
      await p.close()
    }
  })

  test('two resumes of one paused backfill at once: one goes ahead, the other is TRB6003; nothing is built twice', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const p = await openProject({ assets: project(gate, '2026-03-02'), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')) })
    try {
      const pauser = new AbortController()
      const running = p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04', only: 'all', pauseSignal: pauser.signal })
      const runId = await runningStep(p.instance.store, 'raw/payments', '2026-03-02')
      // The same backfill again while it runs is refused, not run beside it.
      await assert.rejects(p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-04', only: 'all' }), (e: { code?: string; message: string }) =>
        e.code === 'TRB6003' && e.message.includes(`already running as run ${runId}`))
      pauser.abort()
      release()
      assert.equal((await running).status, 'paused')
      const [a, b] = await Promise.allSettled([p.instance.resume(runId), p.instance.resume(runId)])
      const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as { code?: string }).code)).sort()
      assert.deepEqual(outcomes, ['TRB6003', 'succeeded'])
      for (const day of ['01', '02', '03', '04']) {
        assert.equal((await p.instance.store.listMaterializations('raw/payments', { partition: `2026-03-${day}` })).length, 1, `2026-03-${day} published once`)
        assert.equal((await p.instance.store.listMaterializations('marts/daily', { partition: `2026-03-${day}` })).length, 1, `marts/daily 2026-03-${day} published once`)
      }
    } finally {
      release()
      await p.close()
    }
  })

  test('a pause asked before the run starts (Ctrl-C while planning) ends it paused with nothing started', async () => {
    const p = await openProject({ assets: project(Promise.resolve(), ''), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')) })
    try {
      const pauser = new AbortController()
      pauser.abort()
      const result = await p.instance.backfill('raw/payments', { from: '2026-03-01', to: '2026-03-02', only: 'all', pauseSignal: pauser.signal })
      assert.equal(result.status, 'paused')
      assert.equal(result.counts!.canceled, 4)
      const canceler = new AbortController()
      canceler.abort()
      const canceled = await p.instance.backfill('raw/payments', { from: '2026-03-03', to: '2026-03-03', only: 'all', signal: canceler.signal })
      assert.equal(canceled.status, 'canceled')
      assert.deepEqual(await p.instance.store.listMaterializations('raw/payments'), [])
    } finally {
      await p.close()
    }
  })

  test('a pause stops steps still waiting for upstream partitions: canceled as paused at once, not failed later', async () => {
    const p = await openProject({ assets: project(Promise.resolve(), ''), concurrency: 4 }, {
      clock: new ManualClock(new Date('2026-03-10T12:00:00Z')), settings: { readinessTimeoutMs: 60_000, readinessPollMs: 50 },
    })
    try {
      // Only the readers: the days they read are not published, so every step waits.
      const running = p.instance.backfill('marts/daily', { from: '2026-03-01', to: '2026-03-02', only: 'all' })
      const runId = await poll('the steps wait', async () => {
        const run = (await p.instance.store.listRuns({ limit: 1 }))[0]
        const steps = run ? await p.instance.store.listSteps(run.id) : []
        return steps.length === 2 && steps.every((step) => step.status === 'waiting') ? run!.id : undefined
      })
      await p.instance.pause(runId)
      const result = await running
      assert.equal(result.status, 'paused')
      const steps = await p.instance.store.listSteps(runId)
      assert.deepEqual(steps.map((step) => [step.status, step.reason]), [
        ['canceled', 'the run was paused before this step started'], ['canceled', 'the run was paused before this step started'],
      ])
    } finally {
      await p.close()
    }
  })

  test('pausing or canceling a run whose process died settles it now and says so, rather than waiting forever', async () => {
    const p = await openProject({ assets: project(Promise.resolve(), ''), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')) })
    try {
      // A backfill run left 'running' by a process that is gone.
      const gone = spawnSync(process.execPath, ['-e', 'process.pid'])
      await p.instance.store.createRun({
        id: 'dead-run', selection: 'backfill raw/payments --from 2026-03-01 --to 2026-03-01 --only all', trigger: 'backfill',
        pid: gone.pid!, host: hostname(), startedAt: new Date('2026-03-10T11:00:00Z'), steps: [{ assetKey: 'raw/payments', partition: '2026-03-01' }],
      })
      await assert.rejects(p.instance.pause('dead-run'), (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'TRB6003' && e.message.includes(`its process (pid ${gone.pid} on ${hostname()}) died, and it ended failed`) && /--resume dead-run/.test(e.hint ?? ''))
      const run = (await p.instance.store.getRun('dead-run'))!
      assert.equal(run.status, 'failed')
      assert.equal(run.requested, null)
      assert.equal((await p.instance.resume('dead-run')).status, 'succeeded')
    } finally {
      await p.close()
    }
  })

  test('pausing a run that is not a backfill, an unknown run, or a finished one says what to do instead', async () => {
    const p = await openProject({ assets: project(Promise.resolve(), ''), concurrency: 1 }, { clock: new ManualClock(new Date('2026-03-10T12:00:00Z')) })
    try {
      const plain = await p.instance.materialize('raw/payments', { partition: '2026-03-01' })
      await assert.rejects(p.instance.pause(plain.runId), (e: { code?: string; hint?: string }) => e.code === 'TRB6001' && /Cancel it instead/.test(e.hint ?? ''))
      await assert.rejects(p.instance.pause('20260101-000000-nope00'), (e: { code?: string }) => e.code === 'TRB6002')
      await assert.rejects(p.instance.cancel(plain.runId), (e: { code?: string; message: string }) => e.code === 'TRB6003' && /succeeded/.test(e.message))
      await assert.rejects(p.instance.backfillProgress(plain.runId), (e: { code?: string }) => e.code === 'TRB6002')
    } finally {
      await p.close()
    }
  })
})

// The partition 2026-03-03 waits for a file, so the test can act while it runs.
const CONFIG = `
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { dailyPartitions, defineAsset, defineProject, sqlAsset } from 'tributary-orchestrator'

const days = dailyPartitions({ start: '2026-03-01' })
export const raw = defineAsset({
  key: 'raw/events', partitions: days,
  async materialize(_inputs, ctx) {
    while (ctx.partition === '2026-03-03' && !existsSync(join(ctx.projectDir, 'go'))) await new Promise((resolve) => setTimeout(resolve, 50))
    return [{ id: 1 }, { id: 2 }]
  },
})
export const daily = sqlAsset({ key: 'marts/events', partitions: days, sql: 'select count(*)::int as n from raw.events where partition_key = {{ partition_key }}' })
export default defineProject({ name: 'backfill-control', assets: [raw, daily], concurrency: 1 })
`

async function withCliProject(body: (dir: string, store: Store) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir('backfill-control-')
  try {
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    // The store exists once the first CLI command has migrated it.
    const init = cli(['backfill', '--list', '--project', dir])
    assert.equal(init.code, 0, init.stderr)
    assert.match(init.stdout, /no backfills yet/)
    const store = await SqliteStore.open(join(dir, '.tributary/metadata.sqlite'))
    try {
      await body(dir, store)
    } finally {
      await store.close()
    }
  } finally {
    await cleanup()
  }
}

function exited(child: ReturnType<typeof cliProcess>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

/** Resolves with the first match of `pattern` in what `child` prints on stderr; rejects if it exits first, or after `timeoutMs`. */
function printed(child: ReturnType<typeof cliProcess>, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${text}`)), timeoutMs)
    const look = (chunk: Buffer) => {
      text += chunk.toString()
      const match = pattern.exec(text)
      if (!match) return
      clearTimeout(timer)
      child.stderr!.off('data', look)
      resolve(match)
    }
    child.stderr!.on('data', look)
    child.once('exit', () => {
      clearTimeout(timer)
      reject(new Error(`exited before printing ${pattern}:\n${text}`))
    })
  })
}

describe('backfill pause, resume and cancel across processes', () => {
  test('`backfill --pause` from a second process pauses a CLI backfill; `--list` shows it; `--resume` finishes it without redoing anything', async () => {
    await withCliProject(async (dir, store) => {
      const args = ['backfill', 'raw/events', '--from', '2026-03-01', '--to', '2026-03-06', '--only', 'all', '--project', dir]
      const child = cliProcess(args)
      const done = exited(child)
      // The run announces the pause once its heartbeat brings the request (its progress display prints it).
      const seen = printed(child, /pausing run (\S+):/)
      const runId = await runningStep(store, 'raw/events', '2026-03-03')

      const pause = cli(['backfill', '--pause', runId, '--project', dir])
      assert.equal(pause.code, 0, pause.stderr)
      assert.match(pause.stdout, new RegExp(`pause requested for backfill run ${runId}`))
      assert.match(pause.stdout, new RegExp(`resume: tributary backfill --resume ${runId}`))
      assert.equal((await store.getRun(runId))!.requested, 'pause')
      const listed = JSON.parse(cli(['backfill', '--list', '--json', '--project', dir]).stdout)
      assert.equal(listed[0].run.id, runId)
      assert.equal(listed[0].run.requested, 'pause')
      // The running partition finishes and publishes only after its process saw the pause.
      assert.equal((await seen)[1], runId)
      await writeFile(join(dir, 'go'), '')
      const first = await done
      assert.equal(first.code, 1, first.stderr)
      assert.match(first.stdout, new RegExp(`paused backfill run ${runId}`))
      const steps = await store.listSteps(runId)
      assert.equal(steps.find((s) => s.assetKey === 'raw/events' && s.partition === '2026-03-03')?.status, 'succeeded')
      const published = steps.filter((s) => s.status === 'succeeded').length
      assert.ok(published >= 3 && published < 12, `published before the pause took effect: ${published}`)

      const list = cli(['backfill', '--list', '--project', dir])
      assert.equal(list.code, 0, list.stderr)
      assert.match(list.stdout, new RegExp(`${runId}\\s+⏸ paused\\s+\\S+ ${published}/12`))

      const again = cli(['backfill', '--pause', runId, '--project', dir])
      assert.equal(again.code, 2, 'a request that cannot be done is a usage error')
      assert.match(again.stderr, /TRB6003/)
      assert.match(again.stderr, /is paused/)

      const resumed = cli(['backfill', '--resume', runId, '--project', dir, '--json'])
      assert.equal(resumed.code, 0, resumed.stderr)
      const second = JSON.parse(resumed.stdout)
      assert.equal(second.status, 'succeeded')
      assert.equal(second.resumes, runId)
      assert.equal(second.alreadyDone, published)
      assert.equal(second.alreadyDone + second.counts.succeeded, 12)
      for (const day of ['01', '02', '03', '04', '05', '06']) {
        assert.equal((await store.listMaterializations('raw/events', { partition: `2026-03-${day}` })).length, 1, `raw/events 2026-03-${day} published once`)
      }
    })
  })

  test('`backfill --cancel` from a second process stops the running step of a CLI backfill', async () => {
    await withCliProject(async (dir, store) => {
      const child = cliProcess(['backfill', 'raw/events', '--from', '2026-03-01', '--to', '2026-03-06', '--only', 'all', '--project', dir, '--json'])
      const done = exited(child)
      const runId = await runningStep(store, 'raw/events', '2026-03-03')
      const cancel = cli(['backfill', '--cancel', runId, '--project', dir])
      assert.equal(cancel.code, 0, cancel.stderr)
      assert.match(cancel.stdout, /cancel requested/)
      const first = await done
      assert.equal(JSON.parse(first.stdout).status, 'canceled')
      const steps = await store.listSteps(runId)
      assert.equal(steps.find((s) => s.assetKey === 'raw/events' && s.partition === '2026-03-03')?.status, 'canceled', 'the running step was stopped, not finished')
      assert.equal((await store.listMaterializations('raw/events', { partition: '2026-03-03' })).length, 0)
    })
  })

  test('Ctrl-C pauses a CLI backfill: the running step finishes and publishes, nothing more starts', async () => {
    await withCliProject(async (dir, store) => {
      const child = cliProcess(['backfill', 'raw/events', '--from', '2026-03-01', '--to', '2026-03-06', '--only', 'all', '--project', dir])
      const done = exited(child)
      const runId = await runningStep(store, 'raw/events', '2026-03-03')
      // The pause is asked for once the CLI says so; only then may the running step finish.
      const pausing = printed(child, /pausing the backfill/)
      child.kill('SIGINT')
      await pausing
      await writeFile(join(dir, 'go'), '')
      const first = await done
      assert.equal(first.code, 1, first.stderr)
      assert.match(first.stderr, /pausing the backfill: running steps finish/)
      assert.match(first.stdout, new RegExp(`paused backfill run ${runId}`))
      assert.match(first.stdout, new RegExp(`resume: tributary backfill --resume ${runId}`))
      assert.equal((await store.getRun(runId))!.status, 'paused')
      assert.equal((await store.listMaterializations('raw/events', { partition: '2026-03-03' })).length, 1, 'the running partition was published')
    })
  })
})
