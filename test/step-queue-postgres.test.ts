// The PostgreSQL step queue's writes, without worker processes: a claim, an end and an enqueue
// each go out in one round trip, so what they refuse must roll back in SQL. Real PostgreSQL.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import pg from 'pg'
import { PostgresStore } from '../src/store/postgres/postgres-store.js'
import { postgres } from '../src/store/store-config.js'
import type { AttemptEnd, StepJob, StepQueue } from '../src/store/step-queue.js'
import type { Store } from '../src/store/store.js'
import { ManualClock } from '../src/engine/clock.js'
import { InProcessExecutor } from '../src/execution/in-process-executor.js'
import { QueueExecutor } from '../src/execution/queue/queue-executor.js'
import { query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { stepQueueSuite } from './helpers/step-queue-suite.js'
import { ATTEMPT_ENDS } from '../src/store/postgres/step-queue-statements.js'

const job = (runId: string, assetKey: string, attempt: number): StepJob => ({
  runId, assetKey, partition: null, attempt, codeVersion: 'v1', pool: null, inputs: { values: {}, versions: {} },
})

describe('postgres step queue', () => {
  const suite = stepQueueSuite()

  const waiting = (runId: string, assetKey: string, attempt: number) => suite.queue.enqueueStep({ runId, assetKey, partition: null, status: 'waiting', attempt, at: new Date(), reason: 'queued for a worker' }, job(runId, assetKey, attempt))
  const status = async (runId: string, assetKey: string) => (await suite.store.listSteps(runId)).find((s) => s.assetKey === assetKey)!.status
  const eventTypes = async (runId: string) => (await suite.store.listEvents({ runId })).map((e) => `${e.type}${e.assetKey ? ` ${e.assetKey}` : ''}`)

  test('a claim of a superseded or ended attempt is refused and leaves no running record; a current one gets a fence', async () => {
    await suite.store.createRun({ id: 'r1', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'a', partition: null }] })
    await waiting('r1', 'a', 2)
    assert.deepEqual(await suite.queue.claimStep(job('r1', 'a', 1), 'w1', null, new Date()), { claimed: false, why: 'superseded' })
    assert.equal(await status('r1', 'a'), 'waiting')
    const claim = await suite.queue.claimStep(job('r1', 'a', 2), 'w1', null, new Date())
    assert.ok(claim.claimed && claim.fence > 0)
    assert.equal(await status('r1', 'a'), 'running')
    await suite.queue.completeFenced({ step: { runId: 'r1', assetKey: 'a', partition: null, status: 'succeeded', attempt: 2, at: new Date(), durationMs: 1, error: null, reason: null } }, claim.fence)
    assert.deepEqual(await suite.queue.claimStep(job('r1', 'a', 2), 'w2', null, new Date()), { claimed: false, why: 'ended' })
    assert.equal(await status('r1', 'a'), 'succeeded')
    assert.deepEqual(await eventTypes('r1'), ['run_started', 'step_waiting a', 'step_running a', 'step_succeeded a'])
  })

  test('claims sent at once (sharing a transaction) with one refused: the others are claimed, the refused one records nothing', async () => {
    const keys = ['b0', 'b1', 'b2', 'b3']
    await suite.store.createRun({ id: 'r2', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: keys.map((assetKey) => ({ assetKey, partition: null })) })
    await Promise.all(keys.map((key) => waiting('r2', key, 1)))
    const claims = await Promise.all(keys.map((key, i) => suite.queue.claimStep(job('r2', key, i === 2 ? 7 : 1), 'w1', null, new Date())))
    assert.deepEqual(claims.map((c) => c.claimed), [true, true, false, true])
    assert.deepEqual(await Promise.all(keys.map((key) => status('r2', key))), ['running', 'running', 'waiting', 'running'])
    assert.equal((await eventTypes('r2')).filter((t) => t === 'step_running b2').length, 0)
  })

  test('a claim racing a writer that ends the step (recovery settling a dead run) waits for it and is refused: the end stays', async () => {
    await suite.store.createRun({ id: 'r9', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'z', partition: null }] })
    await waiting('r9', 'z', 1)
    const other = new pg.Client({ connectionString: suite.url })
    await other.connect()
    try {
      await other.query('BEGIN')
      await other.query(`UPDATE steps SET status = 'failed' WHERE run_id = 'r9' AND asset_key = 'z'`)
      const claim = suite.queue.claimStep(job('r9', 'z', 1), 'w1', null, new Date())
      // Commit only once the claim waits on the step's row lock (seen in pg_stat_activity), bounded.
      const deadline = Date.now() + 10_000
      while ((await query(suite.url, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length === 0) {
        assert.ok(Date.now() < deadline, 'the claim never waited on the row lock')
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      await other.query('COMMIT')
      assert.deepEqual(await claim, { claimed: false, why: 'ended' })
      assert.equal(await status('r9', 'z'), 'failed')
    } finally {
      await other.end()
    }
  })

  test('an end under a stale fence is refused (TRB7003) and records nothing; the current end reaches a watcher with the notification', async () => {
    await suite.store.createRun({ id: 'r3', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'c', partition: null }] })
    await waiting('r3', 'c', 1)
    const first = await suite.queue.claimStep(job('r3', 'c', 1), 'w1', null, new Date())
    const second = await suite.queue.claimStep(job('r3', 'c', 1), 'w2', null, new Date())
    assert.ok(first.claimed && second.claimed && second.fence > first.fence)
    let resolveEnd!: (end: AttemptEnd | undefined) => void
    const ended = new Promise<AttemptEnd | undefined>((resolve) => (resolveEnd = resolve))
    // Resolves once the LISTEN is in place: the end below cannot slip by before it.
    const stopWatching = await suite.queue.watchEnds!((end) => resolveEnd(end))
    const completion = { step: { runId: 'r3', assetKey: 'c', partition: null, status: 'succeeded' as const, attempt: 1, at: new Date(), durationMs: 1, error: null, reason: null }, materialization: { assetKey: 'c', partition: null, runId: 'r3', codeVersion: 'v1', dataVersion: 'd', inputVersions: {}, rowCount: 1, columns: null, durationMs: 1, createdAt: new Date() } }
    await assert.rejects(suite.queue.completeFenced(completion, first.fence), /TRB7003/)
    assert.equal((await suite.store.listMaterializations('c')).length, 0)
    assert.equal(await status('r3', 'c'), 'running')
    const record = await suite.queue.completeFenced(completion, second.fence)
    const end = await ended
    assert.deepEqual(end && { runId: end.runId, assetKey: end.assetKey, attempt: end.attempt, status: end.status }, { runId: 'r3', assetKey: 'c', attempt: 1, status: 'succeeded' })
    const [published] = await suite.store.listMaterializations('c')
    assert.equal(published?.id, record?.id)
    const events = await suite.store.listEvents({ runId: 'r3' })
    assert.deepEqual(events.map((e) => e.type), ['run_started', 'step_waiting', 'step_running', 'step_running', 'materialization', 'step_succeeded'])
    assert.equal(events[4]!.payload.id, record?.id)
    const [claimRow] = await query<{ outcome: string }>(suite.url, `SELECT outcome FROM step_claims WHERE run_id = 'r3'`)
    assert.equal((JSON.parse(claimRow!.outcome) as { status: string }).status, 'succeeded')
    stopWatching()
  })

  test('completions sent at once (sharing a transaction), one under a stale fence: the others record their materialization, events in order, end and lease release; the stale one records nothing', async () => {
    const keys = ['d0', 'd1', 'd2', 'd3']
    await suite.store.createRun({ id: 'r4', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: keys.map((assetKey) => ({ assetKey, partition: null })) })
    await Promise.all(keys.map((key) => suite.store.acquireLease(key, null, 'r4', 60_000, new Date())))
    await Promise.all(keys.map((key) => waiting('r4', key, 1)))
    const claims = await Promise.all(keys.map((key) => suite.queue.claimStep(job('r4', key, 1), 'w1', null, new Date())))
    const fences = claims.map((c) => (c.claimed ? c.fence : Number.NaN))
    // d2's attempt was taken over by another worker: its first fence is stale.
    const retaken = await suite.queue.claimStep(job('r4', 'd2', 1), 'w2', null, new Date())
    assert.ok(retaken.claimed)
    const completion = (assetKey: string) => ({
      step: { runId: 'r4', assetKey, partition: null, status: 'succeeded' as const, attempt: 1, at: new Date(), durationMs: 1, error: null, reason: null },
      materialization: { assetKey, partition: null, runId: 'r4', codeVersion: 'v1', dataVersion: `d-${assetKey}`, inputVersions: {}, rowCount: 3, columns: null, durationMs: 1, createdAt: new Date() },
    })
    // Issued in one tick: the first goes alone, the rest share the next transaction.
    const results = await Promise.allSettled(keys.map((key, i) => suite.queue.completeFenced(completion(key), fences[i]!)))
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    assert.match(String((results[2] as PromiseRejectedResult).reason), /TRB7003/)
    assert.deepEqual(await Promise.all(keys.map((key) => status('r4', key))), ['succeeded', 'succeeded', 'running', 'succeeded'])
    assert.deepEqual(await Promise.all(keys.map(async (key) => (await suite.store.listMaterializations(key)).length)), [1, 1, 0, 1])
    const states = await suite.store.assetStates(keys)
    assert.deepEqual(states.map((s) => [s.assetKey, s.lastMaterialization?.dataVersion ?? null, s.lastStep?.status ?? null]), [['d0', 'd-d0', 'succeeded'], ['d1', 'd-d1', 'succeeded'], ['d2', null, 'running'], ['d3', 'd-d3', 'succeeded']])
    const events = await suite.store.listEvents({ runId: 'r4' })
    for (const key of ['d0', 'd1', 'd3']) {
      const mine = events.filter((e) => e.assetKey === key).map((e) => e.type)
      assert.deepEqual(mine, ['step_waiting', 'step_running', 'materialization', 'step_succeeded'], key)
    }
    assert.deepEqual(events.filter((e) => e.assetKey === 'd2').map((e) => e.type), ['step_waiting', 'step_running', 'step_running'])
    const ends = await query<{ asset_key: string; ended_seq: string | null }>(suite.url, `SELECT asset_key, ended_seq FROM step_claims WHERE run_id = 'r4' ORDER BY asset_key`)
    assert.deepEqual(ends.map((e) => [e.asset_key, e.ended_seq !== null]), [['d0', true], ['d1', true], ['d2', false], ['d3', true]])
    const leases = await query<{ asset_key: string }>(suite.url, `SELECT asset_key FROM leases WHERE holder = 'r4' ORDER BY asset_key`)
    assert.deepEqual(leases.map((l) => l.asset_key), ['d2'])
  })

  test("an enqueue with the step's lease: enqueued when the lease is free, nothing but the lease when the caller's read is stale, nothing at all when another run holds it", async () => {
    await suite.store.createRun({ id: 'r5', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'e', partition: null }, { assetKey: 'f', partition: null }, { assetKey: 'g', partition: null }] })
    const enqueue = (assetKey: string, lease: { lastMaterializationId?: number | null }) => suite.queue.enqueueStep(
      { runId: 'r5', assetKey, partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job('r5', assetKey, 1),
      { ttlMs: 60_000, now: new Date(), holder: 'r5', ...lease },
    )
    assert.deepEqual(await enqueue('e', { lastMaterializationId: null }), { acquired: true, holder: 'r5', stale: false })
    assert.equal(await status('r5', 'e'), 'waiting')
    // f was published since the caller read "no materialization": stale, not enqueued, the lease kept.
    await suite.store.completeStep({ step: { runId: 'r5', assetKey: 'f', partition: null, status: 'succeeded', attempt: 1, at: new Date(), durationMs: 1 }, materialization: { assetKey: 'f', partition: null, runId: 'other', codeVersion: 'v1', dataVersion: 'd', inputVersions: {}, rowCount: 1, columns: null, durationMs: 1, createdAt: new Date() } })
    await suite.store.updateStep({ runId: 'r5', assetKey: 'f', partition: null, status: 'queued', at: new Date() })
    assert.deepEqual(await enqueue('f', { lastMaterializationId: null }), { acquired: true, holder: 'r5', stale: true })
    assert.equal(await status('r5', 'f'), 'queued')
    await suite.store.acquireLease('g', null, 'another-run', 60_000, new Date())
    assert.deepEqual(await enqueue('g', {}), { acquired: false, holder: 'another-run', stale: false })
    assert.equal(await status('r5', 'g'), 'queued')
    const leases = await query<{ asset_key: string; holder: string }>(suite.url, `SELECT asset_key, holder FROM leases WHERE asset_key IN ('e', 'f', 'g') ORDER BY asset_key`)
    assert.deepEqual(leases.map((l) => [l.asset_key, l.holder]), [['e', 'r5'], ['f', 'r5'], ['g', 'another-run']])
    const claims = await query<{ asset_key: string; attempt: number; fence: string }>(suite.url, `SELECT asset_key, attempt, fence FROM step_claims WHERE run_id = 'r5' ORDER BY asset_key`)
    assert.deepEqual(claims.map((c) => [c.asset_key, c.attempt, Number(c.fence)]), [['e', 1, 0]])
    const jobs = await query<{ key: string }>(suite.url, `SELECT key FROM graphile_worker._private_jobs WHERE key LIKE '["r5",%' ORDER BY key`)
    assert.deepEqual(jobs.map((j) => JSON.parse(j.key)[1]), ['e'])
    assert.deepEqual((await suite.store.listEvents({ runId: 'r5' })).filter((e) => e.type === 'step_waiting').map((e) => e.assetKey), ['e'])
  })

  test('an enqueue is planned once per connection (a generic plan, for its transaction only); the store\'s other statements as PostgreSQL chooses', async () => {
    // One connection, so the prepared statements seen are the ones the enqueues and the read used.
    const single = await PostgresStore.open(postgres({ url: suite.url, poolSize: 1 }))
    try {
      const steps = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']
      await single.createRun({ id: 'r-plans', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: steps.map((assetKey) => ({ assetKey, partition: null })) })
      const singleQueue = single.stepQueue()
      for (const key of steps) await singleQueue.enqueueStep({ runId: 'r-plans', assetKey: key, partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job('r-plans', key, 1))
      for (let i = 0; i < steps.length; i++) await single.listSteps('r-plans')
      const pool = (single as unknown as { pool: pg.Pool }).pool
      const { rows } = await pool.query<{ name: string; generic_plans: string; custom_plans: string; setting: string }>(
        `SELECT name, generic_plans, custom_plans, current_setting('plan_cache_mode') AS setting FROM pg_prepared_statements WHERE name IN ('trb_enqueue_step', 'trb_list_steps') ORDER BY name`)
      const plans = Object.fromEntries(rows.map((r) => [r.name, { generic: Number(r.generic_plans), custom: Number(r.custom_plans) }]))
      assert.deepEqual(plans.trb_enqueue_step, { generic: steps.length, custom: 0 })
      // Outside the enqueue's transaction the setting is PostgreSQL's own: the first runs of a statement get plans for their values.
      assert.ok(plans.trb_list_steps!.custom > 0, JSON.stringify(plans))
      assert.equal(rows[0]!.setting, 'auto')
    } finally {
      await single.close()
    }
  })

  test('enqueues sharing a transaction add their jobs in one call at its end (one notification for all): each with its payload, key and pool flag; none for an enqueue its gate refused', async () => {
    const keys = ['b0', 'b1', 'b2', 'b3', 'b4']
    await suite.store.createRun({ id: 'rb', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: keys.map((assetKey) => ({ assetKey, partition: null })) })
    await suite.store.acquireLease('b3', null, 'another-run', 60_000, new Date())
    const listener = new pg.Client({ connectionString: suite.url })
    await listener.connect()
    const told: number[] = []
    listener.on('notification', (n) => told.push((JSON.parse(n.payload!) as { count: number }).count))
    await listener.query('LISTEN "jobs:insert"')
    try {
      const pooled = (key: string): StepJob => ({ ...job('rb', key, 1), pool: key === 'b2' ? 'db' : null })
      // Asked at once: the first goes alone (its own add), the other four share the next transaction.
      const results = await Promise.all(keys.map((key) => suite.queue.enqueueStep({ runId: 'rb', assetKey: key, partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' },
        pooled(key), { ttlMs: 60_000, now: new Date(), holder: 'rb' })))
      assert.deepEqual(results.map((r) => r.acquired), [true, true, true, false, true])
      const jobs = await query<{ key: string; payload: StepJob; flags: Record<string, boolean> | null }>(suite.url, `SELECT key, payload, flags FROM graphile_worker._private_jobs WHERE key LIKE '["rb",%' ORDER BY key`)
      assert.deepEqual(jobs.map((j) => [JSON.parse(j.key)[1], j.payload, j.flags]), ['b0', 'b1', 'b2', 'b4'].map((key) => [key, pooled(key), key === 'b2' ? { 'pool:db': true } : null]))
      assert.deepEqual(await Promise.all(keys.map((key) => status('rb', key))), ['waiting', 'waiting', 'waiting', 'queued', 'waiting'])
      await listener.query('SELECT 1')
      assert.deepEqual(told, [1, 3], 'one add for the lone enqueue, one for the three of the shared transaction')
    } finally {
      await listener.end()
    }
  })

  test("a job add_jobs skips in a shared transaction (its key's old job locked by a fetch meanwhile) fails the batch, and the enqueue, run again alone, adds its own job; of two attempts of a step in one batch, the later's job is added", async () => {
    const keys = ['l0', 'l1', 'l2']
    await suite.store.createRun({ id: 'rl', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: keys.map((assetKey) => ({ assetKey, partition: null })) })
    const enqueue = (key: string, attempt: number) => suite.queue.enqueueStep({ runId: 'rl', assetKey: key, partition: null, status: 'waiting', attempt, at: new Date(), reason: 'queued for a worker' }, job('rl', key, attempt))
    await enqueue('l0', 1)
    const jobKey = JSON.stringify(['rl', 'l0', ''])
    // A worker's fetch of l0's first job, not committed yet: it holds the job's row.
    const fetch = new pg.Client({ connectionString: suite.url })
    await fetch.connect()
    try {
      await fetch.query('BEGIN')
      await fetch.query(`UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'w1' WHERE key = $1`, [jobKey])
      // The first enqueue goes alone; l0's second attempt and l2 share the next transaction, whose add waits for the fetch.
      const enqueues = Promise.all([enqueue('l1', 1), enqueue('l0', 2), enqueue('l2', 1)])
      await poll('the shared add waits for the fetch', async () => (await query(suite.url, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%add_jobs%'`))[0])
      await fetch.query('COMMIT')
      assert.deepEqual((await enqueues).map((r) => r.acquired), [true, true, true])
    } finally {
      await fetch.end()
    }
    const jobs = await query<{ key: string | null; attempt: number; locked: boolean }>(suite.url, `SELECT key, (payload ->> 'attempt')::int AS attempt, locked_at IS NOT NULL AS locked FROM graphile_worker._private_jobs WHERE payload ->> 'runId' = 'rl' AND payload ->> 'assetKey' = 'l0' ORDER BY id`)
    assert.deepEqual(jobs, [{ key: null, attempt: 1, locked: true }, { key: jobKey, attempt: 2, locked: false }], 'the second attempt has a job of its own, free for any worker')
    assert.equal((await suite.store.listSteps('rl')).find((step) => step.assetKey === 'l0')?.attempt, 2)
    // Two attempts of one step in one shared transaction: the job is the later one's, as the step's record.
    await Promise.all([enqueue('l1', 2), enqueue('l2', 2), enqueue('l2', 3)])
    const l2 = await query<{ attempt: number }>(suite.url, `SELECT (payload ->> 'attempt')::int AS attempt FROM graphile_worker._private_jobs WHERE key = $1`, [JSON.stringify(['rl', 'l2', ''])])
    assert.deepEqual(l2, [{ attempt: 3 }])
    assert.equal((await suite.store.listSteps('rl')).find((step) => step.assetKey === 'l2')?.attempt, 3)
  })

  test("a fleet worker's store plans every statement once per connection (generic plans); a control plane's as PostgreSQL chooses", async () => {
    for (const genericPlans of [true, false]) {
      const single = await PostgresStore.open(postgres({ url: suite.url, poolSize: 1 }), { genericPlans })
      try {
        await single.createRun({ id: `r-worker-plans-${genericPlans}`, selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'w0', partition: null }] })
        for (let i = 0; i < 7; i++) await single.listSteps(`r-worker-plans-${genericPlans}`)
        const pool = (single as unknown as { pool: pg.Pool }).pool
        const [row] = (await pool.query<{ generic_plans: string; custom_plans: string }>(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'trb_list_steps'`)).rows
        if (genericPlans) assert.deepEqual([Number(row!.generic_plans), Number(row!.custom_plans)], [7, 0])
        else assert.ok(Number(row!.custom_plans) > 0, JSON.stringify(row))
      } finally {
        await single.close()
      }
    }
  })

  test("an end no notification brings is read by the control plane's fallback poll, paced by its clock", async () => {
    const clock = new ManualClock()
    // No LISTEN at all (a lost notification, a reconnect): only the poll can find the end.
    const silentQueue = Object.assign(Object.create(suite.queue) as StepQueue, { watchEnds: undefined })
    const silentStore = Object.assign(Object.create(suite.store) as Store, { watchEvents: undefined })
    const executor = new QueueExecutor(silentQueue, silentStore, new InProcessExecutor(), clock)
    try {
      await suite.store.createRun({ id: 'r10', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'q', partition: null }] })
      let settled = false
      const outcome = executor.runAttempt({ ...job('r10', 'q', 1) }, new AbortController().signal).finally(() => (settled = true))
      const deadline = Date.now() + 10_000
      while ((await suite.store.listSteps('r10'))[0]?.status !== 'waiting') {
        assert.ok(Date.now() < deadline, 'the attempt was never enqueued')
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const claim = await suite.queue.claimStep(job('r10', 'q', 1), 'w1', null, new Date())
      assert.ok(claim.claimed)
      assert.equal(await suite.queue.endAttempt({ status: 'failed', error: { code: 'TRB0000', message: 'boom' }, retryable: false, reason: null, durationMs: null }, { runId: 'r10', assetKey: 'q', partition: null }, claim.fence), true)
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
      assert.equal(settled, false, 'the end was read before the clock moved')
      clock.advance(1_000)
      const result = await outcome
      assert.equal(result.status, 'failed')
      assert.match(result.status === 'failed' ? result.error.message : '', /boom/)
    } finally {
      await executor.close()
    }
  })

  test("a worker's heartbeat lists a step waiting for a place in its pool as waiting, the running one without a pool", async () => {
    const since = new Date('2026-03-01T00:00:00.000Z')
    await suite.queue.workerHeartbeat({
      id: 'w-pools', host: 'h', pid: 42, version: '0.1.0+abc', concurrency: 2, pools: { warehouse: 1 }, startedAt: since, queueSlots: [],
      currentSteps: [
        { runId: 'r9', assetKey: 'p/running', partition: null, attempt: 1, since },
        { runId: 'r9', assetKey: 'p/waiting', partition: '2026-03-01', attempt: 1, since, waitingForPool: 'warehouse' },
      ],
    }, [])
    const worker = (await suite.queue.listWorkers()).find((w) => w.id === 'w-pools')!
    assert.deepEqual(worker.currentSteps, [
      { runId: 'r9', assetKey: 'p/running', partition: null, attempt: 1, since },
      { runId: 'r9', assetKey: 'p/waiting', partition: '2026-03-01', attempt: 1, since, waitingForPool: 'warehouse' },
    ])
  })

  test('waking the workers (jobs a local queue gave back, or a lost worker\'s) notifies jobs:insert with a count of at least 1, which graphile-worker 0.17 acts on', async () => {
    const listener = new pg.Client({ connectionString: suite.url })
    await listener.connect()
    try {
      const payloads: unknown[] = []
      const two = new Promise<void>((resolve) => listener.on('notification', (message) => {
        if (message.channel === 'jobs:insert' && payloads.push(JSON.parse(message.payload!)) === 2) resolve()
      }))
      await listener.query('LISTEN "jobs:insert"')
      await suite.queue.wakeWorkers(3)
      await suite.queue.wakeWorkers(0)
      await two
      assert.deepEqual(payloads, [{ count: 3 }, { count: 1 }])
    } finally {
      await listener.end()
    }
  })

  test('a batch of ends finds its claims among the open ones (an index), not by reading every claim the table holds: the workers\' generic plan on a table a few runs old', async () => {
    // As the fleet leaves it: claims of runs gone by, ended, and a few running; statistics fresh.
    await query(suite.url, `INSERT INTO step_claims (run_id, asset_key, partition, attempt, fence, outcome, ended_seq)
      SELECT 'old-' || (i / 500), 'k' || i, '', 1, i, '{"status":"succeeded"}', i FROM generate_series(1, 1600) AS i`)
    await query(suite.url, `INSERT INTO step_claims (run_id, asset_key, partition, attempt, fence) SELECT 'now', 'k' || i, '', 1, 5000 + i FROM generate_series(1, 16) AS i`)
    await query(suite.url, 'ANALYZE step_claims')
    const { text, values } = ATTEMPT_ENDS.bind({ runIds: ['now'], assetKeys: ['k1'], partitions: [''], fences: [5001], outcomes: ['{"status":"succeeded"}'] })
    const client = new pg.Client({ connectionString: suite.url })
    await client.connect()
    try {
      await client.query(`SET plan_cache_mode = force_generic_plan`)
      await client.query(`PREPARE ends AS ${text}`)
      // EXECUTE takes no bound parameters: the arrays as literals (a generic plan does not look at them).
      const args = (values as unknown[][]).map((array) => client.escapeLiteral(`{${array.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`))
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ends(${args.join(', ')})`)).rows.map((r) => r['QUERY PLAN']).join('\n')
      assert.doesNotMatch(plan, /Seq Scan on step_claims/, plan)
      assert.match(plan, /step_claims_open/, plan)
    } finally {
      await client.end()
    }
  })
})
