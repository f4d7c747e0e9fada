// A step's lease is never free before the step's end is stored: another run taking it in between
// would find the asset not yet materialized and run its code a second time. A store that commits
// writes in issue order (SQLite's one queue) lets the engine issue the release right after the
// end; on any other (PostgreSQL's pool) the engine waits for the end to be stored.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import { defineAsset } from '../src/model/asset.js'
import type { Store } from '../src/store/store.js'
import { openProject } from './helpers/temp-project.js'

// The real store, its completions held until `release()`, every completion and lease release in order.
function recordingStore(real: Store, ordersWrites: boolean) {
  const order: string[] = []
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const store = Object.assign(Object.create(real) as Store, {
    ordersWrites,
    completeStep: async (completion: Parameters<Store['completeStep']>[0]) => {
      order.push('end issued')
      const stored = real.completeStep(completion)
      await gate
      const record = await stored
      order.push('end stored')
      return record
    },
    releaseLease: async (assetKey: string, partition: string | null, holder: string) => {
      order.push('lease released')
      // The completion stays held until the engine has had every chance to release early.
      setImmediate(release)
      return real.releaseLease(assetKey, partition, holder)
    },
  })
  return { store, order, release: () => release() }
}

for (const ordersWrites of [false, true]) {
  test(`the lease of a step whose code ended is released ${ordersWrites ? 'with its end (writes committed in order)' : 'only once its end is stored (writes not ordered)'}`, async () => {
    const p = await openProject({ assets: [defineAsset({ key: 'jobs/a', io: 'none', async materialize() {} })] })
    try {
      const { store, order, release } = recordingStore(p.instance.store, ordersWrites)
      const deps = { graph: p.instance.graph, store, warehouse: await p.instance.warehouse(), clock: p.instance.clock, projectDir: p.dir, stateDir: p.instance.stateDir, settings: p.instance.settings }
      const run = executeRun(deps, planRun(p.instance.graph, ['jobs/a']), { trigger: 'test' })
      // Without an early release nothing opens the gate: open it once the end is issued.
      if (!ordersWrites) {
        while (!order.includes('end issued')) await new Promise((resolve) => setImmediate(resolve))
        for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
        release()
      }
      const result = await run
      assert.equal(result.status, 'succeeded')
      if (ordersWrites) assert.deepEqual(order, ['end issued', 'lease released', 'end stored'])
      else assert.deepEqual(order, ['end issued', 'end stored', 'lease released'])
      assert.equal((await p.instance.store.listMaterializations('jobs/a')).length, 1)
    } finally {
      await p.close()
    }
  })
}
