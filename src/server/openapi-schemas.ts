// The HTTP API's JSON shapes, declared once as zod schemas: api-types.ts derives the TypeScript
// types from them, and the OpenAPI 3.1 components are their JSON Schemas. Request bodies come from
// the zod schemas that validate them (request-schemas.ts). Dates travel as ISO-8601 strings.
import { z } from 'zod'
import { acknowledgeBody, resolveBody, startBackfillBody, startRunBody } from './request-schemas.js'

type Schema = Record<string, unknown>

const string = z.string()
const dateTime = z.iso.datetime()
const integer = z.int()
const boolean = z.boolean()
const list = z.array
const oneOf = <const T extends readonly [string, ...string[]]>(...values: T) => z.enum(values)

/** Status of an asset or source. */
export const assetStatus = oneOf('fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running')
/** State of one step inside a run. */
export const stepStatus = oneOf('queued', 'waiting', 'running', 'succeeded', 'failed', 'blocked', 'skipped', 'canceled')
/** State of a run. */
export const runStatus = oneOf('running', 'succeeded', 'failed', 'canceled', 'paused')
/** State of one partition: published and current, published from old code or inputs, failed, never built, or being built. */
export const partitionState = oneOf('fresh', 'stale', 'failed', 'missing', 'running')
/** Lifecycle of an incident. */
export const incidentStatus = oneOf('open', 'acknowledged', 'resolved')
const nodeType = oneOf('asset', 'sql', 'source')
const severity = oneOf('warn', 'error')
const errorBody = z.object({ code: string, message: string, hint: string.optional() })

/** One link of a reason chain, from the asset down to the root cause. */
const chainLink = z.object({ key: string, status: assetStatus, owner: string.nullable(), message: string })

/** An asset or source as listed in the catalog. */
const assetSummary = z.object({
  key: string,
  /** 'asset' (TypeScript), 'sql' or 'source'. */
  type: nodeType,
  /** What it is to people: table, model, dashboard, report, extract, source, … */
  kind: string,
  owner: string.nullable(),
  group: string.nullable(),
  tags: list(string),
  description: string.nullable(),
  status: assetStatus,
  ready: boolean,
  lastUpdated: dateTime.nullable(),
  /** One line: why it is not ready ('' when ready). */
  reason: string,
  rootCause: chainLink.nullable(),
  /** e.g. "maxAge 26h" or "daily by 07:00 Europe/London"; null when it has no policy. */
  freshness: string.nullable(),
  upstreamCount: integer,
  downstreamCount: integer,
})

/** One evaluation of a check. */
const checkResult = z.object({
  checkName: string, passed: boolean, severity, blocking: boolean, failingRows: integer.nullable(),
  sample: list(z.record(string, z.unknown())), message: string.nullable(), runId: string, createdAt: dateTime,
})

/** A check declared on an asset, with its latest result. */
export const check = z.object({ name: string, type: string, severity, blocking: boolean, lastResult: checkResult.nullable() })

/** One partition of an asset. */
export const partition = z.object({
  /** `2026-03-01`, `2026-03-01T05`, `2026-W09`, `2026-03`, or a static key such as `eu`. */
  key: string,
  status: partitionState,
  /** When its current data was published; null when never. */
  lastUpdated: dateTime.nullable(),
  /** The run of its latest step (the failing or active one when it failed or is running), else of its data; null when none. */
  runId: string.nullable(),
  /** Why its latest attempt failed, was blocked or was skipped since it was last published ("skipped: upstream raw/payments@2026-03-03 failed"); null otherwise. */
  reason: string.nullable(),
})

const columnEnd = z.object({ asset: string, column: string })
/** One edge of column lineage: `to` derives from `from`; column `*` is the whole asset (TypeScript code, traced per asset only). */
export const columnEdge = z.object({ from: columnEnd, to: columnEnd, kind: oneOf('copy', 'transform', 'filter', 'asset') })

/** A run as listed. */
const run = z.object({
  id: string, status: runStatus, selection: string, trigger: string, startedAt: dateTime, finishedAt: dateTime.nullable(),
  stepCount: integer, error: z.object({ code: string, message: string }).nullable(),
  /** A pause or cancel asked for and not yet acted on by the run's process. */
  requested: oneOf('pause', 'cancel').nullable(),
})

/** One step of a run. */
const step = z.object({
  assetKey: string, partition: string.nullable(), status: stepStatus, attempt: integer, startedAt: dateTime.nullable(),
  finishedAt: dateTime.nullable(), durationMs: integer.nullable(), error: errorBody.nullable(), reason: string.nullable(),
})

/** One log line of a step: `ctx.log`, or its stdout/stderr. */
export const logLine = z.object({
  assetKey: string,
  partition: string.nullable(),
  /** The step's attempt that wrote it (1 for the first; 0 when not tied to an attempt). */
  attempt: integer,
  stream: oneOf('log', 'stdout', 'stderr'),
  level: oneOf('info', 'warn', 'error'),
  message: string,
  at: dateTime,
  /** Only on the marker line of a step attempt whose log passed its limit: how many lines were dropped; else null. */
  truncated: integer.nullable(),
})

/**
 * Server-Sent Events on `GET /api/events`: event name = `type`, data = JSON of the object, and
 * `id:` = the event's id in the store's event log (reload events have none). A step event that
 * ends a step carries its `durationMs`, and its `error` when it failed.
 */
const event = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run_started'), runId: string, total: integer }),
  z.object({
    type: z.literal('step'), runId: string, key: string, partition: string.nullable(), status: stepStatus, attempt: integer, reason: string.nullable(),
    error: z.object({ code: string, message: string }).optional(), durationMs: integer.optional(),
  }),
  z.object({ type: z.literal('log'), runId: string, key: string, ...logLine.omit({ assetKey: true }).shape }),
  z.object({ type: z.literal('run_pausing'), runId: string }),
  z.object({ type: z.literal('run_finished'), runId: string, status: runStatus }),
  z.object({ type: z.literal('reload'), ok: boolean, message: string }),
])

/** One worker of the fleet in `GET /api/workers` (`executor: queue()`), as it last reported. */
export const worker = z.object({
  id: string,
  host: string,
  pid: integer,
  /** Tributary's version and the project's code version: `0.1.0+3f2a9c01b7d4`. */
  version: string,
  concurrency: integer,
  pools: z.record(string, integer),
  /** 'running'; 'stopped' when it ended cleanly; 'lost' when its lease expired and its steps went to other workers. */
  state: oneOf('running', 'stopped', 'lost'),
  startedAt: dateTime,
  heartbeatAt: dateTime,
  stoppedAt: dateTime.nullable(),
  /** `waitingForPool`: the step waits for a place in that pool on this worker (its `--pools` limit is full); absent once it runs. */
  currentSteps: list(z.object({ runId: string, assetKey: string, partition: string.nullable(), attempt: integer, since: dateTime, waitingForPool: string.optional() })),
})

/** An object with one count per value of `values`. */
function countsOf<const K extends string>(values: readonly K[]) {
  return z.object(Object.fromEntries(values.map((value) => [value, integer])) as { [V in K]: typeof integer })
}

/** The API's response shapes, by the name of their type in api-types.ts: the OpenAPI document's components. */
export const RESPONSES = {
  /** Every error response: `{ "error": { "code": "TRB…", "message": "…", "hint"?: "…" } }`. */
  ApiError: z.object({ error: errorBody }),
  ApiChainLink: chainLink,
  ApiAssetSummary: assetSummary,
  /** `GET /api/assets?q=&owner=&tag=&group=&kind=&status=&limit=&offset=` */
  ApiAssetList: z.object({
    total: integer, items: list(assetSummary),
    /** Distinct values for the filter menus. */
    facets: z.object({ owners: list(string), tags: list(string), groups: list(string), kinds: list(string) }),
  }),
  /** `GET /api/assets/{key}` (the key keeps its slashes). */
  ApiAssetDetail: assetSummary.extend({
    io: oneOf('table', 'files', 'none').nullable(),
    /** `schema.table` for warehouse tables. */
    relation: string.nullable(),
    /** The SQL of a SQL asset; the function source of a TypeScript asset. */
    code: string.nullable(),
    codeLanguage: oneOf('sql', 'typescript').nullable(),
    codeVersion: string,
    columns: list(z.object({ name: string, type: string })),
    chain: list(chainLink),
    reasons: list(z.object({ type: string, message: string, upstream: string.optional() })),
    checks: list(check),
    upstream: list(string),
    downstream: list(string),
    lastRunId: string.nullable(),
  }),
  ApiCheckResult: checkResult,
  /** `GET /api/materializations?key=&limit=` — newest first. */
  ApiMaterialization: z.object({
    id: integer, runId: string, partition: string.nullable(), codeVersion: string, dataVersion: string,
    rowCount: integer.nullable(), durationMs: integer, createdAt: dateTime,
  }),
  /** `GET /api/partitions?key=`: which partitions of an asset are in which state. */
  ApiPartitionStatus: z.object({
    key: string,
    /** False for an unpartitioned asset or a source: then counts are zero and partitions empty. */
    partitioned: boolean,
    /** 'hourly' | 'daily' | 'weekly' | 'monthly' for time windows, 'static' for a fixed set; null when not partitioned. */
    cadence: oneOf('hourly', 'daily', 'weekly', 'monthly', 'static').nullable(),
    /** How many partitions exist by now (static keys, or time windows that have ended). */
    total: integer,
    /** Over every partition, including those left out of `partitions`. */
    counts: countsOf(partitionState.options),
    /** In key order, newest last: the 400 most recent. */
    partitions: list(partition),
    /** True when older partitions were left out of `partitions`. */
    truncated: boolean,
  }),
  /** `GET /api/lineage?key=&direction=upstream|downstream|both&depth=` (no key: the whole graph). */
  ApiLineage: z.object({
    nodes: list(z.object({ key: string, kind: string, type: nodeType, status: assetStatus, owner: string.nullable(), group: string.nullable() })),
    edges: list(z.object({ from: string, to: string })),
  }),
  /** `GET /api/control-plane`: the process serving, so a client can check an advertisement in `.tributary/control-plane.json`. */
  ApiControlPlane: z.object({ pid: integer, project: string, projectDir: string }),
  /** `GET /api/lineage/columns?asset=&column=`: one column's sources and readers, transitively. */
  ApiColumnLineage: z.object({ asset: string, column: string, upstream: list(columnEdge), downstream: list(columnEdge) }),
  /** `GET /api/lineage/columns?asset=` (no column): each column with its direct sources and readers. */
  ApiAssetColumns: z.object({
    asset: string,
    /** False until the asset is published (a source observed) or declares a contract, and its SQL names no columns. */
    columnsKnown: boolean,
    /** Where the columns are known from; `query`: the output names of its SQL (no types). */
    schemaFrom: oneOf('published', 'observed', 'contract', 'query').nullable(),
    /** Why nothing finer is shown, when the columns are not known. */
    note: string.nullable(),
    columns: list(z.object({
      name: string,
      type: string.nullable(),
      /** What the asset's contract guarantees of this column; null when it guarantees nothing of it. */
      contract: z.object({ type: string, nullable: boolean, description: string.nullable() }).nullable(),
      upstream: list(columnEdge),
      downstream: list(columnEdge),
    })),
    /** Who reads the asset, at asset granularity, with owners. */
    readers: list(z.object({ asset: string, owner: string.nullable() })),
  }),
  /** `POST /api/plan`: the working tree against what is deployed. */
  ApiPlan: z.object({
    added: list(string), removed: list(string),
    changed: list(z.object({ key: string, owner: string.nullable(), deployedVersion: string, version: string, columns: z.object({ added: list(string), removed: list(string) }).nullable() })),
    breaks: list(z.object({ asset: string, column: string, readers: list(z.object({ asset: string, column: string, owner: string.nullable(), kind: columnEdge.shape.kind, certain: boolean })) })),
    contractBreaches: list(z.object({ asset: string, owner: string.nullable(), reasons: list(string) })),
    rebuild: list(z.object({ key: string, why: oneOf('new', 'code changed', 'upstream changed'), lastDurationMs: integer.nullable() })),
    expectedMs: integer, breaking: boolean,
  }),
  /** `GET /api/workers`: the fleet, running workers first; empty when the project runs steps locally. */
  ApiWorkers: z.object({
    /** Whether the project's config says `executor: queue()`. */
    queue: boolean,
    /** This server's version, as workers report theirs: a worker with another one runs other code and refuses this project's steps (TRB7002). */
    version: string,
    workers: list(worker),
  }),
  ApiRun: run,
  ApiStep: step,
  /** `GET /api/runs/{id}` */
  ApiRunDetail: z.object({
    run, steps: list(step),
    /** Oldest first; bounded per step attempt (a marker line with `truncated` says how many lines were dropped). */
    logs: list(logLine),
  }),
  /** `POST /api/runs` answer (202, or 200 for a dry run). */
  ApiRunStarted: z.object({ runId: string.nullable(), steps: list(string) }),
  /** `POST /api/runs/{id}/cancel` answer (202): cancellation was requested; `run_finished` follows on /api/events. */
  ApiRunCanceled: z.object({ runId: string, canceling: z.literal(true) }),
  /** `POST /api/backfills` answer: 202 when started, 200 for a dry run or when there is nothing to do (runId null). */
  ApiBackfillStarted: z.object({
    runId: string.nullable(),
    /** The backfill's identity, stored as its run's selection. */
    identity: string,
    total: integer,
    /** Steps per asset, in dependency order. */
    assets: list(z.object({ key: string, partitions: integer, first: string.nullable(), last: string.nullable() })),
    /** Partitions left out because an interrupted attempt of the same backfill already published them. */
    alreadyDone: integer,
    /** The interrupted backfill run this one continues. */
    resumes: string.nullable(),
  }),
  /** One backfill run and its progress (`GET /api/backfills`, `GET /api/backfills/{id}`). */
  ApiBackfill: z.object({
    run,
    total: integer,
    /** Steps settled for good: succeeded, failed, blocked or skipped (canceled ones are left for a resume). */
    done: integer,
    counts: z.record(stepStatus, integer),
    assets: list(z.object({ key: string, total: integer, done: integer, counts: z.partialRecord(stepStatus, integer) })),
    /** Estimated time left while it runs; null otherwise. */
    etaMs: integer.nullable(),
  }),
  /** `GET /api/ready`: the business-facing outputs (kinds dashboard/report/extract, or tag 'business'). */
  ApiReadyItem: z.object({
    key: string, kind: string, description: string.nullable(), owner: string.nullable(), ready: boolean, status: assetStatus,
    /** When it last updated (ready since). */
    since: dateTime.nullable(),
    /** Plain words: "Not ready: the CRM export (landing/crm_accounts) is late." */
    explanation: string,
    rootCause: chainLink.nullable(),
    /** Predicted ready time when not ready (from typical durations along its upstream critical path); null when ready or unpredictable. */
    expectedAt: dateTime.nullable(),
  }),
  ApiEvent: event,
  /** `GET /api/incidents`: one problem (asset + condition), routed to the owner of its root cause. */
  ApiIncident: z.object({
    id: integer,
    assetKey: string,
    condition: oneOf('source_late', 'schema_drift', 'run_failed', 'check_failed', 'circuit_open', 'sla_breached', 'sla_at_risk'),
    severity: oneOf('info', 'warning', 'critical'),
    status: incidentStatus,
    /** Who is paged: the owner of the root cause. */
    owner: string.nullable(),
    message: string,
    /** The downstream outputs it affects. */
    affected: list(string),
    occurrences: integer,
    openedAt: dateTime,
    updatedAt: dateTime,
    escalatedAt: dateTime.nullable(),
    acknowledgedAt: dateTime.nullable(),
    acknowledgedBy: string.nullable(),
    resolvedAt: dateTime.nullable(),
    resolution: string.nullable(),
  }),
  /** One notification of an incident to one sink, from the outbox (`GET /api/deliveries`). */
  ApiDelivery: z.object({
    id: integer,
    incidentId: integer,
    assetKey: string,
    event: oneOf('opened', 'escalated', 'resolved'),
    sink: string,
    /** pending: waiting for (another) attempt; delivered; exhausted: out of attempts, never retried. */
    status: oneOf('pending', 'delivered', 'exhausted'),
    /** Attempts made, the first included. */
    attempts: integer,
    /** Pending only: when the next attempt may start. */
    nextAttemptAt: dateTime.nullable(),
    lastError: string.nullable(),
    createdAt: dateTime,
    settledAt: dateTime.nullable(),
  }),
  /** `GET /api/decisions`: one automation decision about one asset at one tick. */
  ApiDecision: z.object({
    id: integer, tickId: string, assetKey: string, requested: boolean,
    /** "requested because raw/crm updated at 05:12", "waiting for raw/crm, which is late". */
    reason: string,
    runId: string.nullable(),
    at: dateTime,
  }),
  /** `POST /api/sensors/{name}`: the run a webhook sensor's event started. */
  ApiSensorTriggered: z.object({ runId: string, steps: list(string) }),
  /** `GET /api/health` */
  ApiHealth: z.object({
    ok: z.literal(true), project: string, assets: integer,
    /** The caller's role: 'operator' may start and cancel runs. */
    role: oneOf('operator', 'read'),
  }),
} satisfies Record<string, z.ZodType>

/** The request bodies, by the name of their type in api-types.ts. */
const BODIES = { ApiStartRun: startRunBody, ApiStartBackfill: startBackfillBody, ApiAcknowledgeIncident: acknowledgeBody, ApiResolveIncident: resolveBody }

/** A `$ref` to a schema in components. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })

/** The JSON Schema of what a request may send, from the zod schema that validates it. */
function fromZod(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Schema
  return json
}

/**
 * The JSON Schemas of the responses, each named schema a component that the others `$ref`. They
 * describe what the server sends, not what a client must refuse: objects stay open to new fields,
 * a record says only its values' type, and zod's own additions (whole numbers' safe bounds, the
 * date-time pattern beside its format) are left out.
 */
function responseSchemas(): Record<string, Schema> {
  const components = z.registry<{ id: string }>()
  for (const [name, schema] of Object.entries(RESPONSES)) components.add(schema, { id: name })
  const { schemas } = z.toJSONSchema(components, { io: 'output', uri: (id) => ref(id).$ref as string })
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => {
    const { $schema: _dialect, $id: _id, ...json } = schema as Schema
    return [name, tidy(json)]
  }))
}

function tidy(schema: Schema): Schema {
  const out: Schema = { ...schema }
  for (const key of ['items', 'additionalProperties'] as const) if (isSchema(out[key])) out[key] = tidy(out[key])
  if (isSchema(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([name, value]) => [name, tidy(value as Schema)]))
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(out[key])) out[key] = (out[key] as Schema[]).map(tidy)
  if (out.additionalProperties === false) delete out.additionalProperties
  if (isSchema(out.additionalProperties) && Object.keys(out.additionalProperties).length === 0) delete out.additionalProperties
  if ('propertyNames' in out) {
    delete out.propertyNames
    delete out.required
  }
  if (out.type === 'integer' && out.minimum === Number.MIN_SAFE_INTEGER && out.maximum === Number.MAX_SAFE_INTEGER) {
    delete out.minimum
    delete out.maximum
  }
  if (out.format === 'date-time') delete out.pattern
  if ('const' in out) delete out.type
  // X or null: a reference stays whole beside null; anything else takes null into its type (and enum).
  const alternatives = out.anyOf as Schema[] | undefined
  if (alternatives?.length === 2 && alternatives[1]!.type === 'null' && Object.keys(alternatives[1]!).length === 1) {
    const [inner] = alternatives as [Schema]
    delete out.anyOf
    if ('$ref' in inner) return { ...out, oneOf: alternatives }
    return { ...out, ...inner, type: [inner.type, 'null'], ...(Array.isArray(inner.enum) ? { enum: [...(inner.enum as unknown[]), null] } : {}) }
  }
  return out
}

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value)

const responses = responseSchemas()
const bodies: Record<string, Schema> = Object.fromEntries(Object.entries(BODIES).map(([name, schema]) => [name, fromZod(schema)]))
/** Every schema of the API, by the name of its type in api-types.ts. */
export const SCHEMAS: Record<string, Schema> = { ...responses, ...bodies }
