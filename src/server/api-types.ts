// The HTTP API's JSON shapes: the contract between the server and the web UI.
// Dates travel as ISO-8601 strings. The UI imports these types and nothing else from src/.

/** Status of an asset or source. */
export type ApiAssetStatus = 'fresh' | 'stale' | 'late' | 'failed' | 'blocked' | 'missing' | 'running'

/** State of one step inside a run. */
export type ApiStepStatus = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'skipped' | 'canceled'

/** State of a run. */
export type ApiRunStatus = 'running' | 'succeeded' | 'failed' | 'canceled' | 'paused'

/** Every error response: `{ "error": { "code": "TRB…", "message": "…", "hint"?: "…" } }`. */
export interface ApiError {
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string }
}

/** One link of a reason chain, from the asset down to the root cause. */
export interface ApiChainLink {
  readonly key: string
  readonly status: ApiAssetStatus
  readonly owner: string | null
  readonly message: string
}

/** An asset or source as listed in the catalog. */
export interface ApiAssetSummary {
  readonly key: string
  /** 'asset' (TypeScript), 'sql' or 'source'. */
  readonly type: 'asset' | 'sql' | 'source'
  /** What it is to people: table, model, dashboard, report, extract, source, … */
  readonly kind: string
  readonly owner: string | null
  readonly group: string | null
  readonly tags: readonly string[]
  readonly description: string | null
  readonly status: ApiAssetStatus
  readonly ready: boolean
  readonly lastUpdated: string | null
  /** One line: why it is not ready ('' when ready). */
  readonly reason: string
  readonly rootCause: ApiChainLink | null
  /** e.g. "maxAge 26h" or "daily by 07:00 Europe/London"; null when it has no policy. */
  readonly freshness: string | null
  readonly upstreamCount: number
  readonly downstreamCount: number
}

/** `GET /api/assets?q=&owner=&tag=&group=&kind=&status=&limit=&offset=` */
export interface ApiAssetList {
  readonly total: number
  readonly items: readonly ApiAssetSummary[]
  /** Distinct values for the filter menus. */
  readonly facets: { readonly owners: readonly string[]; readonly tags: readonly string[]; readonly groups: readonly string[]; readonly kinds: readonly string[] }
}

/** A check declared on an asset, with its latest result. */
export interface ApiCheck {
  readonly name: string
  readonly type: string
  readonly severity: 'warn' | 'error'
  readonly blocking: boolean
  readonly lastResult: ApiCheckResult | null
}

/** One evaluation of a check. */
export interface ApiCheckResult {
  readonly checkName: string
  readonly passed: boolean
  readonly severity: 'warn' | 'error'
  readonly blocking: boolean
  readonly failingRows: number | null
  readonly sample: readonly Record<string, unknown>[]
  readonly message: string | null
  readonly runId: string
  readonly createdAt: string
}

/** `GET /api/assets/{key}` (the key keeps its slashes). */
export interface ApiAssetDetail extends ApiAssetSummary {
  readonly io: 'table' | 'files' | 'none' | null
  /** `schema.table` for warehouse tables. */
  readonly relation: string | null
  /** The SQL of a SQL asset; the function source of a TypeScript asset. */
  readonly code: string | null
  readonly codeLanguage: 'sql' | 'typescript' | null
  readonly codeVersion: string
  readonly columns: readonly { readonly name: string; readonly type: string }[]
  readonly chain: readonly ApiChainLink[]
  readonly reasons: readonly { readonly type: string; readonly message: string; readonly upstream?: string }[]
  readonly checks: readonly ApiCheck[]
  readonly upstream: readonly string[]
  readonly downstream: readonly string[]
  readonly lastRunId: string | null
}

/** `GET /api/materializations?key=&limit=` — newest first. */
export interface ApiMaterialization {
  readonly id: number
  readonly runId: string
  readonly partition: string | null
  readonly codeVersion: string
  readonly dataVersion: string
  readonly rowCount: number | null
  readonly durationMs: number
  readonly createdAt: string
}

/** State of one partition: published and current, published from old code or inputs, failed, never built, or being built. */
export type ApiPartitionState = 'fresh' | 'stale' | 'failed' | 'missing' | 'running'

/** One partition of an asset. */
export interface ApiPartition {
  /** `2026-03-01`, `2026-03-01T05`, `2026-W09`, `2026-03`, or a static key such as `eu`. */
  readonly key: string
  readonly status: ApiPartitionState
  /** When its current data was published; null when never. */
  readonly lastUpdated: string | null
  /** The run of its latest step (the failing or active one when it failed or is running), else of its data; null when none. */
  readonly runId: string | null
  /** Why its latest attempt failed, was blocked or was skipped since it was last published ("skipped: upstream raw/payments@2026-03-03 failed"); null otherwise. */
  readonly reason: string | null
}

/** `GET /api/partitions?key=`: which partitions of an asset are in which state. */
export interface ApiPartitionStatus {
  readonly key: string
  /** False for an unpartitioned asset or a source: then counts are zero and partitions empty. */
  readonly partitioned: boolean
  /** 'hourly' | 'daily' | 'weekly' | 'monthly' for time windows, 'static' for a fixed set; null when not partitioned. */
  readonly cadence: 'hourly' | 'daily' | 'weekly' | 'monthly' | 'static' | null
  /** How many partitions exist by now (static keys, or time windows that have ended). */
  readonly total: number
  /** Over every partition, including those left out of `partitions`. */
  readonly counts: Readonly<Record<ApiPartitionState, number>>
  /** In key order, newest last: the 400 most recent. */
  readonly partitions: readonly ApiPartition[]
  /** True when older partitions were left out of `partitions`. */
  readonly truncated: boolean
}

/** `GET /api/lineage?key=&direction=upstream|downstream|both&depth=` (no key: the whole graph). */
export interface ApiLineage {
  readonly nodes: readonly { readonly key: string; readonly kind: string; readonly type: 'asset' | 'sql' | 'source'; readonly status: ApiAssetStatus; readonly owner: string | null; readonly group: string | null }[]
  readonly edges: readonly { readonly from: string; readonly to: string }[]
}

/** One edge of column lineage: `to` derives from `from`; column `*` is the whole asset (TypeScript code, traced per asset only). */
export interface ApiColumnEdge {
  readonly from: { readonly asset: string; readonly column: string }
  readonly to: { readonly asset: string; readonly column: string }
  readonly kind: 'copy' | 'transform' | 'filter' | 'asset'
}

/** `GET /api/lineage/columns?asset=` (no column): each column with its direct sources and readers. */
export interface ApiAssetColumns {
  readonly asset: string
  /** False until the asset is published (a source observed) or declares a contract, and its SQL names no columns. */
  readonly columnsKnown: boolean
  /** Where the columns are known from; `query`: the output names of its SQL (no types). */
  readonly schemaFrom: 'published' | 'observed' | 'contract' | 'query' | null
  /** Why nothing finer is shown, when the columns are not known. */
  readonly note: string | null
  readonly columns: readonly {
    readonly name: string
    readonly type: string | null
    /** What the asset's contract guarantees of this column; null when it guarantees nothing of it. */
    readonly contract: { readonly type: string; readonly nullable: boolean; readonly description: string | null } | null
    readonly upstream: readonly ApiColumnEdge[]
    readonly downstream: readonly ApiColumnEdge[]
  }[]
  /** Who reads the asset, at asset granularity, with owners. */
  readonly readers: readonly { readonly asset: string; readonly owner: string | null }[]
}

/** `POST /api/plan`: the working tree against what is deployed. */
export interface ApiPlan {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly {
    readonly key: string
    readonly owner: string | null
    readonly deployedVersion: string
    readonly version: string
    readonly columns: { readonly added: readonly string[]; readonly removed: readonly string[] } | null
  }[]
  readonly breaks: readonly {
    readonly asset: string
    readonly column: string
    readonly readers: readonly { readonly asset: string; readonly column: string; readonly owner: string | null; readonly kind: ApiColumnEdge['kind']; readonly certain: boolean }[]
  }[]
  readonly contractBreaches: readonly { readonly asset: string; readonly owner: string | null; readonly reasons: readonly string[] }[]
  readonly rebuild: readonly { readonly key: string; readonly why: 'new' | 'code changed' | 'upstream changed'; readonly lastDurationMs: number | null }[]
  readonly expectedMs: number
  readonly breaking: boolean
}

/** A run as listed. */
export interface ApiRun {
  readonly id: string
  readonly status: ApiRunStatus
  readonly selection: string
  readonly trigger: string
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly stepCount: number
  readonly error: { readonly code: string; readonly message: string } | null
  /** A pause or cancel asked for and not yet acted on by the run's process. */
  readonly requested: 'pause' | 'cancel' | null
}

/** One step of a run. */
export interface ApiStep {
  readonly assetKey: string
  readonly partition: string | null
  readonly status: ApiStepStatus
  readonly attempt: number
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly durationMs: number | null
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string } | null
  readonly reason: string | null
}

/** `GET /api/runs/{id}` */
export interface ApiRunDetail {
  readonly run: ApiRun
  readonly steps: readonly ApiStep[]
  /** Oldest first; bounded per step attempt (a marker line with `truncated` says how many lines were dropped). */
  readonly logs: readonly ApiLogLine[]
}

/** One log line of a step: `ctx.log`, or its stdout/stderr. */
export interface ApiLogLine {
  readonly assetKey: string
  readonly partition: string | null
  /** The step's attempt that wrote it (1 for the first; 0 when not tied to an attempt). */
  readonly attempt: number
  readonly stream: 'log' | 'stdout' | 'stderr'
  readonly level: 'info' | 'warn' | 'error'
  readonly message: string
  readonly at: string
  /** Only on the marker line of a step attempt whose log passed its limit: how many lines were dropped; else null. */
  readonly truncated: number | null
}

/** `POST /api/runs` body. `dryRun` returns the plan without starting; `partition`, or `from` and `to`, pick partitions of partitioned assets. */
export interface ApiStartRun {
  readonly selection?: string
  readonly dryRun?: boolean
  readonly partition?: string
  readonly from?: string
  readonly to?: string
  /** Build every selected step, even those up to date (as `materialize --force`). Default: false. */
  readonly force?: boolean
}

/** `POST /api/runs` answer (202, or 200 for a dry run). */
export interface ApiRunStarted {
  readonly runId: string | null
  readonly steps: readonly string[]
}

/** `POST /api/runs/{id}/cancel` answer (202): cancellation was requested; `run_finished` follows on /api/events. */
export interface ApiRunCanceled {
  readonly runId: string
  readonly canceling: true
}

/** `POST /api/backfills` body: a selection and a range (`from`+`to`, or `partition`), or `resume` of an earlier backfill run. */
export interface ApiStartBackfill {
  readonly selection?: string
  readonly from?: string
  readonly to?: string
  readonly partition?: string
  /** Default: 'missing'. */
  readonly only?: 'missing' | 'failed' | 'all'
  /** Steps at once. Default: the project's concurrency. */
  readonly concurrency?: number
  readonly resume?: string
  /** Return the plan without starting. */
  readonly dryRun?: boolean
}

/** `POST /api/backfills` answer: 202 when started, 200 for a dry run or when there is nothing to do (runId null). */
export interface ApiBackfillStarted {
  readonly runId: string | null
  /** The backfill's identity, stored as its run's selection. */
  readonly identity: string
  readonly total: number
  /** Steps per asset, in dependency order. */
  readonly assets: readonly { readonly key: string; readonly partitions: number; readonly first: string | null; readonly last: string | null }[]
  /** Partitions left out because an interrupted attempt of the same backfill already published them. */
  readonly alreadyDone: number
  /** The interrupted backfill run this one continues. */
  readonly resumes: string | null
}

/** One backfill run and its progress (`GET /api/backfills`, `GET /api/backfills/{id}`). */
export interface ApiBackfill {
  readonly run: ApiRun
  readonly total: number
  /** Steps settled for good: succeeded, failed, blocked or skipped (canceled ones are left for a resume). */
  readonly done: number
  readonly counts: Readonly<Record<ApiStepStatus, number>>
  readonly assets: readonly { readonly key: string; readonly total: number; readonly done: number; readonly counts: Readonly<Partial<Record<ApiStepStatus, number>>> }[]
  /** Estimated time left while it runs; null otherwise. */
  readonly etaMs: number | null
}

/** `GET /api/ready`: the business-facing outputs (kinds dashboard/report/extract, or tag 'business'). */
export interface ApiReadyItem {
  readonly key: string
  readonly kind: string
  readonly description: string | null
  readonly owner: string | null
  readonly ready: boolean
  readonly status: ApiAssetStatus
  /** When it last updated (ready since). */
  readonly since: string | null
  /** Plain words: "Not ready: the CRM export (landing/crm_accounts) is late." */
  readonly explanation: string
  readonly rootCause: ApiChainLink | null
  /** Predicted ready time when not ready (from typical durations along its upstream critical path); null when ready or unpredictable. */
  readonly expectedAt: string | null
}

/**
 * Server-Sent Events on `GET /api/events`: event name = `type`, data = JSON of the object, and
 * `id:` = the event's id in the store's event log (reload events have none). A step event that
 * ends a step carries its `durationMs`, and its `error` when it failed.
 */
export type ApiEvent =
  | { readonly type: 'run_started'; readonly runId: string; readonly total: number }
  | {
      readonly type: 'step'; readonly runId: string; readonly key: string; readonly partition: string | null; readonly status: ApiStepStatus; readonly attempt: number; readonly reason: string | null
      readonly error?: { readonly code: string; readonly message: string }; readonly durationMs?: number
    }
  | ({ readonly type: 'log'; readonly runId: string; readonly key: string } & Omit<ApiLogLine, 'assetKey'>)
  | { readonly type: 'run_pausing'; readonly runId: string }
  | { readonly type: 'run_finished'; readonly runId: string; readonly status: ApiRunStatus }
  | { readonly type: 'reload'; readonly ok: boolean; readonly message: string }

/** `GET /api/control-plane`: the process serving, so a client can check an advertisement in `.tributary/control-plane.json`. */
export interface ApiControlPlane {
  readonly pid: number
  readonly project: string
  readonly projectDir: string
}

/** One worker of the fleet in `GET /api/workers` (`executor: queue()`), as it last reported. */
export interface ApiWorker {
  readonly id: string
  readonly host: string
  readonly pid: number
  /** Tributary's version and the project's code version: `0.1.0+3f2a9c01b7d4`. */
  readonly version: string
  readonly concurrency: number
  readonly pools: Readonly<Record<string, number>>
  /** 'running'; 'stopped' when it ended cleanly; 'lost' when its lease expired and its steps went to other workers. */
  readonly state: 'running' | 'stopped' | 'lost'
  readonly startedAt: string
  readonly heartbeatAt: string
  readonly stoppedAt: string | null
  /** `waitingForPool`: the step waits for a place in that pool on this worker (its `--pools` limit is full); absent once it runs. */
  readonly currentSteps: readonly { readonly runId: string; readonly assetKey: string; readonly partition: string | null; readonly attempt: number; readonly since: string; readonly waitingForPool?: string }[]
}

/** `GET /api/workers`: the fleet, running workers first; empty when the project runs steps locally. */
export interface ApiWorkers {
  /** Whether the project's config says `executor: queue()`. */
  readonly queue: boolean
  /** This server's version, as workers report theirs: a worker with another one runs other code and refuses this project's steps (TRB7002). */
  readonly version: string
  readonly workers: readonly ApiWorker[]
}

/** `GET /api/health` */
export interface ApiHealth {
  readonly ok: true
  readonly project: string
  readonly assets: number
  /** The caller's role: 'operator' may start and cancel runs. */
  readonly role: 'operator' | 'read'
}

/** Lifecycle of an incident. */
export type ApiIncidentStatus = 'open' | 'acknowledged' | 'resolved'

/** `GET /api/incidents`: one problem (asset + condition), routed to the owner of its root cause. */
export interface ApiIncident {
  readonly id: number
  readonly assetKey: string
  /** source_late, schema_drift, run_failed, check_failed, circuit_open, sla_breached, sla_at_risk. */
  readonly condition: string
  readonly severity: 'info' | 'warning' | 'critical'
  readonly status: ApiIncidentStatus
  /** Who is paged: the owner of the root cause. */
  readonly owner: string | null
  readonly message: string
  /** The downstream outputs it affects. */
  readonly affected: readonly string[]
  readonly occurrences: number
  readonly openedAt: string
  readonly updatedAt: string
  readonly escalatedAt: string | null
  readonly acknowledgedAt: string | null
  readonly acknowledgedBy: string | null
  readonly resolvedAt: string | null
  readonly resolution: string | null
}

/** One notification of an incident to one sink, from the outbox (`GET /api/deliveries`). */
export interface ApiDelivery {
  readonly id: number
  readonly incidentId: number
  readonly assetKey: string
  readonly event: 'opened' | 'escalated' | 'resolved'
  readonly sink: string
  /** pending: waiting for (another) attempt; delivered; exhausted: out of attempts, never retried. */
  readonly status: 'pending' | 'delivered' | 'exhausted'
  /** Attempts made, the first included. */
  readonly attempts: number
  /** Pending only: when the next attempt may start. */
  readonly nextAttemptAt: string | null
  readonly lastError: string | null
  readonly createdAt: string
  readonly settledAt: string | null
}

/** `POST /api/incidents/{id}/ack` body. */
export interface ApiAcknowledgeIncident {
  /** Who is on it. Default: 'api'. */
  readonly by?: string
}

/** `POST /api/incidents/{id}/resolve` body. */
export interface ApiResolveIncident {
  /** What fixed it. */
  readonly message: string
}

/** `GET /api/decisions`: one automation decision about one asset at one tick. */
export interface ApiDecision {
  readonly id: number
  readonly tickId: string
  readonly assetKey: string
  readonly requested: boolean
  /** "requested because raw/crm updated at 05:12", "waiting for raw/crm, which is late". */
  readonly reason: string
  readonly runId: string | null
  readonly at: string
}

/** `POST /api/sensors/{name}`: the run a webhook sensor's event started. */
export interface ApiSensorTriggered {
  readonly runId: string
  readonly steps: readonly string[]
}
