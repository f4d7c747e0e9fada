import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { after, before, describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { nextEvent } from './helpers/events.js'
import { poll } from './helpers/poll.js'
import { cli, cliProcess } from './helpers/cli.js'
import { serveInstance } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'
import { alive } from './helpers/control-plane-project.js'

// Each hanging step logs its worker's pid once its first attempt has written to staging.
const CONFIG = `
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineAsset, defineProject } from 'tributary-orchestrator'
const hangOnce = async (ctx: { attempt: number; writeRows(rows: object[]): Promise<void>; log: { info(m: string): void } }) => {
  await ctx.writeRows([{ id: ctx.attempt }])
  if (ctx.attempt > 1) return
  ctx.log.info(\`staged in \${process.pid}\`)
  await new Promise(() => {})
}
export default defineProject({ name: 'kill', concurrency: 4, assets: [
  defineAsset({ key: 'raw/retried', retry: { attempts: 2, initialDelay: '1ms', jitter: 0 }, materialize: (_inputs, ctx) => hangOnce(ctx) }),
  defineAsset({ key: 'raw/once', materialize: (_inputs, ctx) => hangOnce(ctx) }),
  defineAsset({ key: 'raw/spin', async materialize(_inputs, ctx) {
    // Written synchronously: the loop below never lets this worker's event loop turn again.
    writeFileSync(join(ctx.projectDir, 'spinning'), String(process.pid))
    for (;;) { /* never yields, never reads its signal */ }
  } }),
  defineAsset({ key: 'raw/quick', async materialize() { return [{ id: 1 }] } }),
] })
`

/** The pid of the worker spinning raw/spin in the project at `dir`, once it has started. */
const spinningPid = (dir: string, timeoutMs?: number) => poll('raw/spin to start spinning in its worker', async () => {
  const file = join(dir, 'spinning')
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined
}, timeoutMs)

describe('worker processes: kill -9 and cancel', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let instance: Tributary
  before(async () => {
    ;({ dir, cleanup } = await tempDir('kill-'))
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    instance = await Tributary.open({ projectDir: dir, settings: { heartbeatMs: 50, readinessTimeoutMs: 0 }, workers: { graceMs: 300 } })
  })
  after(async () => {
    await instance?.close()
    await cleanup?.()
  })

  /** The pids logged by `pattern` in the newest run, once there are `count`. */
  const loggedPids = (pattern: RegExp, count: number) => poll(`${count} step(s) to log their worker`, async () => {
    const [run] = await instance.store.listRuns({ limit: 1 })
    const pids = run ? (await instance.store.listLogs(run.id)).flatMap((l) => pattern.exec(l.message)?.[1] ?? []).map(Number) : []
    return pids.length >= count ? pids : undefined
  })

  test('kill -9 of a worker mid-step: retried when the policy says so, else failed with TRB3031; nothing half-published', async () => {
    const done = instance.materialize('raw/retried raw/once')
    const pids = await loggedPids(/staged in (\d+)/, 2)
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    const result = await done
    assert.equal(result.status, 'failed')
    const steps = Object.fromEntries((await instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s]))
    assert.deepEqual([steps['raw/retried']!.status, steps['raw/retried']!.attempt], ['succeeded', 2])
    assert.deepEqual([steps['raw/once']!.status, steps['raw/once']!.error!.code], ['failed', 'TRB3031'])
    assert.match(steps['raw/once']!.error!.message, /killed by SIGKILL/)
    const session = await (await instance.warehouse()).session()
    try {
      // Only the second attempt's rows were published; the killed attempts left neither a table nor staging.
      assert.deepEqual(await session.query('select id from raw.retried'), [{ id: 2 }])
      assert.equal(await session.relationExists({ schema: 'raw', name: 'once' }), false)
      assert.deepEqual(await session.query("select table_name from information_schema.tables where table_name like '__trb_stage_%'"), [])
    } finally {
      await session.close()
    }
  })

  test('cancel stops a busy-looping asset by killing its worker; the control plane and its API stay responsive; the other branch finishes', async () => {
    const controller = new AbortController()
    const lag = monitorEventLoopDelay({ resolution: 10 })
    const quickPublished = nextEvent(instance.events, 'published', (e) => e.key === 'raw/quick', { timeoutMs: 60_000 })
    const done = instance.materialize('raw/spin raw/quick', { signal: controller.signal })
    const pid = await spinningPid(dir)
    lag.enable()
    // The API stays up and quick while the asset spins: the loop is in the worker, not here.
    const { server, api } = await serveInstance(instance)
    const latencies: number[] = []
    try {
      for (let i = 0; i < 10; i++) {
        const started = performance.now()
        assert.equal((await api.get('/api/health')).status, 200)
        latencies.push(performance.now() - started)
      }
    } finally {
      await server.close()
    }
    latencies.sort((a, b) => a - b)
    assert.ok(latencies[5]! < 100, `median /api/health ${latencies[5]} ms while a worker spins: ${latencies.map(Math.round).join(', ')}`)
    // The other branch publishes while raw/spin still spins; only then is the run canceled.
    await quickPublished
    controller.abort()
    const result = await done
    lag.disable()
    assert.equal(result.status, 'canceled')
    const steps = Object.fromEntries((await instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s.status]))
    assert.deepEqual(steps, { 'raw/spin': 'canceled', 'raw/quick': 'succeeded' })
    assert.equal(alive(pid!), false, 'the spinning worker was killed')
    // The loop spins in the worker: this process's event loop never stalls for anything like it.
    assert.ok(lag.max / 1e6 < 1000, `event loop stalled ${lag.max / 1e6} ms`)
    // A fresh worker takes the next step.
    assert.equal((await instance.materialize('raw/quick')).status, 'succeeded')
  })

  test('kill -9 of the control plane (a CLI run): its spinning worker ends too, and the next run settles the dead one', async () => {
    // A project of its own: this suite's instance holds its warehouse, which a CLI would wait for.
    const own = await tempDir('orphan-')
    try {
      await writeFile(join(own.dir, 'tributary.config.ts'), CONFIG)
      const child = cliProcess(['materialize', 'raw/spin', '--project', own.dir])
      const pid = await spinningPid(own.dir, 60_000)
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      // Orphaned, the worker's watchdog thread ends it although its main thread never yields.
      await poll(`worker ${pid} to end after its control plane died`, async () => (alive(pid) ? undefined : true), 10_000)
      const next = cli(['materialize', 'raw/quick', '--project', own.dir, '--json'])
      assert.equal(next.code, 0, next.stderr)
      assert.deepEqual(JSON.parse(next.stdout).recovered.map((r: { failed: string[] }) => r.failed), [['raw/spin']])
    } finally {
      await own.cleanup()
    }
  })
})
