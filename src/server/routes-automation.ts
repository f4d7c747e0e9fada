// Automation over HTTP: webhook sensors (HMAC-signed with a timestamp, no token), incidents and decisions.
import { Hono } from 'hono'
import type { Tributary } from '../instance/tributary.js'
import { ErrorCode } from '../model/errors.js'
import type { DecisionRecord, IncidentRecord, OutboxEntry } from '../store/automation-store.js'
import { resolveByHand } from '../alerts/manual-resolve.js'
import type { ApiDecision, ApiDelivery, ApiIncident, ApiIncidentStatus, ApiSensorTriggered } from './api-types.js'
import { operatorOnly, type AuthEnv } from './auth.js'
import { badRequest, HttpError } from './errors.js'
import type { EventHub } from './events.js'
import { latestPartitions } from '../automation/partition-choice.js'
import { smallBody } from './params.js'
import { acceptRun } from './run-start.js'
import { bodyOf, queryOf, validRequest } from './validate.js'
import { DEFAULT_WEBHOOK_TOLERANCE_MS, replayed, verifyWebhook } from './webhook-signature.js'


/**
 * `POST /sensors/{name}`, mounted under /api before token auth: the HMAC signature made with
 * the sensor's secret is the authentication. A good signature requests the sensor's selection.
 */
export function sensorRoutes(instance: () => Tributary, options: { hub: EventHub; log: (line: string) => void; env?: NodeJS.ProcessEnv; toleranceMs?: number }): Hono<AuthEnv> {
  const toleranceMs = options.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS
  const routes = new Hono<AuthEnv>()
  routes.post('/sensors/:name', smallBody, validRequest, async (c) => {
    const current = instance()
    const name = c.req.param('name')
    const sensor = (current.project.sensors ?? []).find((s) => s.name === name && s.kind === 'webhook')
    if (!sensor || sensor.kind !== 'webhook') {
      throw new HttpError(404, ErrorCode.Usage, `no webhook sensor ${name}`, 'Declare it with webhookSensor({ name, selection, secretEnv }) in the project.')
    }
    const body = Buffer.from(await c.req.arrayBuffer())
    const secret = (options.env ?? process.env)[sensor.secretEnv]
    if (!secret) {
      options.log(`sensor ${name}: ${sensor.secretEnv} is not set; refusing every event`)
      throw new HttpError(401, ErrorCode.WebhookSignature, 'this sensor has no secret configured on the server', `Set ${sensor.secretEnv} where the server runs, and restart it.`)
    }
    const now = current.clock.now()
    const delivery = verifyWebhook(body, (header) => c.req.header(header), secret, now, toleranceMs)
    // Remembered for twice the window: a timestamp up to one window ahead is accepted until one window after it.
    const store = await current.automation()
    if (!(await store.rememberWebhookDelivery(name, delivery.keys, now, new Date(now.getTime() - 2 * toleranceMs)))) throw replayed(name)
    // Partitioned assets get the newest ended partition, as every other sensor does.
    const trigger = `sensor:${name}`
    const partitions = latestPartitions(current.graph, current.select(sensor.selection), current.clock.now())
    const started = await acceptRun(current, (onProgress) => current.start(sensor.selection, { trigger, ...partitions, onProgress }), { selection: sensor.selection, trigger }, options)
    return c.json<ApiSensorTriggered>({ runId: started.runId, steps: started.steps }, 202)
  })
  return routes
}

/** Routes of incidents and decisions, mounted under /api. Acknowledging and resolving need the operator role. */
export function automationRoutes(instance: () => Tributary): Hono<AuthEnv> {
  const routes = new Hono<AuthEnv>()

  routes.get('/incidents', async (c) => {
    const { status, limit } = queryOf(c, 'GET /api/incidents')
    const store = await instance().automation()
    const incidents = await store.listIncidents({ limit, ...(status ? { status } : {}) })
    return c.json<ApiIncident[]>(incidents.map(toIncident))
  })

  routes.post('/incidents/:id/ack', operatorOnly, smallBody, async (c) => {
    const current = instance()
    const store = await current.automation()
    const before = await requireIncident(store, c.req.param('id'))
    const body = bodyOf(c, 'POST /api/incidents/{id}/ack')
    if (before.status === 'resolved') throw new HttpError(409, ErrorCode.Usage, `incident #${before.id} is already resolved`, 'Only open incidents can be acknowledged.')
    const incident = before.status === 'open' ? ((await store.acknowledgeIncident(before.id, body.by?.trim() ?? 'api', current.clock.now())) ?? before) : before
    return c.json<ApiIncident>(toIncident(incident))
  })

  routes.post('/incidents/:id/resolve', operatorOnly, smallBody, async (c) => {
    const current = instance()
    const store = await current.automation()
    const before = await requireIncident(store, c.req.param('id'))
    const body = bodyOf(c, 'POST /api/incidents/{id}/resolve')
    // Announced like a resolve the daemon makes: queued with the change, one attempt per sink now
    // (holdMs 0 keeps the answer quick); the daemon retries what failed.
    const result = await resolveByHand({ store, id: before.id, message: body.message.trim(), config: current.project.alerts, clock: current.clock, holdMs: 0 })
    return c.json<ApiIncident>(toIncident(result?.incident ?? before))
  })

  routes.get('/deliveries', async (c) => {
    const { status, incident, limit } = queryOf(c, 'GET /api/deliveries')
    const store = await instance().automation()
    const entries = await store.listOutbox({ limit, ...(status ? { status } : {}), ...(incident !== undefined ? { incidentId: incident } : {}) })
    return c.json<ApiDelivery[]>(entries.map(toDelivery))
  })

  routes.get('/decisions', async (c) => {
    const { key, limit } = queryOf(c, 'GET /api/decisions')
    const store = await instance().automation()
    const decisions = await store.listDecisions({ limit, ...(key ? { assetKey: key } : {}) })
    return c.json<ApiDecision[]>(decisions.map(toDecision))
  })

  return routes
}

async function requireIncident(store: Awaited<ReturnType<Tributary['automation']>>, id: string): Promise<IncidentRecord> {
  if (!/^\d{1,12}$/.test(id)) throw badRequest(`incident id ${JSON.stringify(id)} is not a number`)
  const incident = await store.getIncident(Number(id))
  if (!incident) throw new HttpError(404, ErrorCode.Usage, `no incident #${id}`, 'GET /api/incidents lists them.')
  return incident
}

const iso = (date: Date | null) => (date ? date.toISOString() : null)

function toIncident(incident: IncidentRecord): ApiIncident {
  return {
    id: incident.id, assetKey: incident.assetKey, condition: incident.condition, severity: incident.severity, status: incident.status as ApiIncidentStatus,
    owner: incident.owner, message: incident.message, affected: incident.affected, occurrences: incident.occurrences,
    openedAt: incident.openedAt.toISOString(), updatedAt: incident.updatedAt.toISOString(), escalatedAt: iso(incident.escalatedAt),
    acknowledgedAt: iso(incident.acknowledgedAt), acknowledgedBy: incident.acknowledgedBy, resolvedAt: iso(incident.resolvedAt), resolution: incident.resolution,
  }
}

function toDelivery(entry: OutboxEntry): ApiDelivery {
  return {
    id: entry.id, incidentId: entry.incidentId, assetKey: entry.incident.assetKey, event: entry.event, sink: entry.sink, status: entry.status,
    attempts: entry.attempts, nextAttemptAt: entry.status === 'pending' ? entry.nextAttemptAt.toISOString() : null, lastError: entry.lastError,
    createdAt: entry.createdAt.toISOString(), settledAt: iso(entry.settledAt),
  }
}

function toDecision(decision: DecisionRecord): ApiDecision {
  return { id: decision.id, tickId: decision.tickId, assetKey: decision.assetKey, requested: decision.requested, reason: decision.reason, runId: decision.runId, at: decision.at.toISOString() }
}
