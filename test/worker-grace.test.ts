// A worker whose step overran its timeout gets its kill grace on the injected clock: the test
// steps a ManualClock past the timeout and then past the grace, and a real worker process is
// killed exactly then, never on the wall clock.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { Tributary } from '../src/instance/tributary.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'
import { alive } from './helpers/control-plane-project.js'

// The asset says (synchronously, by files) that it runs and that its abort arrived; it never stops.
const CONFIG = `
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineAsset, defineProject } from 'tributary-orchestrator'
export default defineProject({ name: 'grace', assets: [
  defineAsset({ key: 'raw/stubborn', io: 'none', timeout: '10m', async materialize(_inputs, ctx) {
    ctx.signal.addEventListener('abort', () => writeFileSync(join(ctx.projectDir, 'aborted'), ''))
    writeFileSync(join(ctx.projectDir, 'running'), String(process.pid))
    await new Promise(() => {})
  } }),
] })
`

const MINUTE = 60_000
const GRACE = 30_000
describe('worker kill grace on the clock', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let instance: Tributary
  const clock = new ManualClock('2026-05-01T00:00:00Z')
  before(async () => {
    ;({ dir, cleanup } = await tempDir('grace-'))
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    instance = await Tributary.open({ projectDir: dir, executor: 'pool', clock, settings: { readinessTimeoutMs: 0 }, workers: { graceMs: GRACE } })
  })
  after(async () => {
    await instance?.close()
    await cleanup?.()
  })

  test('a step past its timeout that ignores its abort: its worker lives through the grace and is killed once the clock passes it (TRB3033)', async () => {
    const done = instance.materialize('raw/stubborn')
    const pid = await poll('raw/stubborn to run in its worker', async () => (existsSync(join(dir, 'running')) ? Number(readFileSync(join(dir, 'running'), 'utf8')) || undefined : undefined), 60_000)
    assert.notEqual(pid, process.pid)
    // The step's timeout is on the clock; passing it aborts the step and starts the grace.
    clock.advance(10 * MINUTE)
    await poll('the abort to reach the worker', async () => (existsSync(join(dir, 'aborted')) ? true : undefined))
    // The kill grace was set as the abort was sent, before the worker heard it.
    const pending = clock.pendingTimers
    assert.ok(pending >= 1, 'the kill grace waits on the clock')
    clock.advance(GRACE - 1)
    assert.equal(clock.pendingTimers, pending, 'within its grace, the kill timer still waits: no kill was sent')
    assert.equal(alive(pid), true, 'within its grace, the worker is left alone')
    clock.advance(1)
    assert.equal(clock.pendingTimers, pending - 1, 'the kill grace fired as the clock passed it')
    // A grace on the wall clock would end 30 s from now: this one ends as the clock passes it.
    const result = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the worker was not killed within 10 s of the grace passing on the clock')), 10_000).unref())])
    assert.equal(result.status, 'failed')
    const [step] = await instance.store.listSteps(result.runId)
    assert.equal(step!.error?.code, 'TRB3033')
    assert.match(step!.error!.message, /timeout of 600000ms.*within 30000ms.*killed/)
    assert.equal(alive(pid), false, 'the worker was killed')
  })
})
