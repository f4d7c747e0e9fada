import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { openWaiting } from './warehouse-wait.js'

const locked = (hint = 'Another Tributary process (PID 4242) is using the warehouse; wait for it to finish or stop it, then try again.') =>
  new TributaryError(ErrorCode.WarehouseLocked, 'the DuckDB warehouse /p/w.duckdb is locked', { hint, retryable: true })

/** An open that fails with `errors` in turn, then succeeds. */
function opener(errors: Error[]) {
  let calls = 0
  return { open: async () => (calls < errors.length ? Promise.reject(errors[calls++]) : (calls++, 'warehouse')), calls: () => calls }
}

test('waits while another process holds the warehouse, saying who whenever it changes, then opens', async () => {
  const { open, calls } = opener([locked(), locked(), locked()])
  const said: string[] = []
  const pids: (number | undefined)[] = []
  let step = 0
  const describe = async (pid: number | undefined) => {
    pids.push(pid)
    return `run r1 (cli, pid ${pid}): ${step++ < 2 ? 0 : 1}/2 steps done`
  }
  assert.equal(await openWaiting(open, { pollMs: 1, describe, onWait: (holder) => said.push(holder) }), 'warehouse')
  assert.equal(calls(), 4)
  assert.deepEqual(pids, [4242, 4242, 4242])
  assert.deepEqual(said, ['run r1 (cli, pid 4242): 0/2 steps done', 'run r1 (cli, pid 4242): 1/2 steps done'])
})

test('fails at once with timeoutMs 0, for other errors, and when this process holds the file', async () => {
  await assert.rejects(openWaiting(opener([locked()]).open, { timeoutMs: 0 }), (error: TributaryError) => error.code === ErrorCode.WarehouseLocked && !/gave up/.test(error.message))
  await assert.rejects(openWaiting(opener([new Error('disk full')]).open, { pollMs: 1 }), /disk full/)
  const self = opener([locked('This process already has the warehouse open; close that DuckDbWarehouse first or share it.')])
  await assert.rejects(openWaiting(self.open, { pollMs: 1 }), (error: TributaryError) => error.code === ErrorCode.WarehouseLocked)
  assert.equal(self.calls(), 1)
})

test('gives up with TRB5001 after the timeout, or when the signal aborts, saying it waited', async () => {
  const forever = async () => Promise.reject(locked())
  await assert.rejects(openWaiting(forever, { pollMs: 5, timeoutMs: 30 }), (error: TributaryError) => error.code === ErrorCode.WarehouseLocked && /gave up waiting/.test(error.message))
  const controller = new AbortController()
  const waiting = openWaiting(forever, { pollMs: 60_000, signal: controller.signal, onWait: () => controller.abort() })
  await assert.rejects(waiting, /gave up waiting/)
})
