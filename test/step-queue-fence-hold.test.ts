// The zombie window: a worker whose lease expired publishes after another worker claimed its step
// (a higher fence in the store) but before that one raised the warehouse fence. The publish asks
// the store last in its warehouse transaction (StepQueue.holdFence) and holds the step until its
// completion commits, so it is refused in that window and no claim comes in between. Real PostgreSQL
// (store and warehouse, each in a database of its own).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { EngineDeps } from '../src/engine/engine-deps.js'
import { fencedDeps } from '../src/execution/queue/fenced-deps.js'
import { TributaryError } from '../src/model/errors.js'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import type { StepJob, StepQueue } from '../src/store/step-queue.js'
import type { StepCompletion } from '../src/store/store.js'
import { postgres } from '../src/store/store-config.js'
import { PostgresWarehouse } from '../src/warehouse/postgres/index.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'

const job = (runId: string, assetKey: string): StepJob => ({ runId, assetKey, partition: null, attempt: 1, codeVersion: 'v1', pool: null, inputs: { values: {}, versions: {} } })

const isStale = (pattern?: RegExp) => (error: unknown) => error instanceof TributaryError && error.code === 'TRB7003' && (pattern === undefined || pattern.test(error.message))

const succeeded = (runId: string, assetKey: string, dataVersion: string): StepCompletion => ({
  step: { runId, assetKey, partition: null, status: 'succeeded', attempt: 1, at: new Date(), durationMs: 1, error: null, reason: null },
  materialization: { assetKey, partition: null, runId, codeVersion: 'v1', dataVersion, inputVersions: {}, rowCount: 1, columns: null, durationMs: 1, createdAt: new Date() },
})

describe('postgres step queue: a publish holds its step', () => {
  let storeDatabase: Awaited<ReturnType<typeof createDatabase>>
  let warehouseDatabase: Awaited<ReturnType<typeof createDatabase>>
  let store: PostgresStore
  let queue: StepQueue
  let warehouse: PostgresWarehouse
  before(async () => {
    ;[storeDatabase, warehouseDatabase] = await Promise.all([createDatabase(), createDatabase()])
    store = await PostgresStore.open(postgres({ url: storeDatabase.url, poolSize: 6 }))
    await store.migrate()
    queue = store.stepQueue()
    await queue.prepare()
    warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: warehouseDatabase.url }))
  })
  after(async () => {
    await warehouse.close()
    await store.close()
    await Promise.all([storeDatabase.drop(), warehouseDatabase.drop()])
  })

  const waiting = async (runId: string, assetKey: string) => {
    await store.createRun({ id: runId, selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey, partition: null }] })
    await queue.enqueueStep({ runId, assetKey, partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job(runId, assetKey))
  }
  const claim = async (runId: string, assetKey: string, worker: string) => {
    const claimed = await queue.claimStep(job(runId, assetKey), worker, null, new Date())
    assert.ok(claimed.claimed)
    return claimed.fence
  }
  const status = async (runId: string, assetKey: string) => (await store.listSteps(runId)).find((s) => s.assetKey === assetKey)!.status
  // Bounded: until some statement of the store's database waits on a lock (a claim behind the hold).
  const lockWaited = () => poll('a statement to wait on a row lock', async () =>
    (await query(storeDatabase.url, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length > 0 || undefined, 10_000, 5)
  // Only what a fenced publish and completion use.
  const depsOf = () => ({ store, warehouse }) as unknown as EngineDeps

  test("in the window (claimed again in the store, the warehouse fence not raised yet) the old attempt's publish is refused and publishes nothing; the new one publishes and records through its hold", async () => {
    await waiting('r1', 'raw/orders')
    const target = { schema: 'raw', name: 'orders' }
    const oldFence = await claim('r1', 'raw/orders', 'w1')
    const newFence = await claim('r1', 'raw/orders', 'w2')
    assert.ok(newFence > oldFence)
    // The zombie (w1): nothing above its fence in the warehouse, yet the store refuses it.
    const zombie = fencedDeps(depsOf(), queue, oldFence)
    const zombieSession = await zombie.deps.warehouse.session()
    const zombieStaging = zombie.deps.warehouse.stagingRelation(target, 'r1', null)
    await zombieSession.createFromRows(zombieStaging, [{ v: 'zombie' }])
    await assert.rejects(zombieSession.publish(zombieStaging, target, { assetKey: 'raw/orders', partition: null, runId: 'r1', dataVersion: 'zombie', rowCount: 1 }),
      isStale(new RegExp(`with fence ${oldFence} is no longer the step's \\(its fence is now ${newFence}\\)`)))
    assert.deepEqual(await zombieSession.query(`select count(*)::int as n from information_schema.tables where table_schema = 'raw' and table_name = 'orders'`), [{ n: 0 }])
    assert.deepEqual(await warehouse.publications('r1'), [])
    await zombie.release()
    await zombieSession.close()
    // The step's attempt (w2) publishes, then records a completion with checks through its hold.
    const current = fencedDeps(depsOf(), queue, newFence)
    const session = await current.deps.warehouse.session()
    const staging = current.deps.warehouse.stagingRelation(target, 'r1', null)
    await session.createFromRows(staging, [{ v: 'current' }])
    await session.publish(staging, target, { assetKey: 'raw/orders', partition: null, runId: 'r1', dataVersion: 'current', rowCount: 1 })
    assert.deepEqual(await session.query('select v from raw.orders'), [{ v: 'current' }])
    const completion = succeeded('r1', 'raw/orders', 'current')
    const checks = [{ assetKey: 'raw/orders', partition: null, runId: 'r1', checkName: 'rows', checkType: 'row_count', severity: 'error', blocking: true, passed: true, failingRows: null, sample: [], message: null, createdAt: new Date() }]
    const record = await current.deps.store.completeStep({ ...completion, checks } as StepCompletion)
    await current.release()
    await session.close()
    assert.equal(await status('r1', 'raw/orders'), 'succeeded')
    const [materialization] = await store.listMaterializations('raw/orders')
    assert.equal(materialization?.id, record?.id)
    assert.equal(materialization?.dataVersion, 'current')
    const [claimRow] = await query<{ outcome: string }>(storeDatabase.url, `SELECT outcome FROM step_claims WHERE run_id = 'r1'`)
    assert.equal((JSON.parse(claimRow!.outcome) as { status: string }).status, 'succeeded')
    assert.deepEqual((await store.listEvents({ runId: 'r1' })).map((e) => e.type), ['run_started', 'step_waiting', 'step_running', 'step_running', 'materialization', 'check_evaluated', 'step_succeeded'])
  })

  test('a hold blocks a claim of its step until its completion commits; the claim then finds the step ended', async () => {
    await waiting('r2', 'b')
    const fence = await claim('r2', 'b', 'w1')
    const hold = await queue.holdFence({ runId: 'r2', assetKey: 'b', partition: null }, fence)
    let settled = false
    const reclaim = queue.claimStep(job('r2', 'b'), 'w2', null, new Date()).finally(() => {
      settled = true
    })
    await lockWaited()
    assert.equal(settled, false)
    const record = await hold.complete(succeeded('r2', 'b', 'd2'))
    assert.deepEqual(await reclaim, { claimed: false, why: 'ended' })
    assert.equal(await status('r2', 'b'), 'succeeded')
    assert.equal((await store.listMaterializations('b'))[0]?.id, record?.id)
    assert.deepEqual((await store.listEvents({ runId: 'r2' })).map((e) => e.type), ['run_started', 'step_waiting', 'step_running', 'materialization', 'step_succeeded'])
    // Ended already: a release after the completion does nothing.
    await hold.release()
  })

  test('a hold released without completing lets the claim through; the old fence then records nothing', async () => {
    await waiting('r3', 'c')
    const fence = await claim('r3', 'c', 'w1')
    const hold = await queue.holdFence({ runId: 'r3', assetKey: 'c', partition: null }, fence)
    const reclaim = queue.claimStep(job('r3', 'c'), 'w2', null, new Date())
    await lockWaited()
    await hold.release()
    await hold.release()
    const reclaimed = await reclaim
    assert.ok(reclaimed.claimed && reclaimed.fence > fence)
    await assert.rejects(hold.complete(succeeded('r3', 'c', 'd3')), /already ended/)
    await assert.rejects(queue.holdFence({ runId: 'r3', assetKey: 'c', partition: null }, fence), isStale())
    await assert.rejects(queue.completeFenced(succeeded('r3', 'c', 'd3'), fence), isStale())
    assert.equal(await status('r3', 'c'), 'running')
    assert.deepEqual(await store.listMaterializations('c'), [])
    // No connection is left in a transaction by the holds.
    assert.deepEqual(await query(storeDatabase.url, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`), [])
  })

  test('a hold idle past its idleTimeoutMs (a worker stalled while holding) is ended by the server: the claim goes ahead, the old completion is refused, nothing crashes', async () => {
    await waiting('r4', 'd')
    const fence = await claim('r4', 'd', 'w1')
    const hold = await queue.holdFence({ runId: 'r4', assetKey: 'd', partition: null }, fence, { idleTimeoutMs: 50 })
    // Resolves once the server ended the idle hold's session (its own timer), whenever that is.
    const reclaimed = await queue.claimStep(job('r4', 'd'), 'w2', null, new Date())
    assert.ok(reclaimed.claimed && reclaimed.fence > fence)
    await assert.rejects(hold.complete(succeeded('r4', 'd', 'd4')))
    await hold.release()
    assert.equal(await status('r4', 'd'), 'running')
    assert.deepEqual(await store.listMaterializations('d'), [])
    // The pool replaced the ended connection: the new attempt completes.
    await queue.completeFenced(succeeded('r4', 'd', 'd4'), reclaimed.fence)
    assert.equal(await status('r4', 'd'), 'succeeded')
  })
})
