// The OpenAPI 3.1 description served at GET /api/openapi.json, its query parameters and request
// bodies from the schemas that validate them. A test checks that it lists exactly the /api routes the app registers.
import { z } from 'zod'
import { ref, SCHEMAS } from './openapi-schemas.js'
import { REQUESTS, type RequestSchema, type RouteKey } from './request-schemas.js'

type Operation = Record<string, unknown>

const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } })
const ok = (description: string, schema: Record<string, unknown>, status = '200') => ({ [status]: { description, ...json(schema) } })
const error = (description: string) => ({ description, ...json(ref('ApiError')) })
const path = (name: string, description: string) => ({ in: 'path', name, description, required: true, schema: { type: 'string' } })

/** The query parameters of `route`, from its schema in REQUESTS: names, descriptions, defaults and types. */
function queryOf(route: RouteKey): Operation[] {
  return Object.entries((REQUESTS[route] as RequestSchema).query.shape).map(([name, field]) => {
    const { $schema: _dialect, description, ...schema } = z.toJSONSchema(field as z.ZodType, { io: 'input' }) as Record<string, unknown>
    // Whole numbers travel as digits in the query string; OpenAPI says integer.
    const typed = schema.pattern === '^\\d+$' ? { type: 'integer', minimum: 0, ...('default' in schema ? { default: schema.default } : {}) } : schema
    return { in: 'query', name, description, required: !(field as z.ZodType).safeParse(undefined).success, schema: typed }
  })
}

const common = {
  '400': error('A malformed parameter or body (TRB6001), or a bad selection (TRB1xxx, TRB2xxx).'),
  '401': error('A token is required and was missing or wrong.'),
  '500': error('Anything unexpected: always the bare body {"error":{"code":"TRB0000","message":"internal error"}}.'),
}

function op(summary: string, responses: Record<string, unknown>, extra: Operation = {}): Operation {
  return { summary, ...extra, responses: { ...responses, ...common } }
}

/** The API's OpenAPI 3.1 document. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tributary HTTP API', version,
      description: 'Status, lineage, checks and runs of a Tributary project. See docs/api.md for examples.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, {}],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http', scheme: 'bearer',
          description: 'TRIBUTARY_TOKEN (operator) or TRIBUTARY_READ_TOKEN (read). Not needed on a loopback server without tokens.',
        },
      },
      schemas: SCHEMAS,
    },
    paths: {
      '/api/health': { get: op('Liveness, project name, asset count and the caller\'s role', ok('Healthy', ref('ApiHealth'))) },
      '/api/openapi.json': { get: op('This document', ok('The OpenAPI document', { type: 'object' })) },
      '/api/workers': { get: op('The worker fleet (executor: queue()): host, pid, version, current steps and last heartbeat of each worker', ok('The workers', ref('ApiWorkers'))) },
      '/api/control-plane': { get: op('The serving process: how a CLI tells a live control plane from a stale advertisement', ok('This process', ref('ApiControlPlane'))) },
      '/api/assets': {
        get: op('Search and filter the catalog of assets and sources, sorted by key', ok('One page of the catalog with facets', ref('ApiAssetList')), {
          parameters: queryOf('GET /api/assets'),
        }),
      },
      '/api/assets/{key}': {
        get: op('One asset or source in full: code, columns, reason chain, checks, neighbours', { ...ok('The asset', ref('ApiAssetDetail')), '404': error('No such asset (TRB2003).') }, {
          parameters: [path('key', 'The asset key with its slashes: /api/assets/marts/revenue.')],
        }),
      },
      '/api/materializations': {
        get: op('Materializations of an asset, newest first', { ...ok('Materializations', { type: 'array', items: ref('ApiMaterialization') }), '404': error('No such asset (TRB2003).') }, { parameters: queryOf('GET /api/materializations') }),
      },
      '/api/check-results': {
        get: op('Check results of an asset, newest first', { ...ok('Check results', { type: 'array', items: ref('ApiCheckResult') }), '404': error('No such asset (TRB2003).') }, { parameters: queryOf('GET /api/check-results') }),
      },
      '/api/partitions': {
        get: op('Partition status of an asset: counts by state and each partition (the newest 400, oldest first) with when it was published and by which run', {
          ...ok('Partition status; partitioned false for an unpartitioned asset', ref('ApiPartitionStatus')), '404': error('No such asset (TRB2003).'),
        }, { parameters: queryOf('GET /api/partitions') }),
      },
      '/api/lineage': {
        get: op('Lineage: the whole graph, or one asset with its upstream and downstream', { ...ok('Nodes and edges, upstream first', ref('ApiLineage')), '404': error('No such asset (TRB2003).') }, {
          parameters: queryOf('GET /api/lineage'),
        }),
      },
      '/api/lineage/columns': {
        get: op('Column lineage: one column\'s sources and readers transitively, or every column of an asset with its direct ones', { ...ok('With column: { asset, column, upstream, downstream } edges; without: ApiAssetColumns', { oneOf: [ref('ApiColumnLineage'), ref('ApiAssetColumns')] }), '404': error('No such asset (TRB2003).') }, {
          parameters: queryOf('GET /api/lineage/columns'),
        }),
      },
      '/api/plan': {
        post: op('The project the server loaded against what is deployed: changed assets, broken reader columns with owners, contract breaches, rebuilds', ok('The plan (breaking: true when a reader or contract breaks)', ref('ApiPlan'))),
      },
      '/api/ready': {
        get: op('The readiness board: dashboards, reports, extracts and assets tagged business, explained in plain words', ok('Board items', { type: 'array', items: ref('ApiReadyItem') })),
      },
      '/api/runs': {
        get: op('Runs, newest first', ok('Runs', { type: 'array', items: ref('ApiRun') }), {
          parameters: queryOf('GET /api/runs'),
        }),
        post: op('Start a run of a selection (operator); dryRun returns the plan without running', {
          ...ok('The plan of a dry run (runId null)', ref('ApiRunStarted')),
          ...ok('Started: follow it on /api/events', ref('ApiRunStarted'), '202'),
          '403': error('The token is read-only.'),
          '413': error('The body is too large.'),
        }, { requestBody: { required: false, ...json(ref('ApiStartRun')) } }),
      },
      '/api/runs/{id}': {
        get: op('One run with its steps and logs', { ...ok('The run', ref('ApiRunDetail')), '404': error('No such run (TRB6002).') }, { parameters: [path('id', 'The run id.')] }),
      },
      '/api/runs/{id}/cancel': {
        post: op('Cancel a running run (operator): at once when this server runs it, at its next heartbeat (seconds) when another process does', {
          ...ok('Cancellation requested; run_finished follows on /api/events', ref('ApiRunCanceled'), '202'),
          '403': error('The token is read-only.'),
          '404': error('No such run (TRB6002).'),
          '409': error('The run is not running (TRB6003).'),
        }, { parameters: [path('id', 'The run id.')] }),
      },
      '/api/backfills': {
        get: op('Backfill runs, newest first, with their progress', ok('Backfills', { type: 'array', items: ref('ApiBackfill') }), {
          parameters: queryOf('GET /api/backfills'),
        }),
        post: op('Plan (dryRun) or start a backfill of a selection over a partition range, and everything downstream of it (operator)', {
          ...ok('The plan of a dry run, or nothing to do (runId null)', ref('ApiBackfillStarted')),
          ...ok('Started: follow it on /api/events or GET /api/backfills/{id}', ref('ApiBackfillStarted'), '202'),
          '403': error('The token is read-only.'),
          '413': error('The body is too large.'),
        }, { requestBody: { required: true, ...json(ref('ApiStartBackfill')) } }),
      },
      '/api/backfills/{id}': {
        get: op('One backfill run with its progress per asset and its ETA', { ...ok('The backfill', ref('ApiBackfill')), '404': error('No such backfill run (TRB6002).') }, { parameters: [path('id', 'The run id.')] }),
      },
      '/api/backfills/{id}/pause': {
        post: op('Pause a running backfill (operator): running steps finish and publish, no more start; the run ends paused', {
          ...ok('Pause requested; run_pausing, then run_finished (paused), follow on /api/events', ref('ApiRun'), '202'),
          '400': error('The run is not a backfill (TRB6001): cancel it instead.'),
          '403': error('The token is read-only.'),
          '404': error('No such run (TRB6002).'),
          '409': error('The run is not running (TRB6003).'),
        }, { parameters: [path('id', 'The run id.')] }),
      },
      '/api/backfills/{id}/resume': {
        post: op('Continue a paused, canceled, failed or crashed backfill as a new run of what it has not published (operator)', {
          ...ok('Nothing left to do (runId null)', ref('ApiBackfillStarted')),
          ...ok('Started', ref('ApiBackfillStarted'), '202'),
          '403': error('The token is read-only.'),
          '404': error('No such backfill run (TRB6002).'),
          '409': error('It is still running (TRB6003).'),
        }, { parameters: [path('id', 'The run id.')], requestBody: { required: false, ...json({ type: 'object', properties: { concurrency: { type: 'integer', minimum: 1 } } }) } }),
      },
      '/api/backfills/{id}/cancel': {
        post: op('Cancel a running backfill (operator): running steps stop; resume it later', {
          ...ok('Cancellation requested', ref('ApiRun'), '202'),
          '403': error('The token is read-only.'),
          '404': error('No such run (TRB6002).'),
          '409': error('The run is not running (TRB6003).'),
        }, { parameters: [path('id', 'The run id.')] }),
      },
      '/api/sensors/{name}': {
        post: op('An external system\'s event for a webhook sensor, signed over its timestamp and raw body (no token needed; see docs/automation.md#signing-webhooks); starts a run of the sensor\'s selection', {
          ...ok('Started: follow it on /api/events', ref('ApiSensorTriggered'), '202'),
          '401': error('The signature or timestamp is missing or does not match (TRB6022), the timestamp is more than 5 minutes off (TRB6023), or the sensor\'s secret is not set on the server.'),
          '409': error('This delivery (its signature or X-Tributary-Delivery id) was already received (TRB6024).'),
          '404': error('No webhook sensor by that name.'),
          '413': error('The body is too large.'),
        }, {
          security: [{}],
          parameters: [
            path('name', 'The sensor\'s name.'),
            { in: 'header', name: 'X-Tributary-Timestamp', required: true, description: 'When the sender signed, in Unix seconds; within 5 minutes of the server\'s clock.', schema: { type: 'string', pattern: '^\\d{1,12}$' } },
            { in: 'header', name: 'X-Tributary-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret in the sensor\'s secretEnv>.', schema: { type: 'string' } },
            { in: 'header', name: 'X-Tributary-Delivery', required: false, description: 'The sender\'s id of the event; a second delivery with the same id is refused (409).', schema: { type: 'string', maxLength: 200 } },
          ],
          requestBody: { required: false, content: { '*/*': { schema: {} } } },
        }),
      },
      '/api/incidents': {
        get: op('Incidents, newest first: one per asset and condition, routed to the owner of the root cause', ok('Incidents', { type: 'array', items: ref('ApiIncident') }), {
          parameters: queryOf('GET /api/incidents'),
        }),
      },
      '/api/incidents/{id}/ack': {
        post: op('Acknowledge an open incident (operator): someone is on it, it will not escalate', {
          ...ok('The incident', ref('ApiIncident')),
          '403': error('The token is read-only.'),
          '404': error('No such incident.'),
          '409': error('The incident is already resolved.'),
        }, { parameters: [path('id', 'The incident id.')], requestBody: { required: false, ...json(ref('ApiAcknowledgeIncident')) } }),
      },
      '/api/incidents/{id}/resolve': {
        post: op('Resolve an incident by hand with a message (operator); the daemon opens a new one if the problem is still there', {
          ...ok('The incident', ref('ApiIncident')),
          '403': error('The token is read-only.'),
          '404': error('No such incident.'),
        }, { parameters: [path('id', 'The incident id.')], requestBody: { required: true, ...json(ref('ApiResolveIncident')) } }),
      },
      '/api/deliveries': {
        get: op('The notification outbox, newest first: each announcement of an incident to each sink, pending (retrying), delivered or exhausted (out of attempts)', ok('Deliveries', { type: 'array', items: ref('ApiDelivery') }), {
          parameters: queryOf('GET /api/deliveries'),
        }),
      },
      '/api/decisions': {
        get: op('Automation decisions, newest first: whether the daemon requested each asset at each tick, and why', ok('Decisions', { type: 'array', items: ref('ApiDecision') }), {
          parameters: queryOf('GET /api/decisions'),
        }),
      },
      '/api/events': {
        get: op('The event log live as Server-Sent Events (runs of every process): event name = type, id = the id in the event log, data = the ApiEvent JSON; a comment every 15 s', {
          '200': { description: 'An endless text/event-stream of ApiEvent', content: { 'text/event-stream': { schema: ref('ApiEvent') } } },
        }, {
          parameters: [
            ...queryOf('GET /api/events'),
            { in: 'header', name: 'Last-Event-ID', description: 'Resume after this event id; EventSource sends it when it reconnects.', required: false, schema: { type: 'string' } },
          ],
        }),
      },
    },
  }
}
