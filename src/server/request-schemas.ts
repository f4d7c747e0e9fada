// What every /api route accepts in its query string and JSON body, declared once with zod:
// validation (unknown fields refused) and the request types (api-types.ts) come from here, and a
// test holds the OpenAPI document's parameters and request bodies to the same fields.
import { z } from 'zod'

// Query parameters carry their OpenAPI description (and default) as metadata: openapi.ts lists them from here.
const text = (description: string) => z.string().optional().meta({ description })
const required = (description: string) => z.string({ error: 'is required' }).min(1, { error: 'is required' }).meta({ description })
/** Digits in a query string, as a number of at most `max`. */
const digits = (max = Number.MAX_SAFE_INTEGER) => z.string().regex(/^\d+$/, { error: 'must be a non-negative integer' }).transform((text) => Math.min(Number(text), max))
/** An optional non-negative integer query parameter. */
const integer = (description: string) => digits().optional().meta({ description })
/** A non-negative integer query parameter with a default. */
const counted = (description: string, fallback: number, max?: number) => digits(max).optional().default(fallback).meta({ description, default: fallback })
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string, fallback?: T[number]) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional().meta({ description, ...(fallback !== undefined ? { default: fallback } : {}) })
const limit = (fallback: number, max = 1000) => counted(`At most this many (default ${fallback}, at most ${max}).`, fallback, max)
const assetKey = required('An asset or source key, e.g. marts/revenue.')
const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' }).optional()
const flag = z.boolean({ error: 'must be true or false' }).optional()
const concurrency = z.number({ error: 'must be a whole number ≥ 1' }).int({ error: 'must be a whole number ≥ 1' }).min(1, { error: 'must be a whole number ≥ 1' }).optional()

const RUN_STATUS = ['running', 'succeeded', 'failed', 'canceled', 'paused'] as const
const ASSET_STATUS = ['fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running'] as const
const DIRECTION = ['upstream', 'downstream', 'both'] as const
const none = z.strictObject({})

/** POST /api/runs. */
export const startRunBody = z.strictObject({
  selection: z.string({ error: 'must be a string' }).optional(),
  dryRun: flag, partition: nonEmpty, from: nonEmpty, to: nonEmpty,
  /** Build every selected step, even those up to date (as `materialize --force`). Default: false. */
  force: flag,
})
/** POST /api/backfills. */
export const startBackfillBody = z.strictObject({
  selection: nonEmpty, from: nonEmpty, to: nonEmpty, partition: nonEmpty,
  /** Default: 'missing'. */
  only: z.enum(['missing', 'failed', 'all'], { error: 'must be "missing", "failed" or "all"' }).optional(),
  /** Steps at once. Default: the project's concurrency. */
  concurrency,
  resume: nonEmpty,
  /** Return the plan without starting. */
  dryRun: flag,
})
/** POST /api/incidents/{id}/ack. */
export const acknowledgeBody = z.strictObject({
  /** Who is on it. Default: 'api'. */
  by: z.string({ error: 'must be a non-empty string' }).trim().min(1, { error: 'must be a non-empty string' }).optional(),
})
/** POST /api/incidents/{id}/resolve. */
export const resolveBody = z.strictObject({
  /** What fixed it. */
  message: z.string({ error: 'is required: what fixed it' }).trim().min(1, { error: 'is required: what fixed it' }),
})

/** One route's request: its query string, and its JSON body ('raw' when the route reads the bytes itself). */
export interface RequestSchema {
  readonly query: z.ZodObject
  readonly body?: z.ZodObject | 'raw'
  /** Shown with a 400 about the body. */
  readonly hint?: string
}

/** Every /api route, as `METHOD /api/path` with `{name}` for path parameters (`{key}` keeps its slashes). */
export const REQUESTS = {
  'GET /api/health': { query: none },
  'GET /api/openapi.json': { query: none },
  'GET /api/control-plane': { query: none },
  'GET /api/workers': { query: none },
  'GET /api/assets': {
    query: z.strictObject({
      q: text('Case-insensitive substring of the key, description or owner.'), owner: text('Exact owner, e.g. team:crm.'), tag: text('Has this tag.'),
      group: text('Exact group.'), kind: text('Exact kind, e.g. table, dashboard, source.'), status: oneOf(ASSET_STATUS, 'Exact status.'),
      limit: limit(100), offset: counted('Skip this many (default 0).', 0),
    }),
  },
  'GET /api/assets/{key}': { query: none },
  'GET /api/materializations': { query: z.strictObject({ key: assetKey, limit: limit(50) }) },
  'GET /api/check-results': { query: z.strictObject({ key: assetKey, limit: limit(100) }) },
  'GET /api/partitions': { query: z.strictObject({ key: assetKey }) },
  'GET /api/lineage': {
    query: z.strictObject({
      key: text('Focus on this asset; leave out for the whole graph.'), direction: oneOf(DIRECTION, 'Which side of the asset (default both).', 'both'),
      depth: integer('At most this many edges away, at least 1 (default: no limit).'),
    }),
  },
  'GET /api/lineage/columns': {
    query: z.strictObject({
      asset: required('The asset, e.g. marts/revenue.'), column: text('One column; leave out for every column of the asset with its direct sources and readers.'),
      direction: oneOf(DIRECTION, 'Which side of the column (default both).', 'both'),
    }),
  },
  'GET /api/ready': { query: none },
  'POST /api/plan': { query: none, body: none, hint: 'POST /api/plan takes no fields: send {}.' },
  'GET /api/runs': { query: z.strictObject({ status: oneOf(RUN_STATUS, 'Only runs in this state.'), limit: limit(50) }) },
  'POST /api/runs': { query: none, body: startRunBody, hint: 'Send {"selection": "marts/revenue+", "dryRun": false}.' },
  'GET /api/runs/{id}': { query: none },
  'POST /api/runs/{id}/cancel': { query: none, body: none, hint: 'Send no body, or {}.' },
  'GET /api/backfills': { query: z.strictObject({ status: oneOf(RUN_STATUS, 'Only backfills in this state.'), limit: limit(20, 200) }) },
  'POST /api/backfills': { query: none, body: startBackfillBody, hint: 'Send {"selection": "raw/payments", "from": "2026-03-01", "to": "2026-03-31", "only": "missing", "dryRun": true}.' },
  'GET /api/backfills/{id}': { query: none },
  'POST /api/backfills/{id}/pause': { query: none, body: none, hint: 'Send no body, or {}.' },
  'POST /api/backfills/{id}/resume': { query: none, body: z.strictObject({ concurrency }), hint: 'Send {} or {"concurrency": 4}.' },
  'POST /api/backfills/{id}/cancel': { query: none, body: none, hint: 'Send no body, or {}.' },
  'POST /api/sensors/{name}': { query: none, body: 'raw' },
  'GET /api/incidents': { query: z.strictObject({ status: oneOf(['open', 'acknowledged', 'resolved', 'unresolved'], 'Only incidents in this state; unresolved = open or acknowledged.'), limit: limit(100) }) },
  'POST /api/incidents/{id}/ack': { query: none, body: acknowledgeBody, hint: 'Send {} or {"by": "alice"}.' },
  'POST /api/incidents/{id}/resolve': { query: none, body: resolveBody, hint: 'Send {"message": "re-sent the CRM export"}.' },
  'GET /api/deliveries': {
    query: z.strictObject({ status: oneOf(['pending', 'delivered', 'exhausted'], 'Only deliveries in this state.'), incident: integer('Only deliveries of this incident id.'), limit: limit(100) }),
  },
  'GET /api/decisions': { query: z.strictObject({ key: text('Only decisions about this asset.'), limit: limit(100) }) },
  'GET /api/events': {
    query: z.strictObject({
      token: text('The token, for EventSource, which cannot send headers.'),
      lastEventId: integer('Resume after this event id (as the Last-Event-ID header): missed events first, then live ones.'),
      runId: text('Only the events of this run.'),
    }),
  },
} as const satisfies Record<string, RequestSchema>

/** A route of {@link REQUESTS}. */
export type RouteKey = keyof typeof REQUESTS

