import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { after, before, describe, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

// Each hanging step logs its worker's pid once its first attempt has written to staging.
const CONFIG = `
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
    ctx.log.info(\`spinning in \${process.pid}\`)
    // Let the log line leave before the loop stops this worker's event loop for good.
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (;;) { /* never yields, never reads its signal */ }
  } }),
  defineAsset({ key: 'raw/quick', async materialize() { return [{ id: 1 }] } }),
] })
`

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

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
    await instance.close()
    await cleanup()
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

  test('cancel stops a busy-looping asset by killing its worker; the control plane stays responsive; the other branch finishes', async () => {
    const controller = new AbortController()
    const lag = monitorEventLoopDelay({ resolution: 10 })
    const done = instance.materialize('raw/spin raw/quick', { signal: controller.signal })
    const [pid] = await loggedPids(/spinning in (\d+)/, 1)
    lag.enable()
    await poll('raw/quick to finish', async () => {
      const [run] = await instance.store.listRuns({ limit: 1 })
      return (await instance.store.listSteps(run!.id)).find((s) => s.assetKey === 'raw/quick')?.status === 'succeeded' ? true : undefined
    })
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
})
