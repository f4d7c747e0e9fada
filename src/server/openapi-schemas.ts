// JSON Schemas (OpenAPI 3.1 components) of the shapes in api-types.ts: responses written by hand
// beside them; request bodies generated from the zod schemas that validate them (request-schemas.ts).
import { z } from 'zod'
import { acknowledgeBody, resolveBody, startBackfillBody, startRunBody } from './request-schemas.js'

type Schema = Record<string, unknown>

const string: Schema = { type: 'string' }
const dateTime: Schema = { type: 'string', format: 'date-time' }
const integer: Schema = { type: 'integer' }
const boolean: Schema = { type: 'boolean' }
const nullable = (schema: Schema): Schema => ('$ref' in schema ? { oneOf: [schema, { type: 'null' }] }
  : { ...schema, type: [schema.type, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}) })
const list = (items: Schema): Schema => ({ type: 'array', items })
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values })

/** The JSON Schema of what a request may send, from the zod schema that validates it. */
function fromZod(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Schema
  return json
}

/** A `$ref` to a schema in components. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })

/** An object whose properties are all required unless named in `optional`. */
function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((name) => !optional.includes(name)) }
}

const assetStatus = oneOf('fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running')
const stepStatus = oneOf('queued', 'waiting', 'running', 'succeeded', 'failed', 'blocked', 'skipped', 'canceled')
const runStatus = oneOf('running', 'succeeded', 'failed', 'canceled', 'paused')
const partitionState = oneOf('fresh', 'stale', 'failed', 'missing', 'running')
const nodeType = oneOf('asset', 'sql', 'source')
const errorBody = object({ code: string, message: string, hint: string }, ['hint'])
const edgeKind = oneOf('copy', 'transform', 'filter', 'asset')
const columnEnd = object({ asset: string, column: string })
const columnEdge = object({ from: columnEnd, to: columnEnd, kind: edgeKind })

const summary = {
  key: string, type: nodeType, kind: string, owner: nullable(string), group: nullable(string), tags: list(string),
  description: nullable(string), status: assetStatus, ready: boolean, lastUpdated: nullable(dateTime), reason: string,
  rootCause: nullable(ref('ApiChainLink')), freshness: nullable(string), upstreamCount: integer, downstreamCount: integer,
}

const checkResult = object({
  checkName: string, passed: boolean, severity: oneOf('warn', 'error'), blocking: boolean, failingRows: nullable(integer),
  sample: list({ type: 'object' }), message: nullable(string), runId: string, createdAt: dateTime,
})

const run = object({
  id: string, status: runStatus, selection: string, trigger: string, startedAt: dateTime, finishedAt: nullable(dateTime),
  stepCount: integer, error: nullable(object({ code: string, message: string })), requested: nullable(oneOf('pause', 'cancel')),
})

const step = object({
  assetKey: string, partition: nullable(string), status: stepStatus, attempt: integer, startedAt: nullable(dateTime),
  finishedAt: nullable(dateTime), durationMs: nullable(integer), error: nullable(errorBody), reason: nullable(string),
})

const logLine = {
  partition: nullable(string), attempt: integer, stream: oneOf('log', 'stdout', 'stderr'), level: oneOf('info', 'warn', 'error'),
  message: string, at: dateTime, truncated: nullable(integer),
}

const event: Schema = {
  oneOf: [
    object({ type: { const: 'run_started' }, runId: string, total: integer }),
    object({
      type: { const: 'step' }, runId: string, key: string, partition: nullable(string), status: stepStatus, attempt: integer, reason: nullable(string),
      error: object({ code: string, message: string }), durationMs: integer,
    }, ['error', 'durationMs']),
    object({ type: { const: 'log' }, runId: string, key: string, ...logLine }),
    object({ type: { const: 'run_pausing' }, runId: string }),
    object({ type: { const: 'run_finished' }, runId: string, status: runStatus }),
    object({ type: { const: 'reload' }, ok: boolean, message: string }),
  ],
}

/** Every schema of the API, by the name of its type in api-types.ts. */
export const SCHEMAS: Record<string, Schema> = {
  ApiError: object({ error: errorBody }),
  ApiChainLink: object({ key: string, status: assetStatus, owner: nullable(string), message: string }),
  ApiAssetSummary: object(summary),
  ApiAssetList: object({
    total: integer, items: list(ref('ApiAssetSummary')),
    facets: object({ owners: list(string), tags: list(string), groups: list(string), kinds: list(string) }),
  }),
  ApiAssetDetail: object({
    ...summary,
    io: nullable(oneOf('table', 'files', 'none')), relation: nullable(string), code: nullable(string),
    codeLanguage: nullable(oneOf('sql', 'typescript')), codeVersion: string, columns: list(object({ name: string, type: string })),
    chain: list(ref('ApiChainLink')), reasons: list(object({ type: string, message: string, upstream: string }, ['upstream'])),
    checks: list(object({ name: string, type: string, severity: oneOf('warn', 'error'), blocking: boolean, lastResult: nullable(ref('ApiCheckResult')) })),
    upstream: list(string), downstream: list(string), lastRunId: nullable(string),
  }),
  ApiCheckResult: checkResult,
  ApiMaterialization: object({
    id: integer, runId: string, partition: nullable(string), codeVersion: string, dataVersion: string,
    rowCount: nullable(integer), durationMs: integer, createdAt: dateTime,
  }),
  ApiPartitionStatus: object({
    key: string, partitioned: boolean, cadence: { type: ['string', 'null'], enum: ['hourly', 'daily', 'weekly', 'monthly', 'static', null] }, total: integer,
    counts: object({ fresh: integer, stale: integer, failed: integer, missing: integer, running: integer }),
    partitions: list(object({ key: string, status: partitionState, lastUpdated: nullable(dateTime), runId: nullable(string), reason: nullable(string) })),
    truncated: boolean,
  }),
  ApiLineage: object({
    nodes: list(object({ key: string, kind: string, type: nodeType, status: assetStatus, owner: nullable(string), group: nullable(string) })),
    edges: list(object({ from: string, to: string })),
  }),
  ApiControlPlane: object({ pid: integer, project: string, projectDir: string }),
  ApiColumnLineage: object({ asset: string, column: string, upstream: list(columnEdge), downstream: list(columnEdge) }),
  ApiAssetColumns: object({
    asset: string, columnsKnown: boolean, schemaFrom: { type: ['string', 'null'], enum: ['published', 'observed', 'contract', 'query', null] }, note: nullable(string),
    columns: list(object({
      name: string, type: nullable(string), contract: nullable(object({ type: string, nullable: boolean, description: nullable(string) })), upstream: list(columnEdge), downstream: list(columnEdge),
    })),
    readers: list(object({ asset: string, owner: nullable(string) })),
  }),
  ApiPlan: object({
    added: list(string), removed: list(string),
    changed: list(object({ key: string, owner: nullable(string), deployedVersion: string, version: string, columns: nullable(object({ added: list(string), removed: list(string) })) })),
    breaks: list(object({ asset: string, column: string, readers: list(object({ asset: string, column: string, owner: nullable(string), kind: edgeKind, certain: boolean })) })),
    contractBreaches: list(object({ asset: string, owner: nullable(string), reasons: list(string) })),
    rebuild: list(object({ key: string, why: oneOf('new', 'code changed', 'upstream changed'), lastDurationMs: nullable(integer) })),
    expectedMs: integer, breaking: boolean,
  }),
  ApiWorkers: object({
    queue: boolean,
    version: string,
    workers: list(object({
      id: string, host: string, pid: integer, version: string, concurrency: integer, pools: { type: 'object', additionalProperties: integer },
      state: oneOf('running', 'stopped', 'lost'), startedAt: dateTime, heartbeatAt: dateTime, stoppedAt: nullable(dateTime),
      currentSteps: list(object({ runId: string, assetKey: string, partition: nullable(string), attempt: integer, since: dateTime, waitingForPool: string }, ['waitingForPool'])),
    })),
  }),
  ApiRun: run,
  ApiStep: step,
  ApiRunDetail: object({
    run: ref('ApiRun'), steps: list(ref('ApiStep')),
    logs: list(object({ assetKey: string, ...logLine })),
  }),
  ApiStartRun: fromZod(startRunBody),
  ApiRunStarted: object({ runId: nullable(string), steps: list(string) }),
  ApiRunCanceled: object({ runId: string, canceling: { const: true } }),
  ApiStartBackfill: fromZod(startBackfillBody),
  ApiBackfillStarted: object({
    runId: nullable(string), identity: string, total: integer,
    assets: list(object({ key: string, partitions: integer, first: nullable(string), last: nullable(string) })), alreadyDone: integer, resumes: nullable(string),
  }),
  ApiBackfill: object({
    run: ref('ApiRun'), total: integer, done: integer, counts: { type: 'object', additionalProperties: integer },
    assets: list(object({ key: string, total: integer, done: integer, counts: { type: 'object', additionalProperties: integer } })), etaMs: nullable(integer),
  }),
  ApiReadyItem: object({
    key: string, kind: string, description: nullable(string), owner: nullable(string), ready: boolean, status: assetStatus,
    since: nullable(dateTime), explanation: string, rootCause: nullable(ref('ApiChainLink')), expectedAt: nullable(dateTime),
  }),
  ApiEvent: event,
  ApiIncident: object({
    id: integer, assetKey: string,
    condition: oneOf('source_late', 'schema_drift', 'run_failed', 'check_failed', 'circuit_open', 'sla_breached', 'sla_at_risk'),
    severity: oneOf('info', 'warning', 'critical'), status: oneOf('open', 'acknowledged', 'resolved'), owner: nullable(string), message: string,
    affected: list(string), occurrences: integer, openedAt: dateTime, updatedAt: dateTime, escalatedAt: nullable(dateTime),
    acknowledgedAt: nullable(dateTime), acknowledgedBy: nullable(string), resolvedAt: nullable(dateTime), resolution: nullable(string),
  }),
  ApiAcknowledgeIncident: fromZod(acknowledgeBody),
  ApiResolveIncident: fromZod(resolveBody),
  ApiDelivery: object({
    id: integer, incidentId: integer, assetKey: string, event: oneOf('opened', 'escalated', 'resolved'), sink: string,
    status: oneOf('pending', 'delivered', 'exhausted'), attempts: integer, nextAttemptAt: nullable(dateTime), lastError: nullable(string),
    createdAt: dateTime, settledAt: nullable(dateTime),
  }),
  ApiDecision: object({ id: integer, tickId: string, assetKey: string, requested: boolean, reason: string, runId: nullable(string), at: dateTime }),
  ApiSensorTriggered: object({ runId: string, steps: list(string) }),
  ApiHealth: object({ ok: { const: true }, project: string, assets: integer, role: oneOf('operator', 'read') }),
}
