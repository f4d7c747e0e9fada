// Every step has a time limit: the asset's `timeout`, else the project's `stepTimeout` (Default: 1h),
// so a hung asset never holds a run forever. Time is a ManualClock stepped past the limit.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { Tributary } from '../src/instance/tributary.js'
import { defineAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { TributaryError } from '../src/model/errors.js'
import { openProject } from './helpers/temp-project.js'

const MINUTE = 60_000
const forever = () => new Promise<never>(() => undefined)
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('default step timeout', () => {
  test('a hung asset with no timeout of its own ends TRB3002 after the default hour, not before', async () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z')
    const hung = defineAsset({ key: 'raw/hung', async materialize() { return forever() } })
    const p = await openProject({ assets: [hung] }, { clock })
    try {
      assert.equal(p.instance.settings.stepTimeoutMs, 3_600_000)
      let ended = false
      const run = p.instance.materialize('raw/hung').finally(() => (ended = true))
      await clock.timersSet(1)
      clock.advance(59 * MINUTE)
      for (let i = 0; i < 20; i++) await tick()
      assert.equal(ended, false, 'still running after 59 minutes')
      clock.advance(MINUTE)
      const result = await run
      assert.equal(result.status, 'failed')
      const [step] = await p.instance.store.listSteps(result.runId)
      assert.equal(step!.status, 'failed')
      assert.equal(step!.error?.code, 'TRB3002')
      assert.match(step!.error!.message, /raw\/hung ran longer than its timeout of 3600000ms/)
    } finally {
      await p.close()
    }
  })

  test("the project's stepTimeout sets the default; an asset's own timeout overrides it", async () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z')
    const defaulted = defineAsset({ key: 'raw/defaulted', async materialize() { return forever() } })
    const patient = defineAsset({ key: 'raw/patient', timeout: '30m', async materialize() { return forever() } })
    const p = await openProject({ assets: [defaulted, patient], stepTimeout: '10m', concurrency: 2 }, { clock })
    try {
      // The run's own announcement that the step ended, not a poll of the store.
      const defaultedEnded = new Promise<void>((resolve) => {
        const off = p.instance.subscribe((event) => {
          if (event.type !== 'step' || event.key !== 'raw/defaulted' || !['succeeded', 'failed', 'blocked', 'skipped', 'canceled'].includes(event.status)) return
          off()
          resolve()
        })
      })
      const run = p.instance.materialize()
      await clock.timersSet(2)
      clock.advance(10 * MINUTE)
      const stepOf = async (key: string) => (await p.instance.store.listSteps((await p.instance.store.listRuns({ limit: 1 }))[0]!.id)).find((s) => s.assetKey === key)!
      await defaultedEnded
      assert.equal((await stepOf('raw/defaulted')).error?.code, 'TRB3002')
      assert.equal((await stepOf('raw/patient')).status, 'running', 'its own 30m applies, not the project’s 10m')
      clock.advance(20 * MINUTE)
      const result = await run
      assert.equal(result.status, 'failed')
      assert.equal((await stepOf('raw/patient')).error?.code, 'TRB3002')
      assert.match((await stepOf('raw/patient')).error!.message, /timeout of 1800000ms/)
    } finally {
      await p.close()
    }
  })

  test('a stepTimeout that is not a duration is a definition error (TRB1007)', () => {
    const a = defineAsset({ key: 'raw/a', async materialize() { return [] } })
    assert.throws(() => Tributary.validate(defineProject({ name: 't', assets: [a], stepTimeout: 'soon' })), (error: unknown) => {
      const problems = (error as { problems?: TributaryError[] }).problems ?? []
      return problems.some((p) => p.code === 'TRB1007' && /stepTimeout/.test(p.message))
    })
  })
})
