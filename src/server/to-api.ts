// Maps the library's records to the API's JSON shapes (api-types.ts). Pure.
import type { GraphNode } from '../graph/asset-graph.js'
import { kindOf } from '../graph/selection.js'
import type { AssetStatusRecord } from '../engine/status.js'
import type { RunDetail } from '../instance/tributary.js'
import type { SerializedError } from '../model/errors.js'
import type { CheckResultRecord, MaterializationRecord, RunRecord, StepRecord } from '../store/records.js'
import type {
  ApiAssetSummary, ApiBackfill, ApiCheckResult, ApiMaterialization, ApiReadyItem, ApiRun, ApiRunDetail, ApiStep,
} from './api-types.js'
import type { BackfillProgress } from '../engine/backfill-progress.js'

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null)

/** An asset or source as the catalog lists it. */
export function toAssetSummary(node: GraphNode, status: AssetStatusRecord): ApiAssetSummary {
  const def = node.def
  return {
    key: node.key,
    type: def.type,
    kind: kindOf(node),
    owner: def.owner ?? null,
    group: def.group ?? null,
    tags: def.tags ?? [],
    description: def.description ?? null,
    status: status.status,
    ready: status.ready,
    lastUpdated: iso(status.lastUpdated),
    reason: status.ready ? '' : status.reasons.map((r) => r.message).join('; ') || status.status,
    rootCause: status.rootCause,
    freshness: describeFreshness(node),
    upstreamCount: node.upstream.length,
    downstreamCount: node.downstream.length,
  }
}

/** The freshness policy in words: "maxAge 26h", "daily by 07:00 Europe/London", or null. */
export function describeFreshness(node: GraphNode): string | null {
  const policy = node.def.freshness
  if (!policy) return null
  const parts: string[] = []
  if (policy.maxAge !== undefined) parts.push(`maxAge ${policy.maxAge}`)
  if (policy.deadline !== undefined) parts.push(`daily by ${policy.deadline} ${policy.timezone ?? 'UTC'}`)
  return parts.join(', ') || null
}

/** A business-facing output on the readiness board, explained in plain words. */
export function toReadyItem(node: GraphNode, status: AssetStatusRecord, expectedAt: Date | null = null): ApiReadyItem {
  return {
    key: node.key,
    kind: kindOf(node),
    description: node.def.description ?? null,
    owner: node.def.owner ?? null,
    ready: status.ready,
    status: status.status,
    since: iso(status.lastUpdated),
    explanation: explain(status),
    rootCause: status.rootCause,
    expectedAt: iso(expectedAt),
  }
}

/** "Ready." or "Not ready: landing/crm_accounts is late (owner team:crm)." — from the root cause. */
export function explain(status: AssetStatusRecord): string {
  if (status.ready) return status.lastUpdated ? `Ready: updated ${status.lastUpdated.toISOString()}.` : 'Ready.'
  const root = status.rootCause ?? { key: status.key, status: status.status, owner: status.owner, message: '' }
  if (root.status === 'running') return `Not ready: ${root.key} is being updated now.`
  return `Not ready: ${root.key} is ${root.status}${root.owner ? ` (owner ${root.owner})` : ''}.`
}

/** One publish of an asset, as listed by /api/materializations. */
export function toMaterialization(record: MaterializationRecord): ApiMaterialization {
  return {
    id: record.id, runId: record.runId, partition: record.partition, codeVersion: record.codeVersion, dataVersion: record.dataVersion,
    rowCount: record.rowCount, durationMs: record.durationMs, createdAt: record.createdAt.toISOString(),
  }
}

/** One evaluation of a check. */
export function toCheckResult(record: CheckResultRecord): ApiCheckResult {
  return {
    checkName: record.checkName, passed: record.passed, severity: record.severity, blocking: record.blocking,
    failingRows: record.failingRows, sample: record.sample, message: record.message, runId: record.runId,
    createdAt: record.createdAt.toISOString(),
  }
}

/** A run as listed (its error without hint or context). */
export function toRun(record: RunRecord): ApiRun {
  return {
    id: record.id, status: record.status, selection: record.selection, trigger: record.trigger,
    startedAt: record.startedAt.toISOString(), finishedAt: iso(record.finishedAt), stepCount: record.stepCount,
    error: record.error ? { code: record.error.code, message: record.error.message } : null, requested: record.requested,
  }
}

/** A backfill run with its progress. */
export function toBackfill(progress: BackfillProgress): ApiBackfill {
  return { run: toRun(progress.run), total: progress.total, done: progress.done, counts: progress.counts, assets: progress.assets, etaMs: progress.etaMs }
}

/** One step of a run. */
export function toStep(record: StepRecord): ApiStep {
  return {
    assetKey: record.assetKey, partition: record.partition, status: record.status, attempt: record.attempt,
    startedAt: iso(record.startedAt), finishedAt: iso(record.finishedAt), durationMs: record.durationMs,
    error: record.error ? toError(record.error) : null, reason: record.reason,
  }
}

/** A run with its steps and logs (GET /api/runs/{id}). */
export function toRunDetail(detail: RunDetail): ApiRunDetail {
  return {
    run: toRun(detail.run),
    steps: detail.steps.map(toStep),
    logs: detail.logs.map((log) => ({
      assetKey: log.assetKey, partition: log.partition, attempt: log.attempt ?? 0, stream: log.stream ?? 'log', level: log.level,
      message: log.message, at: log.at.toISOString(), truncated: log.truncated ?? null,
    })),
  }
}

function toError(error: SerializedError): { code: string; message: string; hint?: string } {
  return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
}
