import { FINAL_STEP_STATUSES, type StepUpdate } from '../records.js'
import { jsonOrNull, partitionKey } from '../sqlite/row-mappers.js'
import type { EventParams } from './write-transaction.js'

/** The parameters of stepUpdate (statements.ts) for `update`. */
export function stepUpdateParams(update: StepUpdate) {
  return {
    runId: update.runId,
    assetKey: update.assetKey,
    partition: partitionKey(update.partition),
    status: update.status,
    at: update.at.getTime(),
    attempt: update.attempt ?? null,
    final: FINAL_STEP_STATUSES.has(update.status) ? 1 : 0,
    hasDuration: update.durationMs === undefined ? 0 : 1,
    durationMs: update.durationMs ?? null,
    error: jsonOrNull(update.error),
    reason: update.reason ?? null,
  }
}

/** The event a step update appends (`step_<status>`, its payload the update less its key and time). */
export function stepEventOf(update: StepUpdate): EventParams {
  const { runId, assetKey, partition, at, status, ...payload } = update
  return { type: `step_${status}`, at: at.getTime(), runId, assetKey, partition: partitionKey(partition), payload: JSON.stringify(payload) }
}
