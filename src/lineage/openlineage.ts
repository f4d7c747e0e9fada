import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { ProgressEvent } from '../engine/progress.js'
import type { AssetGraph, GraphNode } from '../graph/asset-graph.js'
import type { ColumnEdge, ColumnLineage, KnownColumns } from '../graph/column-lineage.js'
import { redactUrl } from '../model/redact.js'
import type { ProjectDefinition } from '../model/project.js'
import { VERSION } from '../version.js'

/**
 * Where a project sends OpenLineage events (`defineProject({ openLineage })`): `url`, the base
 * of an OpenLineage HTTP endpoint (Marquez, a DataHub or OpenMetadata receiver); `endpoint`, its
 * path (Default: 'api/v1/lineage'); `namespace`, the jobs' namespace (Default: the project's
 * name); `apiKey`, sent as a bearer token (read it from the environment).
 */
export interface OpenLineageConfig {
  readonly url: string
  readonly endpoint?: string
  readonly namespace?: string
  readonly apiKey?: string
}

const PRODUCER = `https://tributary.dev/openlineage/v${VERSION}`
const SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'
const facet = (name: string, version = '1-0-0') => ({ _producer: PRODUCER, _schemaURL: `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}` })

// Sends at most this many events a run keeps waiting for delivery, tries each this often, this long each.
const MAX_QUEUED = 10_000
const ATTEMPTS = 3
const TIMEOUT_MS = 5_000

/** A run event of the OpenLineage spec (the parts Tributary fills). */
export interface RunEvent {
  readonly eventType: 'START' | 'COMPLETE' | 'FAIL' | 'ABORT'
  readonly eventTime: string
  readonly run: { readonly runId: string; readonly facets: Record<string, unknown> }
  readonly job: { readonly namespace: string; readonly name: string; readonly facets: Record<string, unknown> }
  readonly inputs: readonly Dataset[]
  readonly outputs: readonly Dataset[]
  readonly producer: string
  readonly schemaURL: string
}

interface Dataset {
  readonly namespace: string
  readonly name: string
  readonly facets?: Record<string, unknown>
}

/**
 * A UUID for an OpenLineage run, the same for every event of it: derived from `parts` (SHA-256,
 * laid out as a version-8 UUID, RFC 9562's for a name-based hash other than SHA-1), since
 * Tributary's run ids are not UUIDs.
 */
export function lineageRunId(...parts: readonly (string | number | null)[]): string {
  const hex = createHash('sha256').update(parts.map(String).join('\0')).digest('hex')
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** The namespace of the warehouse's datasets, as OpenLineage names them: `postgres://host:5432`, `duckdb://<file>`. */
export function warehouseNamespace(project: ProjectDefinition, projectDir: string, stateDir: string): { namespace: string; prefix: string } {
  const warehouse = project.warehouse ?? { type: 'duckdb' as const }
  if (warehouse.type === 'postgres') {
    const url = new URL(warehouse.url)
    return { namespace: `postgres://${url.hostname}:${url.port || '5432'}`, prefix: `${decodeURIComponent(url.pathname.slice(1))}.` }
  }
  return { namespace: `duckdb://${resolve(projectDir, warehouse.path ?? resolve(stateDir, 'warehouse.duckdb'))}`, prefix: '' }
}

/** What a COMPLETE reads of the project: its column lineage (once per run) and the columns known of the step's datasets (each time). */
export interface LineageFacts {
  readonly lineage: ColumnLineage | undefined
  readonly schemas: ReadonlyMap<string, KnownColumns>
}

// Runs whose facts or open attempts are kept at most (a run that never said it finished is forgotten after).
const RUNS_KEPT = 100

function remember<V>(map: Map<string, V>, runId: string, value: V): void {
  map.set(runId, value)
  if (map.size > RUNS_KEPT) map.delete(map.keys().next().value!)
}

/**
 * Turns a run's progress into OpenLineage run events, one run per step attempt (its job: the
 * asset), their parent the Tributary run: START when the attempt runs, then COMPLETE, FAIL
 * (failed, or blocked by a check, with the error) or ABORT (canceled); an attempt retried ends
 * FAIL when the next one starts. Inputs are the asset's upstreams, outputs the asset, with their
 * columns (a schema facet) and the column lineage derived from its SQL. Steps that did not run
 * (up to date, skipped, never started) send nothing. `facts`: read at a run's first COMPLETE.
 */
export class OpenLineageEvents {
  private readonly lineage = new Map<string, Promise<ColumnLineage | undefined>>()
  // The attempt of each step that has sent START and no end yet, by run.
  private readonly open = new Map<string, Map<string, number>>()

  constructor(
    private readonly graph: () => AssetGraph,
    private readonly config: OpenLineageConfig & { readonly namespace: string },
    private readonly warehouse: { readonly namespace: string; readonly prefix: string },
    private readonly readLineage: () => Promise<ColumnLineage>,
    private readonly readColumns: (keys: readonly string[]) => Promise<ReadonlyMap<string, KnownColumns>>,
  ) {}

  /** The events of one progress event (none for most). */
  async of(event: ProgressEvent, now: Date): Promise<RunEvent[]> {
    if (event.type === 'run_finished') {
      this.lineage.delete(event.runId)
      this.open.delete(event.runId)
      return []
    }
    if (event.type !== 'step') return []
    const node = this.graph().nodes.get(event.key)
    if (!node) return []
    const step = `${event.key}\0${event.partition ?? ''}`
    const open = this.open.get(event.runId) ?? new Map<string, number>()
    if (!this.open.has(event.runId)) remember(this.open, event.runId, open)
    const started = open.get(step)
    if (event.status === 'running') {
      if (started === event.attempt) return []
      open.set(step, event.attempt)
      // The attempt before failed and was retried: it ends here.
      const retried = started === undefined ? [] : [this.event('FAIL', node, { ...event, attempt: started, error: null, reason: `attempt ${started} failed; retried as attempt ${event.attempt}` }, now)]
      return [...retried, this.event('START', node, event, now)]
    }
    const eventType = event.status === 'succeeded' ? 'COMPLETE' : event.status === 'failed' || event.status === 'blocked' ? 'FAIL' : event.status === 'canceled' ? 'ABORT' : undefined
    // Only an attempt that started ends (not one up to date, skipped, or canceled before it ran).
    if (eventType === undefined || started === undefined) return []
    open.delete(step)
    const facts = eventType === 'COMPLETE' ? await this.factsOf(event.runId, [node.key, ...node.upstream]) : undefined
    return [this.event(eventType, node, { ...event, attempt: started }, now, facts)]
  }

  private async factsOf(runId: string, keys: readonly string[]): Promise<LineageFacts | undefined> {
    let lineage = this.lineage.get(runId)
    if (!lineage) remember(this.lineage, runId, (lineage = this.readLineage().catch(() => undefined)))
    const [edges, schemas] = await Promise.all([lineage, this.readColumns(keys).catch(() => undefined)])
    return schemas ? { lineage: edges, schemas } : edges ? { lineage: edges, schemas: new Map() } : undefined
  }

  private event(eventType: RunEvent['eventType'], node: GraphNode, step: Extract<ProgressEvent, { type: 'step' }>, now: Date, facts?: LineageFacts): RunEvent {
    const message = step.error?.message ?? (eventType === 'FAIL' ? step.reason : null)
    const error = message ? { errorMessage: { ...facet('ErrorMessageRunFacet'), message, programmingLanguage: node.def.type === 'sql' ? 'SQL' : 'TypeScript' } } : {}
    return {
      eventType,
      eventTime: now.toISOString(),
      run: {
        runId: lineageRunId(step.runId, step.key, step.partition, step.attempt),
        facets: {
          parent: { ...facet('ParentRunFacet'), run: { runId: lineageRunId(step.runId) }, job: { namespace: this.config.namespace, name: 'tributary_run' } },
          tributary_run: { _producer: PRODUCER, _schemaURL: `${PRODUCER}/facets/TributaryRunFacet.json`, runId: step.runId, attempt: step.attempt, partition: step.partition },
          ...error,
        },
      },
      job: { namespace: this.config.namespace, name: node.key, facets: this.jobFacets(node) },
      inputs: node.upstream.map((key) => this.dataset(this.graph().get(key), facts)),
      outputs: node.def.type === 'source' ? [] : [this.dataset(node, facts, true)],
      producer: PRODUCER,
      schemaURL: SPEC,
    }
  }

  private jobFacets(node: GraphNode): Record<string, unknown> {
    const def = node.def
    return {
      jobType: { ...facet('JobTypeJobFacet', '2-0-2'), processingType: 'BATCH', integration: 'TRIBUTARY', jobType: def.type === 'sql' ? 'SQL_ASSET' : 'ASSET' },
      ...(def.type === 'sql' ? { sql: { ...facet('SQLJobFacet'), query: def.sql } } : {}),
      ...(def.description ? { documentation: { ...facet('DocumentationJobFacet'), description: def.description } } : {}),
      ...(def.owner ? { ownership: { ...facet('OwnershipJobFacet'), owners: [{ name: def.owner }] } } : {}),
    }
  }

  // A table in the warehouse by its relation; anything else (files) by its key in the project's
  // namespace. With the run's facts: its columns (which Marquez needs to store column lineage)
  // and, for the output, where each column comes from.
  private dataset(node: GraphNode, facts?: LineageFacts, output = false): Dataset {
    const at = this.where(node.key)
    const columns = facts?.schemas.get(node.key)?.columns
    const schema = columns?.length ? { schema: { ...facet('SchemaDatasetFacet', '1-1-1'), fields: columns.map((c) => ({ name: c.name, type: c.type })) } } : {}
    const fields = output && facts?.lineage ? this.columnLineage(node.key, facts.lineage.edges) : undefined
    const lineage = fields ? { columnLineage: { ...facet('ColumnLineageDatasetFacet', '1-1-0'), fields } } : {}
    return Object.keys(schema).length + Object.keys(lineage).length > 0 ? { ...at, facets: { ...schema, ...lineage } } : at
  }

  private where(key: string): { namespace: string; name: string } {
    const relation = this.graph().get(key).relation
    return relation ? { namespace: this.warehouse.namespace, name: `${this.warehouse.prefix}${relation.schema}.${relation.name}` } : { namespace: this.config.namespace, name: key }
  }

  // Each output column from its input columns, as the SQL says (copied, transformed, or filtering every row).
  private columnLineage(key: string, edges: readonly ColumnEdge[]): Record<string, unknown> | undefined {
    const fields: Record<string, { inputFields: unknown[] }> = {}
    for (const edge of edges) {
      if (edge.to.asset !== key || edge.kind === 'asset' || edge.to.column === '*') continue
      const transformation = edge.kind === 'copy' ? { type: 'DIRECT', subtype: 'IDENTITY' } : edge.kind === 'transform' ? { type: 'DIRECT', subtype: 'TRANSFORMATION' } : { type: 'INDIRECT', subtype: 'FILTER' }
      ;(fields[edge.to.column] ??= { inputFields: [] }).inputFields.push({ ...this.where(edge.from.asset), field: edge.from.column, transformations: [transformation] })
    }
    return Object.keys(fields).length > 0 ? fields : undefined
  }
}

/**
 * Posts events to the OpenLineage endpoint in order, one at a time, never holding up a run: a
 * failed post is tried again (3 attempts, 5 s each); an event still failing is dropped and said on
 * `log`, once per outage, during which each event is tried once. At most 10,000 events wait; the
 * oldest are dropped past that, and said. `flush` waits for what is queued, up to a time limit.
 */
export class OpenLineageSender {
  private readonly queue: RunEvent[] = []
  private sending: Promise<void> | undefined
  private failing = false
  private overflowed = 0

  constructor(private readonly config: OpenLineageConfig, private readonly log: (line: string) => void) {}

  send(events: readonly RunEvent[]): void {
    if (events.length === 0) return
    this.queue.push(...events)
    if (this.queue.length > MAX_QUEUED) {
      const dropped = this.queue.splice(0, this.queue.length - MAX_QUEUED).length
      if (this.overflowed === 0) this.log(`openlineage: more than ${MAX_QUEUED} events wait for ${this.target()}; the oldest are dropped`)
      this.overflowed += dropped
    }
    this.sending ??= this.drain()
  }

  /** Waits until every queued event is sent or dropped, for at most `timeoutMs`. */
  flush(timeoutMs: number): Promise<void> {
    return settledWithin(this.sending, timeoutMs)
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      const failure = await this.post(event, this.failing ? 1 : ATTEMPTS)
      if (failure === undefined) {
        if (this.failing) this.log(`openlineage: ${this.target()} takes events again${this.overflowed > 0 ? ` (${this.overflowed} dropped meanwhile for want of room)` : ''}`)
        this.failing = false
        this.overflowed = 0
      } else if (!this.failing) {
        this.failing = true
        this.log(`openlineage: an event could not be sent to ${this.target()} after ${ATTEMPTS} attempts (${failure}); events are dropped until it takes them again`)
      }
    }
    // Cleared here, in the same turn as the last look at the queue: an event sent from now on starts a new drain.
    this.sending = undefined
  }

  // Undefined once posted; otherwise why the last attempt failed.
  private async post(event: RunEvent, attempts: number): Promise<string | undefined> {
    let why = ''
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(this.endpoint(), {
          method: 'POST', body: JSON.stringify(event), signal: AbortSignal.timeout(TIMEOUT_MS),
          headers: { 'content-type': 'application/json', ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}) },
        })
        await response.body?.cancel()
        if (response.ok) return undefined
        why = `HTTP ${response.status}`
      } catch (error) {
        why = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt).unref())
    }
    return why
  }

  private endpoint(): string {
    return `${this.config.url.replace(/\/+$/, '')}/${(this.config.endpoint ?? 'api/v1/lineage').replace(/^\/+/, '')}`
  }

  private target(): string {
    return redactUrl(this.endpoint())
  }
}

/**
 * A project's OpenLineage: the events of each progress event (see OpenLineageEvents), built and
 * sent in the order of the progress (a step's COMPLETE, which waits for its run's column lineage,
 * before its readers' START).
 */
export class OpenLineageEmitter {
  private previous: Promise<void> = Promise.resolve()

  constructor(private readonly events: OpenLineageEvents, private readonly sender: OpenLineageSender) {}

  onProgress(event: ProgressEvent, now: Date): void {
    this.previous = this.previous.then(() => this.events.of(event, now)).then((list) => this.sender.send(list), () => undefined)
  }

  /** Waits until what the runs sent is built and delivered (or dropped), for at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    await settledWithin(this.previous, timeoutMs)
    await this.sender.flush(Math.max(0, deadline - Date.now()))
  }
}

// Waits for `promise` (nothing when undefined) for at most `timeoutMs`.
async function settledWithin(promise: Promise<void> | undefined, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
  clearTimeout(timer)
}
