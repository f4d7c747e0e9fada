// One control plane per project: `serve` advertises itself and a terminal's `tributary materialize`
// submits to it (real processes, real HTTP); without a server two CLI runs take turns with the
// warehouse instead of failing. The same with a browser watching: ui-control-plane.test.ts.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cli } from './helpers/cli.js'
import { alive, background, progressLines, stop, workerPids, writeControlProject as writeProject } from './helpers/control-plane-project.js'
import { poll } from './helpers/poll.js'
import { openEvents } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

describe('control plane: serve + a terminal', () => {
  let project: Awaited<ReturnType<typeof tempDir>>
  before(async () => {
    project = await tempDir('control-')
    await writeProject(project.dir)
  })
  after(async () => {
    await project?.cleanup()
  })

  test('materialize from a terminal while serve runs: submitted to serve, live over SSE, same progress and exit codes as alone', async () => {
    const { dir } = project
    // Alone first: the reference output.
    await writeFile(join(dir, 'gate'), '')
    const aloneOk = cli(['materialize', 'tag:ok', '--project', dir])
    const aloneBad = cli(['materialize', 'tag:bad', '--project', dir])
    assert.equal(aloneOk.code, 0, aloneOk.stderr)
    assert.equal(aloneBad.code, 1, aloneBad.stderr)
    await rm(join(dir, 'gate'))

    const served = background(['serve', '--port', '0', '--no-daemon', '--project', dir])
    const url = (await served.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
    try {
      const advertised = JSON.parse(readFileSync(join(dir, '.tributary', 'control-plane.json'), 'utf8'))
      assert.deepEqual([advertised.pid, advertised.url, advertised.command], [served.child.pid, url, 'serve'])
      assert.match(advertised.secret, /^[0-9a-f]{64}$/)

      const events = await openEvents(url)
      const terminal = background(['materialize', 'tag:ok', '--project', dir])
      const started = await events.waitFor((item) => 'event' in item && item.event === 'run_started')
      const runId: string = 'data' in started ? started.data.runId : ''
      await events.waitFor((item) => 'event' in item && item.data.type === 'step' && item.data.key === 'raw/gated' && item.data.status === 'running')
      await events.waitFor((item) => 'event' in item && item.data.type === 'log' && item.data.message === 'waiting for the gate')

      await writeFile(join(dir, 'gate'), '')
      const [code] = await terminal.exited
      assert.equal(code, 0, terminal.output.stderr)
      assert.match(terminal.output.stdout, new RegExp(`succeeded run ${runId}: 2 succeeded`))
      assert.match(terminal.output.stderr, /submitted to the control plane of this project \(tributary serve/)
      assert.doesNotMatch(terminal.output.stderr, /TRB5001|locked/)
      assert.deepEqual(progressLines(terminal.output.stderr), progressLines(aloneOk.stderr), 'the same progress as a run alone')

      // Every event of the run came with its id, in order, ending with run_finished.
      await events.waitFor((item) => 'event' in item && item.event === 'run_finished' && item.data.runId === runId)
      const ids = events.events().filter((e) => 'runId' in e.data && e.data.runId === runId).map((e) => Number(e.id))
      assert.ok(ids.length >= 6 && ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]!)), String(ids))
      const logs = events.events().filter((e) => e.data.type === 'log' && e.data.runId === runId).map((e) => 'message' in e.data ? e.data.message : '')
      assert.deepEqual(logs.sort(), ['hello from first', 'printed by first', 'through the gate', 'waiting for the gate'])
      events.close()

      const bad = cli(['materialize', 'tag:bad', '--project', dir])
      assert.equal(bad.code, 1, bad.stderr)
      assert.deepEqual(bad.stdout.replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, '<run>'), aloneBad.stdout.replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, '<run>'))
      assert.deepEqual(progressLines(bad.stderr), progressLines(aloneBad.stderr))

      const json = cli(['materialize', 'raw/first', '--json', '--project', dir])
      assert.equal(json.code, 0, json.stderr)
      const document = JSON.parse(json.stdout)
      assert.deepEqual([document.status, document.counts.succeeded, document.steps[0].assetKey, document.steps[0].status], ['succeeded', 1, 'raw/first', 'succeeded'])

      // A backfill and a partitioned materialize from the terminal go to serve too.
      const backfill = cli(['backfill', 'raw/daily', '--from', '2026-03-01', '--to', '2026-03-03', '--project', dir])
      assert.equal(backfill.code, 0, backfill.stderr)
      assert.match(backfill.stdout, /succeeded backfill run \S+: 3 succeeded/)
      assert.match(backfill.stderr, /submitted to the control plane/)
      const day = cli(['materialize', 'raw/daily', '--partition', '2026-03-04', '--json', '--project', dir])
      assert.equal(day.code, 0, day.stderr)
      assert.deepEqual(JSON.parse(day.stdout).steps.map((s: { partition: string }) => s.partition), ['2026-03-04'])

      const forced = cli(['materialize', 'raw/first', '--force', '--project', dir])
      assert.equal(forced.code, 0, forced.stderr)
      assert.match(forced.stderr, /submitted to the control plane/)

      // A second control plane for the same project is refused.
      const second = cli(['serve', '--port', '0', '--no-daemon', '--project', dir])
      assert.equal(second.code, 2)
      assert.match(second.stderr, /TRB6051 this project is already served by tributary serve/)
    } finally {
      assert.equal(await stop(served.child, served.exited), 0, served.output.stderr)
    }
    assert.equal(existsSync(join(dir, '.tributary', 'control-plane.json')), false, 'withdrawn at exit')
  })

  test('a stale advertisement (its process is gone) is ignored and removed: the CLI runs alone', async () => {
    const { dir } = project
    await writeFile(join(dir, 'gate'), '')
    const gone = background(['validate', '--project', dir])
    await gone.exited
    await mkdir(join(dir, '.tributary'), { recursive: true })
    await writeFile(join(dir, '.tributary', 'control-plane.json'), JSON.stringify({ version: 1, pid: gone.child.pid, url: 'http://127.0.0.1:9', port: 9, secret: 'x', startedAt: new Date().toISOString(), command: 'serve' }))
    const run = cli(['materialize', 'raw/first', '--project', dir])
    assert.equal(run.code, 0, run.stderr)
    assert.doesNotMatch(run.stderr, /submitted to the control plane/)
    assert.equal(existsSync(join(dir, '.tributary', 'control-plane.json')), false)
  })
})

describe('control plane: stopping a submitted run', () => {
  test('Ctrl-C or SIGTERM of a terminal whose run went to serve cancels it there, with the same output and exit code as a run alone; serve stays up', async () => {
    const project = await tempDir('stop-submitted-')
    try {
      await writeProject(project.dir)
      /** Starts `materialize raw/gated`, stops it with `signal` once the step runs, and returns how it ended. */
      const stopped = async (signal: NodeJS.Signals) => {
        const terminal = background(['materialize', 'raw/gated', '--project', project.dir])
        await terminal.waitFor(/running raw\/gated/)
        terminal.child.kill(signal)
        const [code] = await terminal.exited
        const runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(terminal.output.stderr)?.[1]
        const run = JSON.parse(cli(['run', runId!, '--json', '--project', project.dir]).stdout)
        const shown = (text: string) => text.replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, '<run>').replace(/\b\d+(\.\d)?(ms|s)\b/g, '<t>')
        return { code, stdout: shown(terminal.output.stdout), run: [run.run.status, run.steps.map((s: { status: string }) => s.status)], submitted: /submitted to the control plane/.test(terminal.output.stderr) }
      }
      const alone = { SIGINT: await stopped('SIGINT'), SIGTERM: await stopped('SIGTERM') }
      assert.deepEqual([alone.SIGINT.submitted, alone.SIGINT.run], [false, ['canceled', ['canceled']]])
      assert.deepEqual([alone.SIGTERM.code, alone.SIGTERM.run], [143, ['canceled', ['canceled']]])

      const served = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
      const url = (await served.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
      try {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) {
          const remote = await stopped(signal)
          assert.equal(remote.submitted, true)
          assert.deepEqual({ ...remote, submitted: false }, alone[signal], `${signal}: the same as alone`)
        }
        assert.equal((await fetch(`${url}/api/health`)).status, 200, 'serve is still up')
      } finally {
        assert.equal(await stop(served.child, served.exited), 0, served.output.stderr)
      }
    } finally {
      await project.cleanup()
    }
  })
})

describe('control plane: killed mid-run', () => {
  test('SIGKILL of serve mid-run: its workers end, the terminal following the run says the control plane is gone (TRB6050, exit 3); the next command runs alone and settles the run', async () => {
    const project = await tempDir('killed-')
    try {
      await writeProject(project.dir)
      const served = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
      await served.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout')
      const terminal = background(['materialize', 'raw/gated', '--project', project.dir])
      await terminal.waitFor(/running raw\/gated/)
      const workers = workerPids(served.child.pid!)
      assert.ok(workers.length >= 1, 'serve runs the step in a worker process')
      served.child.kill('SIGKILL')
      // Orphaned, its workers end themselves (IPC gone, and a watchdog thread that sees the new parent).
      await poll(`workers ${workers.join(', ')} to end after their control plane was killed`, async () => (workers.some(alive) ? undefined : true), 10_000)
      const [code] = await terminal.exited
      assert.equal(code, 3, terminal.output.stderr)
      assert.match(terminal.output.stderr, /TRB6050 the control plane \(pid \d+ at http:\/\/127\.0\.0\.1:\d+\) stopped answering/)
      assert.ok(existsSync(join(project.dir, '.tributary', 'control-plane.json')), 'a SIGKILL leaves the file behind')

      await writeFile(join(project.dir, 'gate'), '')
      const next = cli(['materialize', 'raw/gated', '--project', project.dir])
      assert.equal(next.code, 0, next.stderr)
      assert.match(next.stdout, /recovered run \S+: its process had died \(1 step\(s\) marked failed/)
      assert.doesNotMatch(next.stderr, /submitted to the control plane/)
      assert.equal(existsSync(join(project.dir, '.tributary', 'control-plane.json')), false, 'the stale file is gone')
    } finally {
      await project.cleanup()
    }
  })
})

describe('control plane: killed mid-run, then served again', () => {
  test('SIGKILL of serve mid-run: the next serve settles the dead run (failed, TRB3006, nothing published) and takes the next run from a terminal', async () => {
    const project = await tempDir('killed-served-')
    try {
      await writeProject(project.dir)
      const first = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
      await first.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout')
      const terminal = background(['materialize', 'raw/gated', '--project', project.dir])
      await terminal.waitFor(/running raw\/gated/)
      const runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(terminal.output.stderr)![1]!
      first.child.kill('SIGKILL')
      assert.equal((await terminal.exited)[0], 3, terminal.output.stderr)

      // The stale advertisement does not stop the next serve; it settles the run its predecessor left running.
      const second = background(['serve', '--port', '0', '--no-daemon', '--project', project.dir])
      const url = (await second.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 'stdout'))[0]
      try {
        const listed = (await (await fetch(`${url}/api/runs`)).json()) as { id: string; status: string }[]
        assert.equal(listed.find((run) => run.id === runId)?.status, 'failed', JSON.stringify(listed))
        const detail = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { run: { error: { code: string } | null }; steps: { status: string; error: { code: string } | null }[] }
        assert.deepEqual([detail.run.error?.code, detail.steps.map((step) => [step.status, step.error?.code])], ['TRB3006', [['failed', 'TRB3006']]])
        assert.deepEqual(await (await fetch(`${url}/api/materializations?key=raw/gated`)).json(), [], 'nothing was published')

        await writeFile(join(project.dir, 'gate'), '')
        const next = cli(['materialize', 'raw/gated', '--project', project.dir])
        assert.equal(next.code, 0, next.stderr)
        assert.match(next.stderr, /submitted to the control plane/)
      } finally {
        assert.equal(await stop(second.child, second.exited), 0, second.output.stderr)
      }
    } finally {
      await project.cleanup()
    }
  })
})

describe('tributary run --follow', () => {
  test('follows a run of another process: progress and logs as they happen, then the run; exits with its outcome', async () => {
    const project = await tempDir('follow-')
    try {
      await writeProject(project.dir)
      const running = background(['materialize', 'tag:ok', '--project', project.dir])
      await running.waitFor(/running raw\/gated/)
      const runId: string = JSON.parse(cli(['runs', '--json', '--project', project.dir]).stdout)[0].id
      const follow = background(['run', runId, '--follow', '--project', project.dir])
      await follow.waitFor(/^\s+\d{2}:\d{2}:\d{2}\.\d{3} raw\/gated waiting for the gate$/m, 'stdout')
      assert.doesNotMatch(follow.output.stdout, /through the gate/)
      await writeFile(join(project.dir, 'gate'), '')
      const [code] = await follow.exited
      assert.equal(code, 0, follow.output.stderr)
      const out = follow.output.stdout
      assert.match(out, /^\s+\d{2}:\d{2}:\d{2}\.\d{3} raw\/first hello from first$/m)
      // console.log of the asset (captured by its worker) is a log line too, marked stdout.
      assert.match(out, /^\s+\d{2}:\d{2}:\d{2}\.\d{3} raw\/first stdout printed by first$/m)
      assert.match(out, /^\s+\d{2}:\d{2}:\d{2}\.\d{3} warn raw\/gated through the gate$/m)
      assert.match(out, /succeeded raw\/gated/)
      assert.ok(out.indexOf('waiting for the gate') < out.indexOf('through the gate'))
      assert.match(out, new RegExp(`run ${runId}\\s+. succeeded`))
      assert.equal((await running.exited)[0], 0)

      const json = cli(['run', runId, '--follow', '--json', '--project', project.dir])
      assert.equal(json.code, 0)
      const detail = JSON.parse(json.stdout)
      assert.deepEqual(detail.logs.map((l: { message: string; stream: string; attempt: number }) => [l.message, l.stream, l.attempt]).sort(), [
        ['hello from first', 'log', 1], ['printed by first', 'stdout', 1], ['through the gate', 'log', 1], ['waiting for the gate', 'log', 1],
      ])

      const bad = cli(['materialize', 'tag:bad', '--project', project.dir])
      const badId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(bad.stdout)![1]!
      assert.equal(cli(['run', badId, '--follow', '--project', project.dir]).code, 1)
    } finally {
      await project.cleanup()
    }
  })
})

describe('control plane: two terminals, no server', () => {
  test('a second materialize waits for the warehouse, saying who holds it, and both succeed', async () => {
    const project = await tempDir('two-cli-')
    try {
      await writeProject(project.dir)
      const first = background(['materialize', 'raw/gated', '--project', project.dir])
      await first.waitFor(/running raw\/gated/)
      const second = background(['materialize', 'raw/first', '--project', project.dir])
      const waiting = await second.waitFor(/waiting for the warehouse: run (\S+) \(cli, pid (\d+)\): 0\/1 steps done/)
      assert.equal(Number(waiting[2]), first.child.pid)
      await writeFile(join(project.dir, 'gate'), '')
      const [[one], [two]] = await Promise.all([first.exited, second.exited])
      assert.equal(one, 0, first.output.stderr)
      assert.equal(two, 0, second.output.stderr)
      assert.match(second.output.stdout, /succeeded run \S+: 1 succeeded/)
      assert.doesNotMatch(second.output.stderr, /TRB5001/)
    } finally {
      await project.cleanup()
    }
  })
})
