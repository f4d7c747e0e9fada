import type { StepUpdate } from '../records.js'
import { partitionKey } from '../sqlite/row-mappers.js'
import type { EventParams } from './write-transaction.js'

/** The event a step update appends (`step_<status>`, its payload the update less its key and time). */
export function stepEventOf(update: StepUpdate): EventParams {
  const { runId, assetKey, partition, at, status, ...payload } = update
  return { type: `step_${status}`, at: at.getTime(), runId, assetKey, partition: partitionKey(partition), payload: JSON.stringify(payload) }
}
