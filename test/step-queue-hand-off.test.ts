// A worker's hand-off (HandOff): the completion of a step enqueues the downstream step the control
// plane offered, in the same statement, only when nothing stands in the way; the control plane
// adopts the step from the end that names it. Real PostgreSQL, no worker processes.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { HandOff, KeepHandOff, StepJob, StepQueue } from '../src/store/step-queue.js'
import type { StepCompletion } from '../src/store/store.js'
import { ManualClock } from '../src/engine/clock.js'
import { InProcessExecutor } from '../src/execution/in-process-executor.js'
import { QueueExecutor } from '../src/execution/queue/queue-executor.js'
import { query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { stepQueueSuite } from './helpers/step-queue-suite.js'

const job = (runId: string, assetKey: string): StepJob => ({ runId, assetKey, partition: null, attempt: 1, codeVersion: 'v1', pool: null, format: 3 })
const offer = (assetKey: string, extra: Partial<HandOff> = {}): HandOff => ({ assetKey, partition: null, codeVersion: 'v1', pool: null, whenChanged: false, ...extra })

describe('hand-off of a downstream step by the worker completing its upstream', () => {
  const suite = stepQueueSuite()

  // A run of `keys`, its first step enqueued with the run's lease and claimed: its fence.
  const started = async (runId: string, keys: readonly string[]): Promise<number> => {
    await suite.store.createRun({ id: runId, selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: keys.map((assetKey) => ({ assetKey, partition: null })) })
    return claimed(runId, keys[0]!)
  }
  const claimed = async (runId: string, assetKey: string, enqueue = true): Promise<number> => {
    if (enqueue) {
      await suite.queue.enqueueStep({ runId, assetKey, partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job(runId, assetKey), { ttlMs: 60_000, now: new Date(), holder: runId })
    }
    const claim = await suite.queue.claimStep(job(runId, assetKey), 'w1', null, new Date())
    assert.ok(claim.claimed, `${assetKey} was not claimed`)
    return claim.fence
  }
  const succeeded = (runId: string, assetKey: string, dataVersion: string, inputVersions: Record<string, string> = {}): StepCompletion => ({
    step: { runId, assetKey, partition: null, status: 'succeeded', attempt: 1, at: new Date(), durationMs: 1, error: null, reason: null },
    materialization: { assetKey, partition: null, runId, codeVersion: 'v1', dataVersion, inputVersions, rowCount: 1, columns: null, durationMs: 1, createdAt: new Date() },
  })
  const statusOf = async (runId: string, assetKey: string) => (await suite.store.listSteps(runId)).find((s) => s.assetKey === assetKey)!.status
  const endOf = async (runId: string, assetKey: string) => (await suite.queue.attemptEnds(runId, 0)).ends.find((e) => e.assetKey === assetKey)
  // The jobs of a run's step (the queue's own table: no worker takes them here).
  const jobsOf = async (runId: string, assetKey: string) => (await query<{ payload: StepJob }>(suite.url,
    `SELECT payload FROM graphile_worker._private_jobs WHERE key = $1 ORDER BY id`, [JSON.stringify([runId, assetKey, ''])])).map((j) => j.payload)

  // The control plane's executor on the suite's queue (its LISTEN connection shared with a test's
  // own watchers), paced by a ManualClock, its reads of ends counted.
  const countingExecutor = () => {
    const clock = new ManualClock()
    let count = 0
    const counting = Object.assign(Object.create(suite.queue) as StepQueue, {
      watchEnds: suite.queue.watchEnds!.bind(suite.queue),
      attemptEnds: (runId: string, afterSeq: number) => (count++, suite.queue.attemptEnds(runId, afterSeq)),
    })
    return { clock, executor: new QueueExecutor(counting, suite.store, new InProcessExecutor(), clock), reads: () => count }
  }

  test("the completion enqueues the offered step in its statement: waiting, its job (with the offers after it), the run's lease at the upstream's expiry, named in the end, its event after the upstream's", async () => {
    const fence = await started('h1', ['a', 'b', 'c'])
    const [{ expires_at: expiry }] = await query<{ expires_at: string }>(suite.url, `SELECT expires_at FROM leases WHERE asset_key = 'a' AND holder = 'h1'`) as [{ expires_at: string }]
    await suite.queue.completeFenced(succeeded('h1', 'a', 'va'), fence, offer('b', { next: offer('c') }))
    assert.equal(await statusOf('h1', 'b'), 'waiting')
    assert.deepEqual((await endOf('h1', 'a'))?.handedOff, { assetKey: 'b', partition: null })
    const leases = await query<{ asset_key: string; expires_at: string }>(suite.url, `SELECT asset_key, expires_at FROM leases WHERE holder = 'h1' ORDER BY asset_key`)
    assert.deepEqual(leases.map((l) => [l.asset_key, l.expires_at]), [['b', expiry]])
    const [handed] = await jobsOf('h1', 'b')
    assert.deepEqual({ ...handed, next: handed?.next }, { runId: 'h1', assetKey: 'b', partition: null, attempt: 1, codeVersion: 'v1', pool: null, format: 3, next: offer('c') })
    const events = (await suite.store.listEvents({ runId: 'h1' })).map((e) => `${e.type} ${e.assetKey ?? ''}`.trim())
    assert.deepEqual(events.slice(-3), ['materialization a', 'step_succeeded a', 'step_waiting b'])
    // The handed-off job is claimed and completed as any other, handing off the next in turn.
    const next = await claimed('h1', 'b', false)
    await suite.queue.completeFenced(succeeded('h1', 'b', 'vb', { a: 'va' }), next, handed!.next)
    assert.equal(await statusOf('h1', 'c'), 'waiting')
    assert.deepEqual((await endOf('h1', 'b'))?.handedOff, { assetKey: 'c', partition: null })
  })

  test('kept by its worker: the completion claims the handed-off step for it (running, a new fence) and adds no job; a worker silent past its lease, or alive but no longer listing it, has it enqueued, once, and loses it to the next claim; an end clears it; only a running worker keeps; a cancel ends it in the store', async () => {
    const fence = await started('kp1', ['kp1-a', 'kp1-b', 'kp1-c'])
    const heartbeat = (id: string) => suite.queue.workerHeartbeat({ id, host: 'h', pid: 1, version: 'test', concurrency: 1, pools: {}, startedAt: new Date(), queueSlots: [], currentSteps: [] }, [])
    await heartbeat('w1')
    const keep: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp1', 'kp1-a', 'va'), fence, offer('kp1-b', { next: offer('kp1-c'), pool: 'db' }), keep)
    assert.ok(keep.kept && keep.kept.fence > fence, JSON.stringify(keep.kept))
    assert.deepEqual(keep.kept.upstream, { dataVersion: 'va', rowCount: 1 })
    assert.equal(await statusOf('kp1', 'kp1-b'), 'running')
    assert.deepEqual((await endOf('kp1', 'kp1-a'))?.handedOff, { assetKey: 'kp1-b', partition: null })
    const claimOf = async (runId: string, assetKey: string) => (await query<{ fence: string; worker_id: string; job_id: string | null; outcome: string | null; kept: boolean }>(suite.url,
      `SELECT fence, worker_id, job_id, outcome, kept_job IS NOT NULL AS kept FROM step_claims WHERE run_id = $1 AND asset_key = $2`, [runId, assetKey]))[0]
    assert.deepEqual(await claimOf('kp1', 'kp1-b'), { fence: String(keep.kept.fence), worker_id: 'w1', job_id: null, outcome: null, kept: true })
    // No job while its worker lives: no other worker is woken for it, nothing is held back or removed.
    assert.deepEqual(await jobsOf('kp1', 'kp1-b'), [])
    const events = (await suite.store.listEvents({ runId: 'kp1' })).map((e) => `${e.type} ${e.assetKey ?? ''}`.trim())
    assert.deepEqual(events.slice(-4), ['materialization kp1-a', 'step_succeeded kp1-a', 'step_waiting kp1-b', 'step_running kp1-b'])
    assert.deepEqual(await suite.queue.expireWorkers(60_000), [])
    assert.deepEqual(await jobsOf('kp1', 'kp1-b'), [], 'its worker heartbeats: nothing enqueued')
    // Its worker silent for longer than the lease: the next look enqueues the step, as the control plane would have, pool flag included.
    await query(suite.url, `UPDATE workers SET heartbeat_at = heartbeat_at - 120000 WHERE id = 'w1'`)
    assert.deepEqual(await suite.queue.expireWorkers(60_000), ['w1'])
    const requeued = await query<{ payload: StepJob; flags: Record<string, boolean> | null }>(suite.url, `SELECT payload, flags FROM graphile_worker._private_jobs WHERE key = $1`, [JSON.stringify(['kp1', 'kp1-b', ''])])
    // Without the offers after it: the control plane starts those, as for any step whose end hands nothing off.
    assert.deepEqual(requeued, [{ payload: { runId: 'kp1', assetKey: 'kp1-b', partition: null, attempt: 1, codeVersion: 'v1', pool: 'db', format: 3 }, flags: { 'pool:db': true } }])
    assert.equal((await claimOf('kp1', 'kp1-b'))?.kept, false)
    // Once: the next look (by any worker) enqueues nothing more, even with the worker still silent.
    await suite.queue.expireWorkers(60_000)
    assert.equal((await jobsOf('kp1', 'kp1-b')).length, 1)
    // The worker that takes the job claims the same attempt with a higher fence; the silent one can no longer record it.
    const taken = await suite.queue.claimStep(requeued[0]!.payload, 'w2', null, new Date())
    assert.ok(taken.claimed && taken.fence > keep.kept.fence)
    await assert.rejects(suite.queue.completeFenced(succeeded('kp1', 'kp1-b', 'vb', { 'kp1-a': 'va' }), keep.kept.fence), /TRB7003/)
    // An end clears the spec: a kept step that ended is never enqueued, whoever goes silent.
    await heartbeat('w1')
    const ended = await started('kp5', ['kp5-a', 'kp5-b'])
    const kept5: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp5', 'kp5-a', 'va'), ended, offer('kp5-b'), kept5)
    assert.equal(await suite.queue.endAttempt({ status: 'failed', error: { code: 'TRB0000', message: 'boom' }, retryable: true, reason: null, durationMs: null }, { runId: 'kp5', assetKey: 'kp5-b', partition: null }, kept5.kept!.fence), true)
    assert.equal((await claimOf('kp5', 'kp5-b'))?.kept, false)
    await query(suite.url, `UPDATE workers SET heartbeat_at = heartbeat_at - 120000 WHERE id = 'w1'`)
    await suite.queue.expireWorkers(60_000)
    assert.deepEqual(await jobsOf('kp5', 'kp5-b'), [])
    // A live worker that no longer runs a step it kept (an error after the keep, or the keep's reply
    // lost): once a heartbeat a lease after the claim does not list it, it is enqueued; listed, never.
    const listing = (steps: { runId: string; assetKey: string }[]) => suite.queue.workerHeartbeat({ id: 'w1', host: 'h', pid: 1, version: 'test', concurrency: 1, pools: {}, startedAt: new Date(),
      queueSlots: [], currentSteps: steps.map((step) => ({ ...step, partition: null, attempt: 1, since: new Date() })) }, [])
    await heartbeat('w1')
    const lost = await started('kp6', ['kp6-a', 'kp6-b'])
    const kept6: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp6', 'kp6-a', 'va'), lost, offer('kp6-b'), kept6)
    assert.ok(kept6.kept)
    await query(suite.url, `UPDATE step_claims SET claimed_at = claimed_at - 120000 WHERE run_id = 'kp6' AND asset_key = 'kp6-b'`)
    await listing([{ runId: 'kp6', assetKey: 'kp6-b' }])
    await suite.queue.expireWorkers(60_000)
    assert.deepEqual(await jobsOf('kp6', 'kp6-b'), [], 'listed by its live worker: it runs there')
    await listing([])
    await suite.queue.expireWorkers(60_000)
    assert.equal((await jobsOf('kp6', 'kp6-b')).length, 1, 'no longer listed a lease after its claim: enqueued')
    // A worker the store does not know as running (never registered, or marked lost) keeps nothing,
    // and hands nothing off: the control plane starts the step.
    const unknown = await started('kp7', ['kp7-a', 'kp7-b'])
    const ghost: KeepHandOff = { workerId: 'ghost' }
    await suite.queue.completeFenced(succeeded('kp7', 'kp7-a', 'va'), unknown, offer('kp7-b'), ghost)
    assert.equal(ghost.kept, undefined)
    assert.equal(await statusOf('kp7', 'kp7-b'), 'queued')
    assert.equal((await endOf('kp7', 'kp7-a'))?.handedOff, undefined)
    // A stale fence keeps nothing: another worker took the step.
    const second = await started('kp2', ['kp2-a', 'kp2-b'])
    await query(suite.url, `UPDATE step_claims SET fence = fence + 1000 WHERE run_id = 'kp2' AND asset_key = 'kp2-a'`)
    const late: KeepHandOff = { workerId: 'w1' }
    await assert.rejects(suite.queue.completeFenced(succeeded('kp2', 'kp2-a', 'v'), second, offer('kp2-b'), late), /TRB7003/)
    assert.equal(late.kept, undefined)
    assert.equal(await statusOf('kp2', 'kp2-b'), 'queued')
    // A kept step that completes hands off (and keeps) the next in turn; its own job is dropped after.
    const third = await started('kp3', ['kp3-a', 'kp3-b', 'kp3-c'])
    const first: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp3', 'kp3-a', 'va'), third, offer('kp3-b', { next: offer('kp3-c') }), first)
    const then: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp3', 'kp3-b', 'vb', { 'kp3-a': 'va' }), first.kept!.fence, offer('kp3-c'), then)
    assert.equal(await statusOf('kp3', 'kp3-c'), 'running')
    assert.deepEqual(await jobsOf('kp3', 'kp3-b'), [])
    assert.deepEqual(await jobsOf('kp3', 'kp3-c'), [])
    // A cancel of an attempt that ended already ends nothing (its end is read as any end).
    assert.equal(await suite.queue.dequeueStep({ runId: 'kp3', assetKey: 'kp3-b', partition: null, attempt: 1 }), false)
    // A cancel of a kept attempt ends it in the store: the worker that runs it can no longer record
    // it, nor can any worker claim it again, and it is never enqueued for others.
    const fourth = await started('kp4', ['kp4-a', 'kp4-b'])
    const canceled: KeepHandOff = { workerId: 'w1' }
    await suite.queue.completeFenced(succeeded('kp4', 'kp4-a', 'va'), fourth, offer('kp4-b'), canceled)
    assert.equal(await suite.queue.dequeueStep({ runId: 'kp4', assetKey: 'kp4-b', partition: null, attempt: 1 }), true)
    assert.deepEqual(await jobsOf('kp4', 'kp4-b'), [])
    await assert.rejects(suite.queue.completeFenced(succeeded('kp4', 'kp4-b', 'vb', { 'kp4-a': 'va' }), canceled.kept!.fence), /TRB7003.*ended meanwhile \(its run was canceled\)/)
    // Its end is recorded as any end: a control plane that lost the reply reads it.
    assert.deepEqual({ ...(await endOf('kp4', 'kp4-b')), seq: undefined }, { runId: 'kp4', assetKey: 'kp4-b', partition: null, attempt: 1, status: 'canceled', error: { code: 'TRB3005', message: 'canceled with its run' }, retryable: false, reason: 'the run was canceled', durationMs: null, worker: 'w1', seq: undefined })
    assert.deepEqual(await suite.store.listMaterializations('kp4-b'), [])
    assert.equal((await suite.queue.claimStep(job('kp4', 'kp4-b'), 'w2', null, new Date())).claimed, false)
  })

  test('a cancel that leaves running attempts to their workers (an unfenced publish) ends only attempts no worker claimed; a canceled attempt asks its run to cancel', async () => {
    const fence = await started('dq1', ['dq1-a', 'dq1-b'])
    assert.equal(await suite.queue.dequeueStep({ runId: 'dq1', assetKey: 'dq1-a', partition: null, attempt: 1 }, { endRunning: false }), false)
    assert.equal((await endOf('dq1', 'dq1-a')), undefined)
    // Still the worker's to complete.
    await suite.queue.completeFenced(succeeded('dq1', 'dq1-a', 'va'), fence)
    await suite.queue.enqueueStep({ runId: 'dq1', assetKey: 'dq1-b', partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job('dq1', 'dq1-b'), { ttlMs: 60_000, now: new Date(), holder: 'dq1' })
    assert.equal(await suite.queue.dequeueStep({ runId: 'dq1', assetKey: 'dq1-b', partition: null, attempt: 1 }, { endRunning: false }), true)
    assert.deepEqual(await jobsOf('dq1', 'dq1-b'), [])
    // The control plane's cancel of an attempt (its run's signal aborted in its own process, a Ctrl-C)
    // is asked of the run too: workers running the run's other steps read it with their heartbeat.
    const { executor } = countingExecutor()
    try {
      await suite.store.createRun({ id: 'dq2', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'dq2-a', partition: null }] })
      const controller = new AbortController()
      const attempt = await executor.startAttempt({ ...job('dq2', 'dq2-a'), fencedPublish: false }, { ttlMs: 60_000, now: new Date() }, controller.signal)
      // How the control plane cancels the attempt is not the worker's: not in its job.
      assert.equal('fencedPublish' in (await jobsOf('dq2', 'dq2-a'))[0]!, false)
      controller.abort()
      assert.equal((await attempt.outcome)?.status, 'canceled')
      // (The end, told at the dequeue's commit, may settle the attempt before the request commits.)
      await poll('the run asked to cancel', async () => ((await query<{ requested: string | null }>(suite.url, `SELECT requested FROM runs WHERE id = 'dq2'`))[0]?.requested === 'cancel' ? true : undefined), 10_000, 5)
    } finally {
      await executor.close()
    }
  })

  test('a completion recording checks (several statements) hands off too: its events, then the check, the step and the hand-off, in order', async () => {
    const fence = await started('k1', ['k-a', 'k-b'])
    const check = { assetKey: 'k-a', partition: null, runId: 'k1', checkName: 'not_null(id)', checkType: 'not_null', severity: 'error' as const, blocking: true, passed: true, failingRows: 0, sample: [], message: null, createdAt: new Date() }
    await suite.queue.completeFenced({ ...succeeded('k1', 'k-a', 'vk'), checks: [check] }, fence, offer('k-b'))
    assert.deepEqual((await endOf('k1', 'k-a'))?.handedOff, { assetKey: 'k-b', partition: null })
    // Its end says what it published, as a completion without checks does.
    assert.deepEqual((await endOf('k1', 'k-a'))?.published, { dataVersion: 'vk', rowCount: 1 })
    assert.equal(await statusOf('k1', 'k-b'), 'waiting')
    assert.equal((await jobsOf('k1', 'k-b')).length, 1)
    const events = (await suite.store.listEvents({ runId: 'k1' })).map((e) => `${e.type} ${e.assetKey ?? ''}`.trim())
    assert.deepEqual(events.slice(-4), ['materialization k-a', 'check_evaluated k-a', 'step_succeeded k-a', 'step_waiting k-b'])
    // Refused in the same way: a run asked to stop.
    const stopped = await started('k2', ['k2-a', 'k2-b'])
    await suite.store.requestRun('k2', 'cancel', new Date())
    await suite.queue.completeFenced({ ...succeeded('k2', 'k2-a', 'vk'), checks: [{ ...check, assetKey: 'k2-a', runId: 'k2' }] }, stopped, offer('k2-b'))
    assert.equal((await endOf('k2', 'k2-a'))?.handedOff, undefined)
    assert.deepEqual((await endOf('k2', 'k2-a'))?.published, { dataVersion: 'vk', rowCount: 1 })
    assert.equal(await statusOf('k2', 'k2-b'), 'queued')
    assert.equal(await statusOf('k2', 'k2-a'), 'succeeded')
  })

  test('with checks: a stale fence records nothing and hands off nothing; under a publish\'s hold the completion hands off; sharing a transaction too', async () => {
    const check = (runId: string, assetKey: string) => ({ assetKey, partition: null, runId, checkName: 'not_null(id)', checkType: 'not_null', severity: 'error' as const, blocking: true, passed: true, failingRows: 0, sample: [], message: null, createdAt: new Date() })
    const checked = (runId: string, assetKey: string) => ({ ...succeeded(runId, assetKey, 'v'), checks: [check(runId, assetKey)] })
    const fence = await started('q1', ['q1-a', 'q1-b'])
    await assert.rejects(suite.queue.completeFenced(checked('q1', 'q1-a'), fence + 1000, offer('q1-b')), /TRB7003/)
    assert.equal(await endOf('q1', 'q1-a'), undefined)
    assert.equal(await statusOf('q1', 'q1-b'), 'queued')
    assert.deepEqual((await query<{ asset_key: string }>(suite.url, `SELECT asset_key FROM leases WHERE holder = 'q1'`)).map((l) => l.asset_key), ['q1-a'])
    // Under the hold a publish takes (see holdFence): one end, naming the step.
    const hold = await suite.queue.holdFence({ runId: 'q1', assetKey: 'q1-a', partition: null }, fence)
    await hold.complete(checked('q1', 'q1-a'), offer('q1-b'))
    assert.deepEqual((await suite.queue.attemptEnds('q1', 0)).ends.map((e) => [e.assetKey, e.handedOff?.assetKey]), [['q1-a', 'q1-b']])
    assert.equal(await statusOf('q1', 'q1-b'), 'waiting')
    // Three at once: the first alone, the two after it sharing the next transaction; each hands off,
    // its job added and its events after its own, in order.
    const keys = ['q2-0', 'q2-1', 'q2-2']
    await suite.store.createRun({ id: 'q2', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [...keys, ...keys.map((k) => `${k}-next`)].map((assetKey) => ({ assetKey, partition: null })) })
    const fences = await Promise.all(keys.map((key) => claimed('q2', key)))
    await Promise.all(keys.map((key, i) => suite.queue.completeFenced(checked('q2', key), fences[i]!, offer(`${key}-next`))))
    assert.deepEqual(await Promise.all(keys.map(async (key) => (await endOf('q2', key))?.handedOff?.assetKey ?? null)), ['q2-0-next', 'q2-1-next', 'q2-2-next'])
    assert.deepEqual(await Promise.all(keys.map((key) => statusOf('q2', `${key}-next`))), ['waiting', 'waiting', 'waiting'])
    assert.deepEqual(await Promise.all(keys.map(async (key) => (await jobsOf('q2', `${key}-next`)).length)), [1, 1, 1])
    const events = (await suite.store.listEvents({ runId: 'q2' })).map((e) => `${e.type} ${e.assetKey ?? ''}`.trim())
    for (const key of keys) {
      const mine = events.filter((e) => e.endsWith(` ${key}`) || e.endsWith(` ${key}-next`))
      assert.deepEqual(mine.slice(-4), [`materialization ${key}`, `check_evaluated ${key}`, `step_succeeded ${key}`, `step_waiting ${key}-next`], key)
    }
  })

  test('nothing is handed off, and the upstream completes all the same, when the run was asked to stop, another run holds the lease, the step is no longer queued, the upstream did not succeed, or its lease lapsed', async () => {
    const cases: { runId: string; before: () => Promise<unknown>; status?: 'blocked' }[] = [
      { runId: 'n1', before: () => suite.store.requestRun('n1', 'cancel', new Date()) },
      { runId: 'n2', before: () => suite.store.requestRun('n2', 'pause', new Date()) },
      { runId: 'n3', before: () => suite.store.acquireLease('n3-b', null, 'another-run', 60_000, new Date()) },
      { runId: 'n4', before: () => suite.store.updateStep({ runId: 'n4', assetKey: 'n4-b', partition: null, status: 'canceled', at: new Date() }) },
      { runId: 'n5', before: async () => undefined, status: 'blocked' },
      // The upstream's lease lapsed (its control plane died, its heartbeat stopped renewing it).
      { runId: 'n6', before: () => query(suite.url, `UPDATE leases SET expires_at = 1 WHERE holder = 'n6'`) },
    ]
    for (const { runId, before, status } of cases) {
      const fence = await started(runId, [`${runId}-a`, `${runId}-b`])
      await before()
      const completion = succeeded(runId, `${runId}-a`, 'v')
      await suite.queue.completeFenced(status ? { step: { ...completion.step, status, reason: 'blocked by a check' } } : completion, fence, offer(`${runId}-b`))
      assert.equal(await statusOf(runId, `${runId}-a`), status ?? 'succeeded', runId)
      assert.equal((await endOf(runId, `${runId}-a`))?.handedOff, undefined, runId)
      assert.notEqual(await statusOf(runId, `${runId}-b`), 'waiting', runId)
      assert.deepEqual(await jobsOf(runId, `${runId}-b`), [], runId)
    }
    // The lease of another run stays that run's; a step no longer queued gets none.
    const leases = await query<{ asset_key: string; holder: string }>(suite.url, `SELECT asset_key, holder FROM leases WHERE asset_key IN ('n3-b', 'n4-b') ORDER BY asset_key`)
    assert.deepEqual(leases.map((l) => [l.asset_key, l.holder]), [['n3-b', 'another-run']])
  })

  test('a run that is not forced hands off only when the upstream published a data version the step has not read', async () => {
    // The step last read a's version 'same' (an earlier run built it on that).
    await suite.store.createRun({ id: 'v0', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'v-b', partition: null }] })
    await suite.store.completeStep(succeeded('v0', 'v-b', 'vb', { 'v-a': 'same' }))
    const unchanged = await started('v1', ['v-a', 'v-b'])
    await suite.queue.completeFenced(succeeded('v1', 'v-a', 'same'), unchanged, offer('v-b', { whenChanged: true }))
    assert.equal((await endOf('v1', 'v-a'))?.handedOff, undefined)
    assert.equal(await statusOf('v1', 'v-b'), 'queued')
    await suite.store.releaseLeasesOf('v1')
    const changed = await started('v2', ['v-a', 'v-b'])
    await suite.queue.completeFenced(succeeded('v2', 'v-a', 'new'), changed, offer('v-b', { whenChanged: true }))
    assert.deepEqual((await endOf('v2', 'v-a'))?.handedOff, { assetKey: 'v-b', partition: null })
    assert.equal(await statusOf('v2', 'v-b'), 'waiting')
  })

  test('not forced, a step of the backlog is handed off only when one of its upstreams published in the run is not the version it last read, or it never ran', async () => {
    // bl-y last read bl-u at 'same' and bl-w at 'w1' (an earlier run built it on those); bl-z never ran.
    await suite.store.createRun({ id: 'bl0', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'bl-y', partition: null }] })
    await suite.store.completeStep(succeeded('bl0', 'bl-y', 'vy', { 'bl-u': 'same', 'bl-w': 'w1' }))
    const backlog = (assetKey: string, known: Record<string, string>) => offer(assetKey, { whenChanged: true, backlog: true, known: Object.fromEntries(Object.entries(known).map(([key, dataVersion]) => [key, { dataVersion, rowCount: 1 }])) })
    // The completing step (bl-x) is not bl-y's upstream: its own new version says nothing of bl-y.
    const unchanged = await started('bl1', ['bl-x', 'bl-y'])
    await suite.queue.completeFenced(succeeded('bl1', 'bl-x', 'new'), unchanged, backlog('bl-y', { 'bl-u': 'same', 'bl-w': 'w1' }))
    assert.equal((await endOf('bl1', 'bl-x'))?.handedOff, undefined)
    assert.equal(await statusOf('bl1', 'bl-y'), 'queued')
    await suite.store.releaseLeasesOf('bl1')
    const changed = await started('bl2', ['bl-x', 'bl-y'])
    await suite.queue.completeFenced(succeeded('bl2', 'bl-x', 'new'), changed, backlog('bl-y', { 'bl-u': 'same', 'bl-w': 'w2' }))
    assert.deepEqual((await endOf('bl2', 'bl-x'))?.handedOff, { assetKey: 'bl-y', partition: null })
    const never = await started('bl3', ['bl-x', 'bl-z'])
    await suite.queue.completeFenced(succeeded('bl3', 'bl-x', 'new'), never, backlog('bl-z', { 'bl-u': 'same' }))
    assert.deepEqual((await endOf('bl3', 'bl-x'))?.handedOff, { assetKey: 'bl-z', partition: null })
  })

  test('completions sharing a transaction hand off too: enqueued or kept, each end naming its step, the events in order, a kept claim with its fence and no job', async () => {
    const keys = ['s0', 's1', 's2']
    await suite.store.createRun({ id: 's', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [...keys, ...keys.map((k) => `${k}-next`)].map((assetKey) => ({ assetKey, partition: null })) })
    await suite.queue.workerHeartbeat({ id: 'w1', host: 'h', pid: 1, version: 'test', concurrency: 3, pools: {}, startedAt: new Date(), queueSlots: [], currentSteps: [] }, [])
    const fences = await Promise.all(keys.map((key) => claimed('s', key)))
    // Issued in one tick: the first goes alone, the rest share the next transaction; s2 is kept by its worker.
    const keeps: (KeepHandOff | undefined)[] = [undefined, undefined, { workerId: 'w1' }]
    await Promise.all(keys.map((key, i) => suite.queue.completeFenced(succeeded('s', key, 'v'), fences[i]!, offer(`${key}-next`), keeps[i])))
    const handed = await Promise.all(keys.map(async (key) => (await endOf('s', key))?.handedOff?.assetKey ?? null))
    assert.deepEqual(handed, ['s0-next', 's1-next', 's2-next'])
    assert.deepEqual(await Promise.all(keys.map((key) => statusOf('s', `${key}-next`))), ['waiting', 'waiting', 'running'])
    assert.equal((await jobsOf('s', 's1-next')).length, 1)
    assert.equal((await jobsOf('s', 's2-next')).length, 0)
    const kept = keeps[2]!.kept
    assert.ok(kept, 's2-next was not kept')
    assert.deepEqual(kept.upstream, { dataVersion: 'v', rowCount: 1 })
    const [claim] = await query<{ fence: string; worker_id: string }>(suite.url, `SELECT fence, worker_id FROM step_claims WHERE run_id = 's' AND asset_key = 's2-next'`)
    assert.deepEqual([Number(claim!.fence), claim!.worker_id], [kept.fence, 'w1'])
    const events = (await suite.store.listEvents({ runId: 's' })).map((e) => `${e.type} ${e.assetKey ?? ''}`.trim())
    for (const key of ['s1', 's2']) {
      const order = [`step_succeeded ${key}`, `step_waiting ${key}-next`].map((e) => events.indexOf(e))
      assert.ok(order[0]! >= 0 && order[0]! < order[1]!, `${key}: ${events.join(', ')}`)
    }
    assert.ok(events.indexOf('step_waiting s2-next') < events.indexOf('step_running s2-next'))
  })

  test('a batch of completions that fails (one bad row) runs again alone, each with its own outcome, and leaves no promise rejected unheard', async () => {
    const keys = ['bf0', 'bf1', 'bf2', 'bf3']
    await suite.store.createRun({ id: 'bf', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [...keys, 'bf3-next'].map((assetKey) => ({ assetKey, partition: null })) })
    const fences = await Promise.all(keys.map((key) => claimed('bf', key)))
    const unheard: unknown[] = []
    const onUnhandled = (reason: unknown) => void unheard.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      // bf0 goes alone; bf1–bf3 share a transaction, which bf2's row count (not an integer) fails; bf3 offers a hand-off.
      const bad = succeeded('bf', 'bf2', 'v')
      const results = await Promise.allSettled(keys.map((key, i) => suite.queue.completeFenced(
        i === 2 ? { ...bad, materialization: { ...bad.materialization!, rowCount: 1.5 } } : succeeded('bf', key, 'v'), fences[i]!, i === 3 ? offer('bf3-next') : undefined)))
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(unheard, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    assert.deepEqual(await Promise.all(keys.map((key) => statusOf('bf', key))), ['succeeded', 'succeeded', 'running', 'succeeded'])
    assert.deepEqual((await endOf('bf', 'bf3'))?.handedOff, { assetKey: 'bf3-next', partition: null })
  })

  test('the control plane adopts a handed-off step whose end it read before adopting it, and one that ends after; then, with nothing of its own left, it stops reading ends', async () => {
    const { clock, executor, reads } = countingExecutor()
    // Resolves once `key`'s end was told (this listener comes after the executor's, which hears it first).
    const told = async (key: string) => {
      let heard: () => void = () => undefined
      const heardIt = new Promise<void>((resolve) => (heard = resolve))
      const stop = await suite.queue.watchEnds!((end) => end?.assetKey === key && heard())
      return { heard: heardIt.then(stop) }
    }
    try {
      await suite.store.createRun({ id: 'x', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: ['x-a', 'x-b', 'x-c'].map((assetKey) => ({ assetKey, partition: null })) })
      // x-a, enqueued by the control plane with its lease and the offer: its end names x-b.
      const upstream = await executor.startAttempt({ ...job('x', 'x-a'), next: offer('x-b', { next: offer('x-c') }) }, { ttlMs: 60_000, now: new Date() }, new AbortController().signal)
      const [queued] = await jobsOf('x', 'x-a')
      assert.deepEqual(queued?.next, offer('x-b', { next: offer('x-c') }), 'the offer travels in the job')
      await suite.queue.completeFenced(succeeded('x', 'x-a', 'va'), await claimed('x', 'x-a', false), queued!.next)
      assert.deepEqual(await upstream.outcome, { status: 'succeeded', durationMs: 1, handedOff: { assetKey: 'x-b', partition: null }, published: { dataVersion: 'va', rowCount: 1 } })
      // x-b ends before the control plane adopts it: its end, heard, is kept for the adoption.
      const heardB = await told('x-b')
      await suite.queue.completeFenced(succeeded('x', 'x-b', 'vb'), await claimed('x', 'x-b', false), offer('x-c'))
      await heardB.heard
      assert.deepEqual(await executor.adoptAttempt({ ...job('x', 'x-b') }, new AbortController().signal), { status: 'succeeded', durationMs: 1, handedOff: { assetKey: 'x-c', partition: null }, published: { dataVersion: 'vb', rowCount: 1 } })
      // x-c is adopted first and ends after; meanwhile another control plane's run hands off a step, heard here too.
      const last = executor.adoptAttempt({ ...job('x', 'x-c') }, new AbortController().signal)
      const heardForeign = await told('f-a')
      await suite.queue.completeFenced(succeeded('f', 'f-a', 'vf'), await started('f', ['f-a', 'f-b']), offer('f-b'))
      await heardForeign.heard
      await suite.queue.completeFenced(succeeded('x', 'x-c', 'vc'), await claimed('x', 'x-c', false))
      assert.deepEqual(await last, { status: 'succeeded', durationMs: 1, published: { dataVersion: 'vc', rowCount: 1 } })
      // Nothing awaited nor expected of its own: the fallback poll stopped, the other run's hand-off not kept.
      const before = reads()
      clock.advance(5_000)
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
      assert.equal(reads(), before, 'ends were still read once nothing was awaited')
    } finally {
      await executor.close()
    }
  })
  test('an enqueue asked only while the step is queued (a step taken back) leaves one a worker kept, running or ended, as it is and says so; the executor then gives the end it heard, or waits for it', async () => {
    const { executor } = countingExecutor()
    const lease = { ttlMs: 60_000, now: new Date() }
    const told = async (key: string) => {
      let heard: () => void = () => undefined
      const heardIt = new Promise<void>((resolve) => (heard = resolve))
      const stop = await suite.queue.watchEnds!((end) => end?.assetKey === key && heard())
      return heardIt.then(stop)
    }
    try {
      await suite.store.createRun({ id: 'iq', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: ['iq-x', 'iq-y', 'iq-z', 'iq-w'].map((assetKey) => ({ assetKey, partition: null })) })
      await suite.queue.workerHeartbeat({ id: 'w1', host: 'h', pid: 1, version: 'test', concurrency: 1, pools: {}, startedAt: new Date(), queueSlots: [], currentSteps: [] }, [])
      // iq-x, enqueued by the control plane, offers iq-y from the backlog; its worker keeps it.
      const upstream = await executor.startAttempt({ ...job('iq', 'iq-x'), next: offer('iq-y', { backlog: true }) }, lease, new AbortController().signal)
      const keep: KeepHandOff = { workerId: 'w1' }
      await suite.queue.completeFenced(succeeded('iq', 'iq-x', 'vx'), await claimed('iq', 'iq-x', false), offer('iq-y', { backlog: true }), keep)
      assert.equal((await upstream.outcome!).status, 'succeeded')
      // Taken back while running on w1: nothing written, the kept attempt stands.
      const running = await suite.queue.enqueueStep({ runId: 'iq', assetKey: 'iq-y', partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' }, job('iq', 'iq-y'), { ...lease, holder: 'iq' }, { ifQueued: true })
      assert.deepEqual(running, { acquired: true, holder: 'iq', stale: false, handedOff: true })
      assert.equal(await statusOf('iq', 'iq-y'), 'running')
      const [claim] = await query<{ fence: string }>(suite.url, `SELECT fence FROM step_claims WHERE run_id = 'iq' AND asset_key = 'iq-y'`)
      assert.equal(Number(claim!.fence), keep.kept!.fence)
      assert.deepEqual(await jobsOf('iq', 'iq-y'), [])
      // It ends before the control plane's enqueue: the executor returns the end it heard, the step stays succeeded.
      const heard = told('iq-y')
      await suite.queue.completeFenced(succeeded('iq', 'iq-y', 'vy'), keep.kept!.fence)
      await heard
      const taken = await executor.startAttempt({ ...job('iq', 'iq-y'), ifQueued: true }, lease, new AbortController().signal)
      assert.deepEqual(await taken.outcome, { status: 'succeeded', durationMs: 1, published: { dataVersion: 'vy', rowCount: 1 } })
      assert.equal(await statusOf('iq', 'iq-y'), 'succeeded')
      // A step still queued is enqueued as any.
      const queued = await executor.startAttempt({ ...job('iq', 'iq-z'), ifQueued: true }, lease, new AbortController().signal)
      assert.equal(await statusOf('iq', 'iq-z'), 'waiting')
      assert.equal((await jobsOf('iq', 'iq-z')).length, 1)
      await suite.queue.completeFenced(succeeded('iq', 'iq-z', 'vz'), await claimed('iq', 'iq-z', false))
      assert.equal((await queued.outcome!).status, 'succeeded')
    } finally {
      await executor.close()
    }
  })

  test('a hand-off the control plane never adopts (the run ended otherwise) is forgotten with its run: no more reads of ends', async () => {
    const { clock, executor, reads } = countingExecutor()
    try {
      await suite.store.createRun({ id: 'g', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: ['g-a', 'g-b'].map((assetKey) => ({ assetKey, partition: null })) })
      const upstream = await executor.startAttempt({ ...job('g', 'g-a'), next: offer('g-b') }, { ttlMs: 60_000, now: new Date() }, new AbortController().signal)
      await suite.queue.completeFenced(succeeded('g', 'g-a', 'va'), await claimed('g', 'g-a', false), offer('g-b'))
      assert.deepEqual(await upstream.outcome, { status: 'succeeded', durationMs: 1, handedOff: { assetKey: 'g-b', partition: null }, published: { dataVersion: 'va', rowCount: 1 } })
      // g-b expected: the fallback poll still reads the run's ends.
      clock.advance(1_000)
      await poll('a fallback read', async () => (reads() > 0 ? true : undefined), 10_000, 5)
      executor.forgetRun('g')
      const before = reads()
      clock.advance(5_000)
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
      assert.equal(reads(), before)
    } finally {
      await executor.close()
    }
  })
})
