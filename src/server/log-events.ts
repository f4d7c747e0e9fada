// Maps entries of the store's event log to the API's live events. Pure.
import type { EventRecord, LogStream, RunStatus, StepStatus } from '../store/records.js'
import type { SerializedError } from '../model/errors.js'
import type { ApiEvent } from './api-types.js'

const STEP_PREFIX = 'step_'

/**
 * The live event for one entry of the event log, or undefined for entries the live views do
 * not follow (materializations, check results and observations are read from their routes).
 */
export function apiEventOf(record: EventRecord): ApiEvent | undefined {
  const payload = record.payload
  const runId = record.runId
  if (runId === null) return undefined
  if (record.type === 'run_started') return { type: 'run_started', runId, total: Array.isArray(payload.steps) ? payload.steps.length : 0 }
  if (record.type === 'run_finished') return { type: 'run_finished', runId, status: payload.status as RunStatus }
  if (record.type === 'run_requested') return payload.request === 'pause' ? { type: 'run_pausing', runId } : undefined
  if (record.type === 'log' && record.assetKey !== null) {
    return {
      type: 'log', runId, key: record.assetKey, partition: record.partition, attempt: numberOr(payload.attempt, 0),
      stream: (payload.stream as LogStream | undefined) ?? 'log', level: payload.level as 'info' | 'warn' | 'error',
      message: String(payload.message), at: record.at.toISOString(), truncated: typeof payload.truncated === 'number' ? payload.truncated : null,
    }
  }
  if (record.type.startsWith(STEP_PREFIX) && record.assetKey !== null) {
    const error = payload.error as SerializedError | null | undefined
    return {
      type: 'step', runId, key: record.assetKey, partition: record.partition, status: record.type.slice(STEP_PREFIX.length) as StepStatus,
      attempt: numberOr(payload.attempt, 0), reason: typeof payload.reason === 'string' ? payload.reason : null,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
      ...(typeof payload.durationMs === 'number' ? { durationMs: payload.durationMs } : {}),
    }
  }
  return undefined
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback
}
