import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { Tributary } from '../src/instance/tributary.js'
import type { SensorDefinition } from '../src/model/automation.js'
import { TributaryError } from '../src/model/errors.js'
import { PROJECT_DIR_ENV } from '../src/execution/ipc-protocol.js'
import { poll } from './helpers/poll.js'
import { serveInstance } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

// Each asset misbehaves while its `bad-<name>` file exists in the project, and is fine once it is gone.
const CONFIG = `
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { defineAsset, defineProject, pollSensor, sqlAsset } from 'tributary-orchestrator'
const bad = (ctx: { projectDir: string }, name: string) => existsSync(join(ctx.projectDir, 'bad-' + name))
// Written synchronously before misbehaving: the test waits for it, even when the worker's loop never turns again.
const started = (ctx: { projectDir: string }, name: string) => writeFileSync(join(ctx.projectDir, 'started-' + name), String(process.pid))
const rows = [{ id: 1 }, { id: 2 }]
const fine = defineAsset({ key: 'raw/fine', async materialize(_inputs, ctx) {
  console.log('fine runs in', process.pid)
  console.error('a line on stderr')
  process.stdout.write('partial ')
  process.stdout.write('line\\n')
  ctx.log.warn('ctx warns')
  return rows
} })
export default defineProject({ name: 'workers', concurrency: 6, workers: { maxHeapMb: 96 }, sensors: [
  pollSensor({ name: 'where', selection: 'raw/fine', poll: (cursor) => ({ cursor: \`\${cursor ?? ''}polled in \${process.pid}\`, request: false }) }),
  // Its cursor is where to say it started spinning.
  pollSensor({ name: 'spins', selection: 'raw/fine', poll: (cursor) => {
    writeFileSync(cursor!, '')
    for (;;) { /* never returns */ }
  } }),
], assets: [
  fine,
  sqlAsset({ key: 'marts/fine_count', sql: 'select count(*) as n from raw.fine' }),
  defineAsset({ key: 'raw/exits', async materialize(_inputs, ctx) { if (bad(ctx, 'exits')) process.exit(3); return rows } }),
  defineAsset({ key: 'raw/oom', async materialize(_inputs, ctx) {
    const hog: number[][] = []
    while (bad(ctx, 'oom')) hog.push(new Array(1_000_000).fill(Math.random()))
    return rows
  } }),
  defineAsset({ key: 'raw/busy', timeout: '10m', async materialize(_inputs, ctx) {
    if (bad(ctx, 'busy')) started(ctx, 'busy')
    while (bad(ctx, 'busy')) { /* spin */ }
    return rows
  } }),
  defineAsset({ key: 'raw/never', timeout: '10m', async materialize(_inputs, ctx) {
    if (bad(ctx, 'never')) {
      started(ctx, 'never')
      await new Promise(() => {})
    }
    return rows
  } }),
] })
`

describe('worker processes: a step that kills or hangs its worker fails alone', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let instance: Tributary
  const clock = new ManualClock('2026-05-01T00:00:00Z')
  before(async () => {
    ;({ dir, cleanup } = await tempDir('workers-'))
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    instance = await Tributary.open({ projectDir: dir, clock, settings: { heartbeatMs: 50, readinessTimeoutMs: 0 }, workers: { graceMs: 200 } })
  })
  after(async () => {
    await instance?.close()
    await cleanup?.()
  })

  test('exit, out of memory, busy loop and never-resolving each fail their step with their code; the rest finishes; the API answers throughout; the next run succeeds', async (t) => {
    for (const name of ['exits', 'oom', 'busy', 'never']) await writeFile(join(dir, `bad-${name}`), '')
    // The control plane serves its API meanwhile: /api/health is asked again and again, one request after another, the whole run long.
    const { server, api } = await serveInstance(instance)
    const latencies: number[] = []
    let probing = true
    const prober = (async () => {
      while (probing) {
        const started = performance.now()
        const response = await api.get('/api/health')
        latencies.push(performance.now() - started)
        assert.equal(response.status, 200)
      }
    })()
    const done = instance.materialize()
    // Both timed steps run their code in a worker (their timers are set on the injected clock): move time past them.
    await clock.timersSet(2)
    await poll('the busy and never-resolving steps to start', async () => (existsSync(join(dir, 'started-busy')) && existsSync(join(dir, 'started-never')) ? true : undefined))
    clock.advance(10 * 60_000 + 1)
    // Their code ignores the abort: each worker is killed once its 200 ms grace has passed on the clock
    // (set as the timeout fired, above).
    clock.advance(200)
    const result = await done
    probing = false
    await prober
    await server.close()
    latencies.sort((a, b) => a - b)
    const at = (q: number) => Math.round(latencies[Math.floor(q * (latencies.length - 1))]!)
    assert.ok(latencies.length >= 10, `probed ${latencies.length} times`)
    // A control plane that ran the code itself would not answer at all while the busy loop spins. The
    // budget is 100 ms; on a loaded 2-core machine the slowest answers wait for the CPU, so the bound on them is looser.
    const figures = `${latencies.length} probes, median ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`
    t.diagnostic(`/api/health during the run: ${figures}`)
    assert.ok(at(0.5) < 100, figures)
    assert.ok(at(0.99) < 2000, figures)
    assert.equal(result.status, 'failed')
    const steps = Object.fromEntries((await instance.store.listSteps(result.runId)).map((s) => [s.assetKey, s]))
    const codes = Object.fromEntries(Object.entries(steps).map(([key, step]) => [key, step.error?.code ?? step.status]))
    assert.deepEqual(codes, {
      'raw/fine': 'succeeded', 'marts/fine_count': 'succeeded',
      'raw/exits': 'TRB3030', 'raw/oom': 'TRB3032', 'raw/busy': 'TRB3033', 'raw/never': 'TRB3033',
    })
    assert.match(steps['raw/exits']!.error!.message, /exited with code 3/)
    assert.match(steps['raw/oom']!.error!.message, /out of memory.*96 MB/)
    assert.match(steps['raw/busy']!.error!.message, /timeout of 600000ms.*within 200ms.*killed/)

    // The step's console output, stdout and stderr are its log, in order, with levels; it ran in another process.
    const logs = (await instance.store.listLogs(result.runId)).filter((l) => l.assetKey === 'raw/fine')
    const pid = Number(/fine runs in (\d+)/.exec(logs[0]?.message ?? '')?.[1])
    assert.ok(pid > 0 && pid !== process.pid, `ran in a worker, not the control plane: ${JSON.stringify(logs)}`)
    assert.deepEqual(logs.map((l) => [l.level, l.stream, l.message]), [
      ['info', 'stdout', `fine runs in ${pid}`], ['error', 'stderr', 'a line on stderr'], ['info', 'stdout', 'partial line'], ['warn', 'log', 'ctx warns'],
    ])
    // Stamped when written, in the worker: not the control plane's (manual) clock.
    assert.ok(logs.every((l) => Math.abs(l.at.getTime() - Date.now()) < 120_000), JSON.stringify(logs.map((l) => l.at)))

    // Fresh workers replace the dead ones: the same assets, behaving, all succeed.
    for (const name of ['exits', 'oom', 'busy', 'never']) await rm(join(dir, `bad-${name}`))
    const next = await instance.materialize()
    assert.equal(next.status, 'succeeded', JSON.stringify(next.counts))
    assert.equal(next.counts.succeeded, 6)
  })

  test("a polling sensor's function runs in a worker too, and one that spins past the step timeout is killed (TRB3033)", async () => {
    const sensor = (name: string) => instance.project.sensors!.find((s) => s.name === name) as Extract<SensorDefinition, { kind: 'poll' }>
    const result = await instance.pollSensor(sensor('where'), 'seen; ')
    const pid = Number(/^seen; polled in (\d+)$/.exec(result.cursor ?? '')?.[1])
    assert.ok(pid > 0 && pid !== process.pid, `polled in a worker: ${result.cursor}`)
    const marker = join(dir, 'sensor-spinning')
    const spinning = instance.pollSensor(sensor('spins'), marker)
    await poll('the sensor to spin in its worker', async () => (existsSync(marker) ? true : undefined))
    clock.advance(60 * 60_000)
    // The spin never reads its abort: the worker is killed once the grace has passed on the clock.
    clock.advance(200)
    await assert.rejects(spinning, (error: unknown) => error instanceof TributaryError && error.code === 'TRB3033' && /sensor spins polled longer than 3600000ms/.test(error.message))
  })

  test('a project that fails to load in a worker fails the step with TRB3034, without retrying or starting worker after worker', async () => {
    const own = await tempDir('workers-load-')
    const broken = await (async () => {
      await writeFile(join(own.dir, 'tributary.config.ts'), `
import { defineAsset, defineProject } from 'tributary-orchestrator'
// Loads in the control plane, not in a worker (which finds its project in ${PROJECT_DIR_ENV}).
if (process.env.${PROJECT_DIR_ENV}) throw new Error('this config refuses to load in a worker')
export default defineProject({ name: 'broken', assets: [defineAsset({ key: 'raw/a', retry: { attempts: 3, initialDelay: '1ms' }, materialize: () => [{ id: 1 }] })] })
`)
      return Tributary.open({ projectDir: own.dir, settings: { heartbeatMs: 50 } })
    })()
    try {
      const result = await broken.materialize()
      const [step] = await broken.store.listSteps(result.runId)
      assert.deepEqual([step!.status, step!.attempt, step!.error!.code], ['failed', 1, 'TRB3034'])
      assert.match(step!.error!.message, /could not load the project: .*this config refuses to load in a worker/)
    } finally {
      await broken.close()
      await own.cleanup()
    }
  })
})
