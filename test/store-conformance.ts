import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type {
  AssetStateRecord, AssetStateSummary, EventRecord, MaterializationRecord, NewCheckResult, NewMaterialization, ObservationRecord,
} from '../src/store/records.js'
import type { NewRun, Store } from '../src/store/store.js'
import { truncatedMessage, type LogLimits } from '../src/store/log-limits.js'

/** Opens a fresh, empty, unmigrated store for one test, and how to throw it away. */
export type OpenStore = (options?: { logLimits?: Partial<LogLimits> }) => Promise<{ store: Store; cleanup: () => Promise<void> }>

const T0 = Date.UTC(2024, 0, 1)
/** `seconds` after a fixed instant: tests never read the clock. */
const at = (seconds: number): Date => new Date(T0 + seconds * 1000)

function newRun(id: string, seconds: number, steps: NewRun['steps'] = [{ assetKey: 'orders', partition: null }]): NewRun {
  return { id, selection: 'orders+', trigger: 'test', pid: 4242, host: 'ci-host', startedAt: at(seconds), steps }
}

function materialization(runId: string, assetKey: string, partition: string | null, seconds: number, dataVersion = `v${seconds}`): NewMaterialization {
  return {
    assetKey, partition, runId, codeVersion: 'c1', dataVersion, inputVersions: { raw: 'r1' }, rowCount: 10,
    columns: [{ name: 'id', type: 'INTEGER' }], durationMs: 120, createdAt: at(seconds),
  }
}

function check(runId: string, assetKey: string, partition: string | null, checkName: string, passed: boolean, seconds: number): NewCheckResult {
  return {
    assetKey, partition, runId, checkName, checkType: 'not_null', severity: 'error', blocking: true, passed,
    failingRows: passed ? 0 : 2, sample: passed ? [] : [{ id: null }], message: passed ? null : '2 rows are null', createdAt: at(seconds),
  }
}

function observation(sourceKey: string, seconds: number, dataVersion: string | null): ObservationRecord {
  return {
    sourceKey, observedAt: at(seconds), exists: dataVersion !== null, lastUpdated: dataVersion === null ? null : at(seconds - 1),
    dataVersion, rowCount: dataVersion === null ? null : 5, schemaFingerprint: dataVersion === null ? null : 'fp1',
    columns: dataVersion === null ? null : [{ name: 'id', type: 'INTEGER' }],
  }
}

/** The state of one asset (partition), found by value since the order of assetStates() is not part of the contract. */
async function stateOf(store: Store, assetKey: string, partition: string | null) {
  return (await store.assetStates([assetKey])).find((state) => state.partition === partition)
}

const withoutId = <T extends { id: number }>({ id: _id, ...rest }: T): Omit<T, 'id'> => rest
const types = (events: readonly EventRecord[]) => events.map((event) => event.type)

/** Registers the store conformance tests; every Store implementation runs them with its own `open`. */
export function storeConformance(name: string, open: OpenStore): void {
  /** Each test owns a fresh migrated store, thrown away afterwards even when the test fails. */
  async function withStore(fn: (store: Store) => Promise<void>, options: { logLimits?: Partial<LogLimits> } = {}): Promise<void> {
    const { store, cleanup } = await open(options)
    try {
      await store.migrate()
      await fn(store)
    } finally {
      await cleanup()
    }
  }

  /** A store with run r1 planning orders (unpartitioned) and orders/p1. */
  async function withRun(fn: (store: Store) => Promise<void>, options: { logLimits?: Partial<LogLimits> } = {}): Promise<void> {
    await withStore(async (store) => {
      await store.createRun(newRun('r1', 0, [{ assetKey: 'orders', partition: null }, { assetKey: 'orders', partition: 'p1' }]))
      await fn(store)
    }, options)
  }

  describe(`store conformance: ${name}`, () => {
    test('migrate is idempotent and keeps data', () => withStore(async (store) => {
      await store.createRun(newRun('r1', 0))
      await store.migrate()
      await store.migrate()
      assert.equal((await store.getRun('r1'))?.id, 'r1')
    }))

    describe('runs', () => {
      test('createRun records a running run with its step count', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 5, [{ assetKey: 'a', partition: null }, { assetKey: 'b', partition: 'p1' }]))
        assert.deepEqual(await store.getRun('r1'), {
          id: 'r1', status: 'running', selection: 'orders+', trigger: 'test', pid: 4242, host: 'ci-host',
          startedAt: at(5), finishedAt: null, heartbeatAt: at(5), error: null, stepCount: 2, requested: null, continues: null,
        })
        assert.equal(await store.getRun('nope'), undefined)
      }))

      test('finishRun sets status, end time and error', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0))
        await store.createRun(newRun('r2', 1))
        const error = { code: 'TRB3001', message: 'asset orders failed: boom', assetKey: 'orders' }
        await store.finishRun('r1', 'failed', at(10), error)
        await store.finishRun('r2', 'succeeded', at(11))
        const r1 = await store.getRun('r1')
        assert.equal(r1?.status, 'failed')
        assert.deepEqual(r1?.finishedAt, at(10))
        assert.deepEqual(r1?.error, error)
        assert.equal((await store.getRun('r2'))?.error, null)
      }))

      test('heartbeat moves heartbeatAt only and appends no event', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0))
        const before = await store.listEvents()
        await store.heartbeat('r1', at(30))
        const run = await store.getRun('r1')
        assert.deepEqual(run?.heartbeatAt, at(30))
        assert.equal(run?.status, 'running')
        assert.deepEqual(run?.startedAt, at(0))
        assert.deepEqual(await store.listEvents(), before)
      }))

      test('stepCounts counts a run\'s steps per asset and status, with the plan position of each group\'s first', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 1, [
          { assetKey: 'raw', partition: 'd1' }, { assetKey: 'raw', partition: 'd2' }, { assetKey: 'mart', partition: 'd1' }, { assetKey: 'raw', partition: 'd3' },
        ]))
        await store.updateStep({ runId: 'r1', assetKey: 'raw', partition: 'd2', status: 'failed', at: at(2) })
        assert.deepEqual(await store.stepCounts('r1'), [
          { assetKey: 'raw', status: 'queued', count: 2, first: 0 },
          { assetKey: 'raw', status: 'failed', count: 1, first: 1 },
          { assetKey: 'mart', status: 'queued', count: 1, first: 2 },
        ])
        assert.deepEqual(await store.stepCounts('nope'), [])
      }))

      test('at most one run continues any run: a second is refused with TRB6003 and not recorded', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 1))
        await store.createRun({ ...newRun('r2', 2), continues: 'r1' })
        assert.equal((await store.getRun('r2'))?.continues, 'r1')
        await assert.rejects(store.createRun({ ...newRun('r3', 3), continues: 'r1' }), (e: { code?: string; message: string }) => e.code === 'TRB6003' && /already continued by run r2/.test(e.message))
        assert.equal(await store.getRun('r3'), undefined)
        assert.deepEqual(await store.listSteps('r3'), [])
        await store.createRun({ ...newRun('r4', 4), continues: 'r2' })
      }))

      test('listRuns filters by trigger and exact selection, newest first', () => withStore(async (store) => {
        await store.createRun({ ...newRun('b1', 1), trigger: 'backfill', selection: 'backfill a --from 1 --to 2 --only all' })
        await store.createRun(newRun('t1', 2))
        await store.createRun({ ...newRun('b2', 3), trigger: 'backfill', selection: 'backfill b --from 1 --to 2 --only all' })
        await store.createRun({ ...newRun('b3', 4), trigger: 'backfill', selection: 'backfill a --from 1 --to 2 --only all' })
        assert.deepEqual((await store.listRuns({ trigger: 'backfill' })).map((run) => run.id), ['b3', 'b2', 'b1'])
        assert.deepEqual((await store.listRuns({ trigger: 'backfill', selection: 'backfill a --from 1 --to 2 --only all' })).map((run) => run.id), ['b3', 'b1'])
        assert.deepEqual((await store.listRuns({ trigger: 'backfill', limit: 1 })).map((run) => run.id), ['b3'])
        await store.finishRun('b1', 'paused', at(5))
        assert.deepEqual((await store.listRuns({ trigger: 'backfill', status: 'paused' })).map((run) => run.id), ['b1'])
        assert.deepEqual((await store.listRuns({ trigger: 'api' })), [])
      }))

      test('requestRun asks a running run to pause or cancel; heartbeat returns the request; a cancel is never weakened; finishing clears it', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0))
        assert.equal(await store.heartbeat('r1', at(1)), null)
        assert.equal((await store.requestRun('r1', 'pause', at(2)))?.requested, 'pause')
        assert.equal((await store.requestRun('r1', 'pause', at(2)))?.requested, 'pause', 'asked again: still a pause (one event)')
        assert.equal(await store.heartbeat('r1', at(3)), 'pause')
        assert.equal((await store.requestRun('r1', 'cancel', at(4)))?.requested, 'cancel')
        assert.equal((await store.requestRun('r1', 'pause', at(5)))?.requested, 'cancel', 'a cancel stays a cancel')
        assert.deepEqual((await store.listEvents({ runId: 'r1' })).filter((e) => e.type === 'run_requested').map((e) => e.payload), [{ request: 'pause' }, { request: 'cancel' }, { request: 'pause' }])
        await store.finishRun('r1', 'canceled', at(6))
        const finished = await store.getRun('r1')
        assert.equal(finished?.requested, null)
        assert.equal(finished?.status, 'canceled')
        const late = await store.requestRun('r1', 'pause', at(7))
        assert.equal(late?.status, 'canceled', 'the run as it is, unchanged')
        assert.equal(late?.requested, null)
        assert.equal((await store.listEvents({ runId: 'r1' })).filter((e) => e.type === 'run_requested').length, 3, 'no event for a finished run')
        assert.equal(await store.requestRun('nope', 'cancel', at(8)), undefined)
        await assert.rejects(store.heartbeat('nope', at(9)), (e: { code?: string }) => e.code === 'TRB6002')
      }))

      test('listRuns is newest first with a default limit of 50, a limit and a status filter', () => withStore(async (store) => {
        for (let i = 0; i < 55; i++) await store.createRun(newRun(`r${i}`, i))
        await store.finishRun('r3', 'succeeded', at(100))
        await store.finishRun('r7', 'succeeded', at(100))
        await store.finishRun('r9', 'failed', at(100))
        const all = await store.listRuns()
        assert.equal(all.length, 50)
        assert.equal(all[0]?.id, 'r54')
        assert.equal(all[49]?.id, 'r5')
        assert.deepEqual((await store.listRuns({ limit: 3 })).map((run) => run.id), ['r54', 'r53', 'r52'])
        assert.deepEqual((await store.listRuns({ status: 'succeeded' })).map((run) => run.id), ['r7', 'r3'])
        assert.deepEqual((await store.listRuns({ status: 'succeeded', limit: 1 })).map((run) => run.id), ['r7'])
        assert.deepEqual(await store.listRuns({ status: 'canceled' }), [])
      }))

      test('listActiveRuns lists only running runs', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0))
        await store.createRun(newRun('r2', 1))
        await store.createRun(newRun('r3', 2))
        await store.finishRun('r2', 'canceled', at(5))
        assert.deepEqual((await store.listActiveRuns()).map((run) => run.id).sort(), ['r1', 'r3'])
      }))

      test('writes to an unknown run reject with TRB6002', () => withStore(async (store) => {
        const notFound = (error: any) => error.code === 'TRB6002'
        await assert.rejects(store.finishRun('ghost', 'failed', at(1)), notFound)
        await assert.rejects(store.heartbeat('ghost', at(1)), notFound)
        await assert.rejects(store.updateStep({ runId: 'ghost', assetKey: 'a', partition: null, status: 'running', at: at(1) }), notFound)
        assert.deepEqual(await store.listEvents(), [])
      }))
    })

    describe('steps', () => {
      test('listSteps returns the planned steps in plan order, queued', () => withStore(async (store) => {
        const steps = [{ assetKey: 'z', partition: null }, { assetKey: 'a', partition: 'p2' }, { assetKey: 'a', partition: 'p1' }]
        await store.createRun(newRun('r1', 0, steps))
        const listed = await store.listSteps('r1')
        assert.deepEqual(listed.map((step) => [step.assetKey, step.partition]), [['z', null], ['a', 'p2'], ['a', 'p1']])
        assert.deepEqual(listed[0], {
          runId: 'r1', assetKey: 'z', partition: null, status: 'queued', attempt: 0,
          startedAt: null, finishedAt: null, durationMs: null, error: null, reason: null,
        })
        assert.deepEqual(await store.listSteps('other'), [])
      }))

      test('updateStep moves a step through its lifecycle', () => withRun(async (store) => {
        const key = { runId: 'r1', assetKey: 'orders', partition: null }
        await store.updateStep({ ...key, status: 'waiting', at: at(1), reason: 'waiting for raw.orders' })
        let step = (await store.listSteps('r1'))[0]
        assert.equal(step?.status, 'waiting')
        assert.equal(step?.reason, 'waiting for raw.orders')

        await store.updateStep({ ...key, status: 'running', at: at(2), attempt: 1 })
        step = (await store.listSteps('r1'))[0]
        assert.equal(step?.status, 'running')
        assert.equal(step?.attempt, 1)
        assert.deepEqual(step?.startedAt, at(2))
        assert.equal(step?.reason, null)
        assert.equal(step?.finishedAt, null)

        const error = { code: 'TRB3001', message: 'boom' }
        await store.updateStep({ ...key, status: 'failed', at: at(4), error, durationMs: 2000 })
        step = (await store.listSteps('r1'))[0]
        assert.equal(step?.status, 'failed')
        assert.equal(step?.attempt, 1)
        assert.deepEqual(step?.startedAt, at(2))
        assert.deepEqual(step?.finishedAt, at(4))
        assert.equal(step?.durationMs, 2000)
        assert.deepEqual(step?.error, error)
        // The other planned step is untouched.
        assert.equal((await store.listSteps('r1'))[1]?.status, 'queued')
      }))

      test('updateStep of a step outside the plan adds it after the planned ones', () => withRun(async (store) => {
        await store.updateStep({ runId: 'r1', assetKey: 'extra', partition: 'p9', status: 'running', at: at(1), attempt: 1 })
        const steps = await store.listSteps('r1')
        assert.deepEqual(steps.map((step) => [step.assetKey, step.partition, step.status]), [
          ['orders', null, 'queued'], ['orders', 'p1', 'queued'], ['extra', 'p9', 'running'],
        ])
        assert.equal((await store.getRun('r1'))?.stepCount, 3)
      }))
    })

    describe('completeStep', () => {
      test('writes the step, its materialization and its checks together', () => withRun(async (store) => {
        const checks = [check('r1', 'orders', null, 'id_not_null', true, 9), check('r1', 'orders', null, 'amount_positive', false, 9)]
        const written = await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(10), attempt: 1, durationMs: 900 },
          materialization: materialization('r1', 'orders', null, 8),
          checks,
        })
        assert.ok(written && Number.isInteger(written.id))
        assert.deepEqual(withoutId(written), materialization('r1', 'orders', null, 8))
        assert.deepEqual(await store.listMaterializations('orders'), [written])

        const results = await store.listCheckResults('orders')
        assert.equal(results.length, 2)
        assert.deepEqual(results.map(withoutId).sort((a, b) => a.checkName.localeCompare(b.checkName)), [checks[1], checks[0]])

        const step = (await store.listSteps('r1'))[0]
        assert.equal(step?.status, 'succeeded')
        assert.deepEqual(step?.finishedAt, at(10))
        assert.equal(step?.durationMs, 900)

        const state = await stateOf(store, 'orders', null)
        assert.deepEqual(state?.lastMaterialization, written)
        assert.deepEqual(state?.lastStep, step)
        assert.deepEqual([...(state?.lastChecks ?? [])].sort((a, b) => a.id - b.id), [...results].sort((a, b) => a.id - b.id))
      }))

      test('returns undefined without a materialization and keeps the previous one', () => withRun(async (store) => {
        const first = await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(1) },
          materialization: materialization('r1', 'orders', null, 1),
        })
        await store.createRun(newRun('r2', 2))
        const second = await store.completeStep({
          step: { runId: 'r2', assetKey: 'orders', partition: null, status: 'failed', at: at(3), error: { code: 'TRB3001', message: 'x' } },
        })
        assert.equal(second, undefined)
        const state = await stateOf(store, 'orders', null)
        assert.deepEqual(state?.lastMaterialization, first)
        assert.equal(state?.lastStep?.runId, 'r2')
        assert.equal(state?.lastStep?.status, 'failed')
        assert.deepEqual(state?.lastChecks, [])
      }))

      test('lastChecks come from the latest completion that had checks', () => withRun(async (store) => {
        const step = { runId: 'r1', assetKey: 'orders', partition: null, at: at(1) } as const
        await store.completeStep({ step: { ...step, status: 'running' }, checks: [check('r1', 'orders', null, 'old', false, 1)] })
        await store.completeStep({ step: { ...step, status: 'running', attempt: 2 }, checks: [check('r1', 'orders', null, 'new', true, 2)] })
        await store.completeStep({ step: { ...step, status: 'succeeded' }, materialization: materialization('r1', 'orders', null, 3) })
        const state = await stateOf(store, 'orders', null)
        assert.deepEqual(state?.lastChecks.map((c) => [c.checkName, c.passed]), [['new', true]])
        assert.deepEqual((await store.listCheckResults('orders')).map((c) => c.checkName), ['new', 'old'])
      }))

      test('is atomic: a failing completion records nothing', () => withStore(async (store) => {
        await assert.rejects(store.completeStep({
          step: { runId: 'ghost', assetKey: 'orders', partition: null, status: 'succeeded', at: at(1) },
          materialization: materialization('ghost', 'orders', null, 1),
          checks: [check('ghost', 'orders', null, 'id_not_null', true, 1)],
        }))
        assert.deepEqual(await store.listMaterializations('orders'), [])
        assert.deepEqual(await store.listCheckResults('orders'), [])
        assert.deepEqual(await store.assetStates(), [])
        assert.deepEqual(await store.listEvents(), [])
      }))
    })

    describe('asset states', () => {
      test('a planned step is the last step until another run plans or runs the asset', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0))
        let [state] = await store.assetStates()
        assert.deepEqual([state?.assetKey, state?.partition, state?.lastStep?.runId, state?.lastStep?.status], ['orders', null, 'r1', 'queued'])
        assert.equal(state?.lastMaterialization, null)
        await store.createRun(newRun('r2', 1))
        await store.updateStep({ runId: 'r2', assetKey: 'orders', partition: null, status: 'running', at: at(2), attempt: 1 })
        ;[state] = await store.assetStates()
        assert.deepEqual([state?.lastStep?.runId, state?.lastStep?.status, state?.lastStep?.attempt], ['r2', 'running', 1])
      }))

      test('partitions null and p1 are kept apart, and keys filter', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0, [
          { assetKey: 'orders', partition: null }, { assetKey: 'orders', partition: 'p1' }, { assetKey: 'users', partition: null },
        ]))
        const whole = await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(1) },
          materialization: materialization('r1', 'orders', null, 1, 'whole'),
        })
        const p1 = await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: 'p1', status: 'succeeded', at: at(2) },
          materialization: materialization('r1', 'orders', 'p1', 2, 'part'),
          checks: [check('r1', 'orders', 'p1', 'id_not_null', true, 2)],
        })
        const states = await store.assetStates(['orders'])
        assert.equal(states.length, 2)
        const byPartition = new Map(states.map((state) => [state.partition, state]))
        assert.deepEqual(byPartition.get(null)?.lastMaterialization, whole)
        assert.deepEqual(byPartition.get('p1')?.lastMaterialization, p1)
        assert.deepEqual(byPartition.get(null)?.lastChecks, [])
        assert.deepEqual(byPartition.get('p1')?.lastChecks.map((c) => c.partition), ['p1'])
        assert.equal(byPartition.get('p1')?.lastStep?.partition, 'p1')
        assert.deepEqual((await store.assetStates()).map((s) => s.assetKey).sort(), ['orders', 'orders', 'users'])
        assert.deepEqual((await store.assetStates(['users', 'nope'])).map((s) => s.assetKey), ['users'])
        assert.deepEqual(await store.assetStates([]), [])
      }))

      test('the last step follows every update of its run, and an older run that writes again', () => withRun(async (store) => {
        const key = { runId: 'r1', assetKey: 'orders', partition: null } as const
        const lastStepIs = async (runId: string) => {
          const step = (await store.listSteps(runId)).find((s) => s.assetKey === 'orders' && s.partition === null)
          assert.deepEqual((await stateOf(store, 'orders', null))?.lastStep, step)
        }
        await store.updateStep({ ...key, status: 'running', at: at(1), attempt: 1 })
        await lastStepIs('r1')
        await store.updateStep({ ...key, status: 'running', at: at(3), attempt: 2, reason: 'retrying after a timeout' })
        await lastStepIs('r1')
        await store.completeStep({ step: { ...key, status: 'failed', at: at(5), durationMs: 4000, error: { code: 'TRB3001', message: 'boom' } } })
        await lastStepIs('r1')
        await store.createRun(newRun('r2', 6))
        await lastStepIs('r2')
        await store.updateStep({ ...key, status: 'canceled', at: at(7), reason: 'run canceled' })
        await lastStepIs('r1')
      }))

      test('a partition filter keeps the states of that partition only; null keeps the unpartitioned ones', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0, [
          { assetKey: 'orders', partition: null }, { assetKey: 'orders', partition: 'p1' },
          { assetKey: 'users', partition: 'p1' }, { assetKey: 'users', partition: 'p2' },
        ]))
        const keysOf = (states: readonly { assetKey: string; partition: string | null }[]) => states.map((s) => `${s.assetKey}/${s.partition}`).sort()
        for (const read of [store.assetStates.bind(store), store.assetStateSummaries.bind(store)]) {
          assert.deepEqual(keysOf(await read()), ['orders/null', 'orders/p1', 'users/p1', 'users/p2'])
          assert.deepEqual(keysOf(await read(undefined, {})), ['orders/null', 'orders/p1', 'users/p1', 'users/p2'])
          assert.deepEqual(keysOf(await read(undefined, { partition: null })), ['orders/null'])
          assert.deepEqual(keysOf(await read(undefined, { partition: 'p1' })), ['orders/p1', 'users/p1'])
          assert.deepEqual(keysOf(await read(['users'], { partition: 'p1' })), ['users/p1'])
          assert.deepEqual(keysOf(await read(['users'], { partition: null })), [])
          assert.deepEqual(keysOf(await read(['orders', 'users'])), ['orders/null', 'orders/p1', 'users/p1', 'users/p2'])
          assert.deepEqual(await read(undefined, { partition: 'p9' }), [])
          assert.deepEqual(await read([]), [])
        }
      }))

      test('assetStateSummaries are the asset states without columns, row counts, timings and checks', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0, [
          { assetKey: 'orders', partition: null }, { assetKey: 'orders', partition: 'p1' },
          { assetKey: 'users', partition: null }, { assetKey: 'queued', partition: null },
        ]))
        await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(2), attempt: 1, durationMs: 900 },
          materialization: materialization('r1', 'orders', null, 1),
          checks: [check('r1', 'orders', null, 'id_not_null', true, 2)],
        })
        await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: 'p1', status: 'succeeded', at: at(3) },
          materialization: { ...materialization('r1', 'orders', 'p1', 3), inputVersions: { raw: 'r1', 'other/key': 'x"y' }, columns: null, rowCount: null },
        })
        await store.completeStep({
          step: { runId: 'r1', assetKey: 'users', partition: null, status: 'blocked', at: at(4), reason: 'check id_not_null failed' },
          checks: [check('r1', 'users', null, 'id_not_null', false, 4)],
        })
        await store.createRun(newRun('r2', 5, [{ assetKey: 'orders', partition: null }]))
        await store.completeStep({
          step: { runId: 'r2', assetKey: 'orders', partition: null, status: 'failed', at: at(6), error: { code: 'TRB3001', message: 'boom', upstream: 'raw' } },
        })
        const summarize = (state: AssetStateRecord): AssetStateSummary => {
          const m = state.lastMaterialization
          const s = state.lastStep
          return {
            assetKey: state.assetKey,
            partition: state.partition,
            lastMaterialization: m && { id: m.id, runId: m.runId, codeVersion: m.codeVersion, dataVersion: m.dataVersion, inputVersions: m.inputVersions, createdAt: m.createdAt },
            lastStep: s && { runId: s.runId, status: s.status, error: s.error, reason: s.reason },
          }
        }
        const byKey = <T extends { assetKey: string; partition: string | null }>(states: readonly T[]) =>
          [...states].sort((a, b) => `${a.assetKey}/${a.partition}`.localeCompare(`${b.assetKey}/${b.partition}`))
        const states = await store.assetStates()
        assert.equal(states.length, 4)
        assert.deepEqual(byKey(await store.assetStateSummaries()), byKey(states).map(summarize))
        assert.deepEqual(byKey(await store.assetStateSummaries(['orders'])), byKey(await store.assetStates(['orders'])).map(summarize))
        const [orders] = await store.assetStateSummaries(['orders'], { partition: null })
        assert.deepEqual(orders?.lastStep, { runId: 'r2', status: 'failed', error: { code: 'TRB3001', message: 'boom', upstream: 'raw' }, reason: null })
        assert.deepEqual(orders?.lastMaterialization?.createdAt, at(1))
      }))
    })

    describe('history', () => {
      test('listMaterializations is newest first, limited, and filters by partition', () => withRun(async (store) => {
        const written: MaterializationRecord[] = []
        for (let i = 0; i < 55; i++) {
          const partition = i % 2 === 0 ? null : 'p1'
          const record = await store.completeStep({
            step: { runId: 'r1', assetKey: 'orders', partition, status: 'running', at: at(i) },
            materialization: materialization('r1', 'orders', partition, i),
          })
          written.push(record!)
        }
        const newestFirst = [...written].reverse()
        assert.deepEqual(await store.listMaterializations('orders'), newestFirst.slice(0, 50))
        assert.deepEqual(await store.listMaterializations('orders', { limit: 2 }), newestFirst.slice(0, 2))
        assert.deepEqual(await store.listMaterializations('orders', { partition: null, limit: 3 }), newestFirst.filter((m) => m.partition === null).slice(0, 3))
        assert.deepEqual(await store.listMaterializations('orders', { partition: 'p1', limit: 3 }), newestFirst.filter((m) => m.partition === 'p1').slice(0, 3))
        assert.deepEqual(await store.listMaterializations('orders', { partition: 'p2' }), [])
        assert.deepEqual(await store.listMaterializations('users'), [])
      }))

      test('listCheckResults is newest first with a default limit of 100', () => withRun(async (store) => {
        const checks = Array.from({ length: 105 }, (_, i) => check('r1', 'orders', null, `c${i}`, i % 3 !== 0, i))
        await store.completeStep({ step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(200) }, checks })
        const results = await store.listCheckResults('orders')
        assert.equal(results.length, 100)
        assert.equal(results[0]?.checkName, 'c104')
        assert.deepEqual(withoutId(results[0]!), checks[104])
        assert.deepEqual((await store.listCheckResults('orders', { limit: 2 })).map((c) => c.checkName), ['c104', 'c103'])
        assert.deepEqual(await store.listCheckResults('users'), [])
      }))

      test('observations keep the latest per source and the full history', () => withStore(async (store) => {
        await store.recordObservation(observation('raw.orders', 10, 'd1'))
        await store.recordObservation(observation('raw.orders', 20, 'd2'))
        // Arrives late from a slower process: history keeps it, but it is not the latest.
        await store.recordObservation(observation('raw.orders', 15, 'd-late'))
        await store.recordObservation(observation('raw.users', 12, null))
        assert.deepEqual(await store.latestObservations(), [observation('raw.orders', 20, 'd2'), observation('raw.users', 12, null)])
        assert.deepEqual(await store.latestObservations(['raw.users', 'nope']), [observation('raw.users', 12, null)])
        assert.deepEqual(await store.latestObservations([]), [])
        assert.deepEqual((await store.listObservations('raw.orders')).map((o) => o.dataVersion), ['d2', 'd-late', 'd1'])
        assert.deepEqual(await store.listObservations('raw.orders', { limit: 1 }), [observation('raw.orders', 20, 'd2')])
        assert.deepEqual(await store.listObservations('nope'), [])
      }))

      test('observation history keeps changes, not looks: polling an unchanged source adds no row', () => withStore(async (store) => {
        const day = (n: number, seconds: number): ObservationRecord => ({ ...observation('raw.daily', seconds, `v${n}`), lastUpdated: at(n * 86_400) })
        for (let n = 1; n <= 3; n++) {
          // One new version a day, looked at 100 times in between (status, ticks, readiness polls).
          for (let look = 0; look < 100; look++) await store.recordObservation(day(n, n * 86_400 + look * 60))
        }
        const history = await store.listObservations('raw.daily', { limit: 30 })
        assert.deepEqual(history.map((o) => o.dataVersion), ['v3', 'v2', 'v1'], 'one row per new version')
        assert.deepEqual(history.map((o) => o.observedAt), [at(3 * 86_400), at(2 * 86_400), at(86_400)], 'each kept at its first look')
        assert.deepEqual((await store.latestObservations(['raw.daily']))[0]!.observedAt, at(3 * 86_400 + 99 * 60), 'the latest look is still the latest')
        // A schema change with the same data version is a change too.
        await store.recordObservation({ ...day(3, 4 * 86_400), schemaFingerprint: 'fp2', columns: [{ name: 'id', type: 'VARCHAR' }] })
        assert.equal((await store.listObservations('raw.daily')).length, 4)
      }))

      test('logs are oldest first and filter by asset', () => withRun(async (store) => {
        const log = (assetKey: string, partition: string | null, seconds: number, message: string) =>
          ({ runId: 'r1', assetKey, partition, level: 'info' as const, message, at: at(seconds) })
        await store.appendLog(log('orders', null, 1, 'first'))
        await store.appendLog({ ...log('orders', 'p1', 2, 'second'), level: 'warn' })
        await store.appendLog(log('users', null, 3, 'third'))
        await store.appendLog(log('orders', null, 4, 'fourth'))
        assert.deepEqual((await store.listLogs('r1')).map((l) => l.message), ['first', 'second', 'third', 'fourth'])
        const read = { attempt: 0, stream: 'log', truncated: null }
        assert.deepEqual(await store.listLogs('r1', 'orders'), [
          { ...log('orders', null, 1, 'first'), ...read }, { ...log('orders', 'p1', 2, 'second'), level: 'warn', ...read }, { ...log('orders', null, 4, 'fourth'), ...read },
        ])
        assert.deepEqual(await store.listLogs('r2'), [])
      }))

      test('logs are bounded per step attempt: past the limit one marker line counts what was dropped', () => withRun(async (store) => {
        const line = (message: string, attempt: number, partition: string | null = null, stream: 'stdout' | 'stderr' | 'log' = 'stdout') =>
          store.appendLog({ runId: 'r1', assetKey: 'orders', partition, level: stream === 'stderr' ? 'error' : 'info', message, at: at(attempt), attempt, stream })
        for (let i = 1; i <= 5; i++) await line(`out ${i}`, 1)
        await line('retry output', 2, null, 'stderr')
        await line('other partition', 1, 'p1', 'log')
        await line('x'.repeat(60), 3)
        const logs = await store.listLogs('r1')
        const mine = (attempt: number, partition: string | null = null) => logs.filter((l) => l.attempt === attempt && l.partition === partition)
        assert.deepEqual(mine(1).map((l) => [l.message, l.stream, l.truncated]), [
          ['out 1', 'stdout', null], ['out 2', 'stdout', null], ['out 3', 'stdout', null],
          ['[log truncated] this step attempt passed its log limit (3 lines or 100 bytes); 2 later lines were not stored', 'log', 2],
        ])
        assert.equal(mine(1).at(-1)!.level, 'warn')
        assert.deepEqual(mine(2).map((l) => [l.message, l.stream, l.level]), [['retry output', 'stderr', 'error']], 'a new attempt has its own budget')
        assert.deepEqual(mine(1, 'p1').map((l) => l.message), ['other partition'], 'so has another partition')
        assert.deepEqual(mine(3).map((l) => l.message), [`${'x'.repeat(40)} … [line cut: 20 more characters]`], 'a long line is cut, saying by how much')
        // The event log carries the kept lines and the marker once, not every dropped line.
        const logEvents = (await store.listEvents({ runId: 'r1' })).filter((e) => e.type === 'log')
        assert.equal(logEvents.length, 7)
        assert.deepEqual(logEvents[3]!.payload, { level: 'warn', message: truncatedMessage(1, { lines: 3, bytes: 100, lineBytes: 40 }), attempt: 1, stream: 'log', truncated: 1 })
        assert.deepEqual(logEvents[0]!.payload, { level: 'info', message: 'out 1', attempt: 1, stream: 'stdout' })
      }, { logLimits: { lines: 3, bytes: 100, lineBytes: 40 } }))

      test('the byte limit bounds a step attempt too', () => withRun(async (store) => {
        for (let i = 0; i < 4; i++) await store.appendLog({ runId: 'r1', assetKey: 'orders', partition: null, level: 'info', message: 'y'.repeat(40), at: at(i), attempt: 1 })
        const logs = await store.listLogs('r1')
        assert.deepEqual(logs.map((l) => l.truncated), [null, null, 2], 'two lines of 40 fit in 100 bytes, the next two are counted')
      }, { logLimits: { lines: 100, bytes: 100, lineBytes: 1000 } }))
    })

    describe('events', () => {
      test('every write appends events of the right type', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0, [{ assetKey: 'orders', partition: 'p1' }]))
        await store.updateStep({ runId: 'r1', assetKey: 'orders', partition: 'p1', status: 'running', at: at(1), attempt: 1 })
        await store.appendLog({ runId: 'r1', assetKey: 'orders', partition: 'p1', level: 'info', message: 'hi', at: at(2) })
        await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: 'p1', status: 'succeeded', at: at(3) },
          materialization: materialization('r1', 'orders', 'p1', 3),
          checks: [check('r1', 'orders', 'p1', 'a', true, 3), check('r1', 'orders', 'p1', 'b', true, 3)],
        })
        await store.recordObservation(observation('raw.orders', 4, 'd1'))
        await store.finishRun('r1', 'succeeded', at(5))
        const events = await store.listEvents()
        assert.deepEqual(types(events.slice(0, 3)), ['run_started', 'step_running', 'log'])
        assert.deepEqual(types(events.slice(3, 7)).sort(), ['check_evaluated', 'check_evaluated', 'materialization', 'step_succeeded'])
        assert.deepEqual(types(events.slice(7)), ['observation', 'run_finished'])
        for (let i = 1; i < events.length; i++) assert.ok(events[i]!.id > events[i - 1]!.id)
        const [started, running] = events
        assert.deepEqual([started?.runId, started?.assetKey, started?.at], ['r1', null, at(0)])
        assert.deepEqual([running?.runId, running?.assetKey, running?.partition, running?.at], ['r1', 'orders', 'p1', at(1)])
        assert.equal(typeof running?.payload, 'object')
        assert.equal(events.find((e) => e.type === 'run_finished')?.payload.status, 'succeeded')
        assert.equal(events.find((e) => e.type === 'log')?.payload.message, 'hi')
      }))

      test('listEvents pages with afterId and limit, and filters by run; lastEventId is the newest id', () => withStore(async (store) => {
        assert.equal(await store.lastEventId(), 0)
        await store.createRun(newRun('r1', 0))
        await store.createRun(newRun('r2', 1))
        await store.updateStep({ runId: 'r1', assetKey: 'orders', partition: null, status: 'running', at: at(2) })
        await store.updateStep({ runId: 'r2', assetKey: 'orders', partition: null, status: 'running', at: at(3) })
        const all = await store.listEvents()
        assert.equal(all.length, 4)
        const page1 = await store.listEvents({ limit: 3 })
        const page2 = await store.listEvents({ afterId: page1.at(-1)!.id, limit: 3 })
        assert.deepEqual([...page1, ...page2], all)
        assert.deepEqual(await store.listEvents({ afterId: all.at(-1)!.id }), [])
        assert.equal(await store.lastEventId(), all.at(-1)!.id)
        const ofR2 = await store.listEvents({ runId: 'r2' })
        assert.deepEqual(types(ofR2), ['run_started', 'step_running'])
        assert.deepEqual(await store.listEvents({ runId: 'r2', afterId: ofR2[0]!.id }), [ofR2[1]])
      }))

      test('pruneEvents deletes old events only and keeps state and history', () => withRun(async (store) => {
        await store.completeStep({
          step: { runId: 'r1', assetKey: 'orders', partition: null, status: 'succeeded', at: at(10) },
          materialization: materialization('r1', 'orders', null, 10),
          checks: [check('r1', 'orders', null, 'a', true, 10)],
        })
        await store.recordObservation(observation('raw.orders', 11, 'd1'))
        await store.appendLog({ runId: 'r1', assetKey: 'orders', partition: null, level: 'info', message: 'hi', at: at(12) })
        await store.finishRun('r1', 'succeeded', at(100))
        const snapshot = async () => [
          await store.getRun('r1'), await store.listSteps('r1'), await store.assetStates(), await store.listMaterializations('orders'),
          await store.listCheckResults('orders'), await store.latestObservations(), await store.listObservations('raw.orders'),
          await store.listLogs('r1'),
        ]
        const before = await snapshot()
        const events = await store.listEvents()
        assert.equal(await store.pruneEvents(at(50)), events.length - 1)
        assert.deepEqual(await store.listEvents(), events.slice(-1))
        assert.deepEqual(await snapshot(), before)
        assert.equal(await store.pruneEvents(at(50)), 0)
        // Ids keep growing after a prune, so readers paging by afterId miss nothing.
        await store.appendLog({ runId: 'r1', assetKey: 'orders', partition: null, level: 'info', message: 'later', at: at(200) })
        assert.ok((await store.listEvents()).at(-1)!.id > events.at(-1)!.id)
      }))
    })

    describe('leases', () => {
      test('acquire: free, conflict, same holder extends, expiry', () => withStore(async (store) => {
        assert.deepEqual(await store.acquireLease('orders', null, 'run-a', 10_000, at(0)), { acquired: true, holder: 'run-a' })
        assert.deepEqual(await store.acquireLease('orders', null, 'run-b', 10_000, at(5)), { acquired: false, holder: 'run-a' })
        // Re-acquiring extends: at 12 the first lease would have expired, the extended one has not.
        assert.equal((await store.acquireLease('orders', null, 'run-a', 10_000, at(8))).acquired, true)
        assert.deepEqual(await store.acquireLease('orders', null, 'run-b', 10_000, at(12)), { acquired: false, holder: 'run-a' })
        // Expires at exactly now + ttl.
        assert.deepEqual(await store.acquireLease('orders', null, 'run-b', 10_000, at(18)), { acquired: true, holder: 'run-b' })
        assert.deepEqual(await store.acquireLease('orders', null, 'run-a', 10_000, at(19)), { acquired: false, holder: 'run-b' })
      }))

      test('partitions null and p1 are separate leases', () => withStore(async (store) => {
        assert.equal((await store.acquireLease('orders', null, 'run-a', 10_000, at(0))).acquired, true)
        assert.equal((await store.acquireLease('orders', 'p1', 'run-b', 10_000, at(0))).acquired, true)
        assert.deepEqual(await store.acquireLease('orders', 'p1', 'run-a', 10_000, at(1)), { acquired: false, holder: 'run-b' })
        assert.equal((await store.acquireLease('users', null, 'run-b', 10_000, at(1))).acquired, true)
      }))

      test('release frees only the holder\'s own lease', () => withStore(async (store) => {
        await store.acquireLease('orders', 'p1', 'run-a', 10_000, at(0))
        await store.releaseLease('orders', 'p1', 'run-b')
        assert.deepEqual(await store.acquireLease('orders', 'p1', 'run-b', 10_000, at(1)), { acquired: false, holder: 'run-a' })
        await store.releaseLease('orders', null, 'run-a')
        assert.equal((await store.acquireLease('orders', 'p1', 'run-b', 10_000, at(1))).acquired, false)
        await store.releaseLease('orders', 'p1', 'run-a')
        assert.equal((await store.acquireLease('orders', 'p1', 'run-b', 10_000, at(1))).acquired, true)
      }))

      test('releaseLeasesOf frees every lease of a holder and no other', () => withStore(async (store) => {
        await store.acquireLease('orders', null, 'run-a', 10_000, at(0))
        await store.acquireLease('orders', 'p1', 'run-a', 10_000, at(0))
        await store.acquireLease('users', null, 'run-b', 10_000, at(0))
        await store.releaseLeasesOf('run-a')
        assert.equal((await store.acquireLease('orders', null, 'run-c', 10_000, at(1))).acquired, true)
        assert.equal((await store.acquireLease('orders', 'p1', 'run-c', 10_000, at(1))).acquired, true)
        assert.deepEqual(await store.acquireLease('users', null, 'run-c', 10_000, at(1)), { acquired: false, holder: 'run-b' })
      }))

      test('startStep takes the lease and records the step in one write, only while the latest materialization is the one decided on', () => withStore(async (store) => {
        await store.createRun(newRun('r1', 0, [{ assetKey: 'orders', partition: 'p1' }]))
        await store.createRun(newRun('r2', 0, [{ assetKey: 'orders', partition: 'p1' }]))
        const running = (runId: string, seconds: number) => ({ runId, assetKey: 'orders', partition: 'p1', status: 'running' as const, at: at(seconds), attempt: 1 })
        const start = (runId: string, seconds: number, lastMaterializationId?: number | null) => store.startStep({
          runId, assetKey: 'orders', partition: 'p1', ttlMs: 10_000, now: at(seconds), update: running(runId, seconds),
          ...(lastMaterializationId === undefined ? {} : { lastMaterializationId }),
        })
        const status = async (runId: string) => (await store.listSteps(runId))[0]!.status
        // Nothing published yet (null): taken and recorded.
        assert.deepEqual(await start('r1', 1, null), { acquired: true, holder: 'r1', stale: false })
        assert.equal(await status('r1'), 'running')
        assert.deepEqual(types(await store.listEvents({ runId: 'r1' })).slice(-1), ['step_running'])
        // Held by r1: r2 records nothing.
        assert.deepEqual(await start('r2', 2, null), { acquired: false, holder: 'r1', stale: false })
        assert.equal(await status('r2'), 'queued')
        // r1 publishes and lets go; r2 decided before that publish: it takes the lease but records nothing.
        const published = await store.completeStep({ step: { ...running('r1', 3), status: 'succeeded', durationMs: 5 }, materialization: materialization('r1', 'orders', 'p1', 3) })
        await store.releaseLease('orders', 'p1', 'r1')
        assert.deepEqual(await start('r2', 4, null), { acquired: true, holder: 'r2', stale: true })
        assert.equal(await status('r2'), 'queued')
        assert.deepEqual(await store.acquireLease('orders', 'p1', 'r1', 10_000, at(5)), { acquired: false, holder: 'r2' })
        // Decided again on the new latest: recorded. Not checking the materialization records too.
        assert.deepEqual(await start('r2', 6, published!.id), { acquired: true, holder: 'r2', stale: false })
        assert.equal(await status('r2'), 'running')
        await store.releaseLease('orders', 'p1', 'r2')
        await store.createRun(newRun('r3', 7, [{ assetKey: 'orders', partition: 'p1' }]))
        assert.deepEqual(await start('r3', 8), { acquired: true, holder: 'r3', stale: false })
        assert.equal(await status('r3'), 'running')
        // Another partition's materialization is not this one's: p2 has none.
        await store.createRun(newRun('r4', 9, [{ assetKey: 'orders', partition: 'p2' }]))
        assert.equal((await store.startStep({ runId: 'r4', assetKey: 'orders', partition: 'p2', ttlMs: 10_000, now: at(9), lastMaterializationId: null })).stale, false)
      }))

      test('renewLeases extends every lease of a holder and no other', () => withStore(async (store) => {
        await store.acquireLease('orders', null, 'run-a', 10_000, at(0))
        await store.acquireLease('orders', 'p1', 'run-a', 10_000, at(0))
        await store.acquireLease('users', null, 'run-b', 10_000, at(0))
        await store.renewLeases('run-a', 10_000, at(8))
        assert.deepEqual(await store.acquireLease('orders', null, 'run-c', 10_000, at(15)), { acquired: false, holder: 'run-a' })
        assert.deepEqual(await store.acquireLease('orders', 'p1', 'run-c', 10_000, at(15)), { acquired: false, holder: 'run-a' })
        assert.equal((await store.acquireLease('users', null, 'run-c', 10_000, at(15))).acquired, true)
        assert.equal((await store.acquireLease('orders', null, 'run-c', 10_000, at(18))).acquired, true)
      }))
    })
  })
}
