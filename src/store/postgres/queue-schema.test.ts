import assert from 'node:assert/strict'
import { test } from 'node:test'
import { queueLogger } from './queue-schema.js'

test("queueLogger: graphile-worker's errors only, each said once per 30 s (numbers aside), across its scopes; others at once", () => {
  const lines: string[] = []
  let now = 0
  const logger = queueLogger((line) => lines.push(line), () => now)
  logger.info('Worker connected and looking for jobs')
  logger.error('Error with notify listener (trying again in 134ms): database "x" does not exist')
  // The same, with other numbers, from another scope, 29.9 s later: not said again.
  now = 29_900
  logger.scope({ label: 'worker' }).error('Error with notify listener (trying again in 358ms): database "x" does not exist')
  logger.error('Error occurred fetching jobs; will try again on next poll interval')
  now = 30_000
  logger.error('Error with notify listener (trying again in 12ms): database "x" does not exist')
  assert.deepEqual(lines, [
    'graphile-worker: Error with notify listener (trying again in 134ms): database "x" does not exist\n',
    'graphile-worker: Error occurred fetching jobs; will try again on next poll interval\n',
    'graphile-worker: Error with notify listener (trying again in 12ms): database "x" does not exist\n',
  ])
})

test('queueLogger: a failed job is said in its first line, without the stack trace; other errors lose their stack frames only', () => {
  const lines: string[] = []
  const logger = queueLogger((line) => lines.push(line), () => 0)
  logger.error(`Failed task 1 (tributary_step, 10951.82ms, attempt 1 of 25) with error 'TRB4020: the store cannot be reached':
  TributaryError: TRB4020: the store cannot be reached
      at asStoreError (/app/open-pool.ts:74:12)
      at async doNext (/app/worker.ts:258:18)`)
  logger.error(`Failed to fail jobs '1':
error: role "w" is not permitted to log in
    at /app/node_modules/pg/lib/client.js:545:17`)
  assert.deepEqual(lines, [
    "graphile-worker: Failed task 1 (tributary_step, 10951.82ms, attempt 1 of 25) with error 'TRB4020: the store cannot be reached'\n",
    'graphile-worker: Failed to fail jobs \'1\':\nerror: role "w" is not permitted to log in\n',
  ])
})
