// The HTTP API's JSON shapes: the contract between the server and the web UI, derived from the
// zod schemas that also give the OpenAPI document its components (openapi-schemas.ts for what the
// server sends, request-schemas.ts for the bodies it accepts), so the two cannot drift. Property
// docs are on the schemas. Dates travel as ISO-8601 strings. The UI imports these types and nothing else from src/.
import type { z } from 'zod'
import type {
  assetStatus, check, columnEdge, incidentStatus, logLine, partition, partitionState, RESPONSES, runStatus, stepStatus, worker,
} from './openapi-schemas.js'
import type { acknowledgeBody, resolveBody, startBackfillBody, startRunBody } from './request-schemas.js'

/** Read-only all the way down, as the API's values are to whoever holds them. */
type Frozen<T> = T extends readonly (infer U)[] ? readonly Frozen<U>[] : T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T
/** What the server sends for `schema`. */
type Sent<S extends z.ZodType> = Frozen<z.output<S>>
/** What a client may send for `schema`. */
type Accepted<S extends z.ZodType> = Frozen<z.input<S>>
type R = typeof RESPONSES

/** Status of an asset or source. */
export type ApiAssetStatus = Sent<typeof assetStatus>
/** State of one step inside a run. */
export type ApiStepStatus = Sent<typeof stepStatus>
/** State of a run. */
export type ApiRunStatus = Sent<typeof runStatus>
/** Every error response: `{ "error": { "code": "TRB…", "message": "…", "hint"?: "…" } }`. */
export type ApiError = Sent<R['ApiError']>
/** One link of a reason chain, from the asset down to the root cause. */
export type ApiChainLink = Sent<R['ApiChainLink']>
/** An asset or source as listed in the catalog. */
export type ApiAssetSummary = Sent<R['ApiAssetSummary']>
/** `GET /api/assets?q=&owner=&tag=&group=&kind=&status=&limit=&offset=` */
export type ApiAssetList = Sent<R['ApiAssetList']>
/** A check declared on an asset, with its latest result. */
export type ApiCheck = Sent<typeof check>
/** One evaluation of a check. */
export type ApiCheckResult = Sent<R['ApiCheckResult']>
/** `GET /api/assets/{key}` (the key keeps its slashes). */
export type ApiAssetDetail = Sent<R['ApiAssetDetail']>
/** `GET /api/materializations?key=&limit=` — newest first. */
export type ApiMaterialization = Sent<R['ApiMaterialization']>
/** State of one partition: published and current, published from old code or inputs, failed, never built, or being built. */
export type ApiPartitionState = Sent<typeof partitionState>
/** One partition of an asset. */
export type ApiPartition = Sent<typeof partition>
/** `GET /api/partitions?key=`: which partitions of an asset are in which state. */
export type ApiPartitionStatus = Sent<R['ApiPartitionStatus']>
/** `GET /api/lineage?key=&direction=upstream|downstream|both&depth=` (no key: the whole graph). */
export type ApiLineage = Sent<R['ApiLineage']>
/** One edge of column lineage: `to` derives from `from`; column `*` is the whole asset (TypeScript code, traced per asset only). */
export type ApiColumnEdge = Sent<typeof columnEdge>
/** `GET /api/lineage/columns?asset=&column=`: one column's sources and readers, transitively. */
export type ApiColumnLineage = Sent<R['ApiColumnLineage']>
/** `GET /api/lineage/columns?asset=` (no column): each column with its direct sources and readers. */
export type ApiAssetColumns = Sent<R['ApiAssetColumns']>
/** `POST /api/plan`: the working tree against what is deployed. */
export type ApiPlan = Sent<R['ApiPlan']>
/** A run as listed. */
export type ApiRun = Sent<R['ApiRun']>
/** One step of a run. */
export type ApiStep = Sent<R['ApiStep']>
/** `GET /api/runs/{id}` */
export type ApiRunDetail = Sent<R['ApiRunDetail']>
/** One log line of a step: `ctx.log`, or its stdout/stderr. */
export type ApiLogLine = Sent<typeof logLine>
/** `POST /api/runs` body. `dryRun` returns the plan without starting; `partition`, or `from` and `to`, pick partitions of partitioned assets. */
export type ApiStartRun = Accepted<typeof startRunBody>
/** `POST /api/runs` answer (202, or 200 for a dry run). */
export type ApiRunStarted = Sent<R['ApiRunStarted']>
/** `POST /api/runs/{id}/cancel` answer (202): cancellation was requested; `run_finished` follows on /api/events. */
export type ApiRunCanceled = Sent<R['ApiRunCanceled']>
/** `POST /api/backfills` body: a selection and a range (`from`+`to`, or `partition`), or `resume` of an earlier backfill run. */
export type ApiStartBackfill = Accepted<typeof startBackfillBody>
/** `POST /api/backfills` answer: 202 when started, 200 for a dry run or when there is nothing to do (runId null). */
export type ApiBackfillStarted = Sent<R['ApiBackfillStarted']>
/** One backfill run and its progress (`GET /api/backfills`, `GET /api/backfills/{id}`). */
export type ApiBackfill = Sent<R['ApiBackfill']>
/** `GET /api/ready`: the business-facing outputs (kinds dashboard/report/extract, or tag 'business'). */
export type ApiReadyItem = Sent<R['ApiReadyItem']>
/**
 * Server-Sent Events on `GET /api/events`: event name = `type`, data = JSON of the object, and
 * `id:` = the event's id in the store's event log (reload events have none). A step event that
 * ends a step carries its `durationMs`, and its `error` when it failed.
 */
export type ApiEvent = Sent<R['ApiEvent']>
/** `GET /api/control-plane`: the process serving, so a client can check an advertisement in `.tributary/control-plane.json`. */
export type ApiControlPlane = Sent<R['ApiControlPlane']>
/** One worker of the fleet in `GET /api/workers` (`executor: queue()`), as it last reported. */
export type ApiWorker = Sent<typeof worker>
/** `GET /api/workers`: the fleet, running workers first; empty when the project runs steps locally. */
export type ApiWorkers = Sent<R['ApiWorkers']>
/** `GET /api/health` */
export type ApiHealth = Sent<R['ApiHealth']>
/** Lifecycle of an incident. */
export type ApiIncidentStatus = Sent<typeof incidentStatus>
/** `GET /api/incidents`: one problem (asset + condition), routed to the owner of its root cause. */
export type ApiIncident = Sent<R['ApiIncident']>
/** One notification of an incident to one sink, from the outbox (`GET /api/deliveries`). */
export type ApiDelivery = Sent<R['ApiDelivery']>
/** `POST /api/incidents/{id}/ack` body. */
export type ApiAcknowledgeIncident = Accepted<typeof acknowledgeBody>
/** `POST /api/incidents/{id}/resolve` body. */
export type ApiResolveIncident = Accepted<typeof resolveBody>
/** `GET /api/decisions`: one automation decision about one asset at one tick. */
export type ApiDecision = Sent<R['ApiDecision']>
/** `POST /api/sensors/{name}`: the run a webhook sensor's event started. */
export type ApiSensorTriggered = Sent<R['ApiSensorTriggered']>
