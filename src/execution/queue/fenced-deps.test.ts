import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EngineDeps } from '../../engine/engine-deps.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { LogRecord } from '../../store/records.js'
import type { StepJob, StepQueue } from '../../store/step-queue.js'
import type { StepCompletion } from '../../store/store.js'
import type { PublishOptions } from '../../warehouse/warehouse.js'
import { fencedDeps, raiseClaimFence } from './fenced-deps.js'

const job: StepJob = { runId: 'run-1', assetKey: 'raw/orders', partition: null, attempt: 2, codeVersion: 'c', pool: null, inputs: { values: {}, versions: {} } }

// Just the slice of the deps the raise uses: the asset's relation, the warehouse's raise, the store's log.
function depsRaising(raise: (options: { readonly lockTimeoutMs?: number } | undefined) => Promise<boolean>) {
  const logs: LogRecord[] = []
  const timeouts: (number | undefined)[] = []
  const deps = {
    graph: { nodes: new Map([['raw/orders', { relation: { schema: 'raw', name: 'orders' } }]]) },
    warehouse: {
      raiseFence: (_asset: string, _partition: string | null, _fence: number, options?: { readonly lockTimeoutMs?: number }) => {
        timeouts.push(options?.lockTimeoutMs)
        return raise(options)
      },
    },
    store: { appendLog: async (log: LogRecord) => { logs.push(log) } },
  } as unknown as EngineDeps
  return { deps, logs, timeouts }
}

test('raiseClaimFence: raised within the lock timeout (default 2 s), nothing logged', async () => {
  const { deps, logs, timeouts } = depsRaising(async () => true)
  await raiseClaimFence(deps, job, 7, 'w1')
  assert.deepEqual(timeouts, [2000])
  assert.deepEqual(logs, [])
})

test("raiseClaimFence: a fence row locked past the timeout (a stalled publish) lets the attempt run, said in the step's log", async () => {
  const { deps, logs } = depsRaising(async () => false)
  await raiseClaimFence(deps, job, 7, 'w1', 50)
  assert.equal(logs.length, 1)
  assert.equal(logs[0]!.level, 'warn')
  assert.equal(logs[0]!.attempt, 2)
  assert.match(logs[0]!.message, /^worker w1: older attempts of raw\/orders are not refused early for attempt 2 \(fence 7\): a publish of it under way held its fence in the warehouse for longer than 50 ms; its publish still checks the fence/)
})

test("raiseClaimFence: an unreachable warehouse (TRB5020) lets the attempt run, said in the step's log", async () => {
  const { deps, logs } = depsRaising(async () => {
    throw new TributaryError(ErrorCode.WarehouseUnreachable, 'cannot reach the PostgreSQL warehouse at postgres://h/db: ECONNREFUSED', { retryable: true })
  })
  await raiseClaimFence(deps, job, 7, 'w1')
  assert.equal(logs.length, 1)
  assert.match(logs[0]!.message, /not refused early for attempt 2 \(fence 7\): the warehouse could not be reached \(cannot reach the PostgreSQL warehouse at postgres:\/\/h\/db: ECONNREFUSED\)/)
})

test('raiseClaimFence: any other failure (a refused privilege) is thrown, naming the asset and fence, keeping code, retry intent and cause', async () => {
  const cause = new TributaryError(ErrorCode.WarehouseQuery, 'PostgreSQL query failed: permission denied for schema _tributary (SQLSTATE 42501)', { retryable: false, hint: 'Fix it.' })
  const { deps, logs } = depsRaising(async () => {
    throw cause
  })
  await assert.rejects(raiseClaimFence(deps, job, 7, 'w1'), (error: unknown) => {
    assert.ok(error instanceof TributaryError)
    assert.equal(error.code, ErrorCode.WarehouseQuery)
    assert.equal(error.message, 'TRB5002: raising the warehouse fence of raw/orders to 7 failed, so attempt 2 did not run: PostgreSQL query failed: permission denied for schema _tributary (SQLSTATE 42501)')
    assert.equal(error.retryable, false)
    assert.equal(error.cause, cause)
    assert.deepEqual(error.context, { runId: 'run-1', assetKey: 'raw/orders' })
    return true
  })
  assert.deepEqual(logs, [])
})

test('raiseClaimFence: an asset with no warehouse relation raises nothing', async () => {
  const { deps, timeouts } = depsRaising(async () => true)
  await raiseClaimFence(deps, { ...job, assetKey: 'other' }, 7, 'w1')
  assert.deepEqual(timeouts, [])
})

// A queue that records what the fenced deps ask of it, and a session whose publish calls beforeCommit as a warehouse does.
function fencedFakes(holdRefused = false) {
  const calls: string[] = []
  const queue = {
    holdFence: async (ref: { assetKey: string }, fence: number) => {
      calls.push(`hold ${ref.assetKey} ${fence}`)
      if (holdRefused) throw new TributaryError(ErrorCode.StaleAttempt, 'stale')
      return {
        complete: async () => {
          calls.push('complete under the hold')
          return undefined
        },
        release: async () => {
          calls.push('release')
        },
      }
    },
    completeFenced: async (_completion: unknown, fence: number) => {
      calls.push(`completeFenced ${fence}`)
      return undefined
    },
  } as unknown as StepQueue
  const session = {
    publish: async (_staging: unknown, _target: unknown, meta: { fence?: number }, options?: PublishOptions) => {
      calls.push(`publish fence ${meta.fence}`)
      await options?.beforeCommit?.()
      calls.push('warehouse commit')
    },
    close: async () => undefined,
  }
  const deps = { store: {}, warehouse: { dialect: 'postgres', session: async () => session } } as unknown as EngineDeps
  return { calls, queue, deps }
}

const completion = { step: { runId: 'run-1', assetKey: 'raw/orders', partition: null, status: 'succeeded', attempt: 2, at: new Date(0), durationMs: 1, error: null, reason: null } } as StepCompletion
const meta = { assetKey: 'raw/orders', partition: null, runId: 'run-1', dataVersion: 'd', rowCount: 1 }
const relation = { schema: 'raw', name: 'orders' }

test('fencedDeps: a publish holds the step before its warehouse commit, and the completion goes through that hold', async () => {
  const { calls, queue, deps } = fencedFakes()
  const fenced = fencedDeps(deps, queue, 7)
  await (await fenced.deps.warehouse.session()).publish(relation, relation, meta)
  await fenced.deps.store.completeStep(completion)
  await fenced.release()
  assert.deepEqual(calls, ['publish fence 7', 'hold raw/orders 7', 'warehouse commit', 'complete under the hold'])
})

test('fencedDeps: an attempt that publishes nothing holds nothing: its completion is completeFenced', async () => {
  const { calls, queue, deps } = fencedFakes()
  const fenced = fencedDeps(deps, queue, 7)
  await fenced.deps.store.completeStep(completion)
  await fenced.release()
  assert.deepEqual(calls, ['completeFenced 7'])
})

test('fencedDeps: a hold refused (stale) refuses the publish before its commit; a hold left open (failure after the publish) is released once', async () => {
  const refused = fencedFakes(true)
  const stale = fencedDeps(refused.deps, refused.queue, 7)
  await assert.rejects((await stale.deps.warehouse.session()).publish(relation, relation, meta), (error: unknown) => error instanceof TributaryError && error.code === ErrorCode.StaleAttempt)
  await stale.release()
  assert.deepEqual(refused.calls, ['publish fence 7', 'hold raw/orders 7'])
  const { calls, queue, deps } = fencedFakes()
  const fenced = fencedDeps(deps, queue, 7)
  await (await fenced.deps.warehouse.session()).publish(relation, relation, meta)
  await fenced.release()
  await fenced.release()
  assert.deepEqual(calls, ['publish fence 7', 'hold raw/orders 7', 'warehouse commit', 'release'])
})
