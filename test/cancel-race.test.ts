// A cancel that lands while a step opens its warehouse session must still cancel the step,
// even when the asset only listens for an abort that has already happened.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import { defineAsset } from '../src/model/asset.js'
import type { Warehouse } from '../src/warehouse/warehouse.js'
import { openProject } from './helpers/temp-project.js'

test('a cancel while the session opens cancels the step at once', async () => {
  // Listens for the abort only when it starts: an abort before then never reaches it.
  const deaf = defineAsset({
    key: 'raw/deaf',
    async materialize(_inputs, ctx) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 30_000)
        ctx.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
      })
      return [{ id: 1 }]
    },
  })
  const p = await openProject({ assets: [deaf] })
  try {
    const real = await p.instance.warehouse()
    const cancel = new AbortController()
    // The real warehouse, with the cancel arriving while a session opens.
    const warehouse: Warehouse = Object.assign(Object.create(real) as Warehouse, {
      session: async () => {
        cancel.abort()
        return real.session()
      },
    })
    const deps = { graph: p.instance.graph, store: p.instance.store, warehouse, clock: p.instance.clock, projectDir: p.dir, stateDir: p.instance.stateDir, settings: p.instance.settings }
    const started = Date.now()
    const result = await executeRun(deps, planRun(p.instance.graph, ['raw/deaf']), { signal: cancel.signal, trigger: 'test' })
    assert.equal(result.status, 'canceled')
    assert.equal(result.counts.canceled, 1)
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
    assert.deepEqual(await p.instance.store.listMaterializations('raw/deaf'), [])
  } finally {
    await p.close()
  }
})
