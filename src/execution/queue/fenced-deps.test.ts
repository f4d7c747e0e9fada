import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EngineDeps } from '../../engine/engine-deps.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { LogRecord } from '../../store/records.js'
import type { StepJob } from '../../store/step-queue.js'
import { raiseClaimFence } from './fenced-deps.js'

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
