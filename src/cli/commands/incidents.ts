import { userInfo } from 'node:os'
import { resolveByHand } from '../../alerts/manual-resolve.js'
import { Tributary } from '../../instance/tributary.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { AutomationStore, IncidentRecord, IncidentStatus } from '../../store/automation-store.js'
import { defineCommand, Exit, type CommandContext } from '../command.js'
import { ago, style, table } from '../format.js'
import { listDeliveries, OUTBOX_STATUSES } from '../incident-deliveries.js'

const STATUSES = ['open', 'acknowledged', 'resolved', 'unresolved'] as const
const USAGE = 'tributary incidents [list] [--status open|acknowledged|resolved|unresolved] [--limit n] [--json]\n       tributary incidents ack <id> [--by name]\n       tributary incidents resolve <id> --message "…"\n       tributary incidents deliveries [<id>] [--status pending|delivered|exhausted] [--limit n] [--json]'

/** `tributary incidents`: list, acknowledge and resolve incidents raised by the daemon. */
export default defineCommand({
  name: 'incidents',
  summary: 'list, acknowledge and resolve incidents (one per asset and failure condition)',
  usage: USAGE,
  help: [
    '  list                 newest first (the default subcommand)',
    '  --status s           only incidents with this status (default: all)',
    '  --limit n            how many (default: 50)',
    '  ack <id>             stop escalation: someone is on it',
    '  --by name            who acknowledges (default: the current user)',
    '  resolve <id>         close it by hand and tell the sinks; the daemon opens a new one if the problem is still there',
    '  --message text       the resolution, required with resolve',
    '  deliveries [<id>]    (or --deliveries) the notification outbox: each announcement to each sink, pending, delivered or',
    '                       exhausted (out of attempts), with its attempts and last error; --status filters',
    '',
    'Examples:',
    '  tributary incidents --status unresolved',
    '  tributary incidents ack 12 --by alice',
    '  tributary incidents resolve 12 --message "re-sent the CRM export"',
    '  tributary incidents deliveries --status exhausted',
  ].join('\n'),
  options: { status: { type: 'string' }, limit: { type: 'string' }, by: { type: 'string' }, message: { type: 'string' }, deliveries: { type: 'boolean' } },
  async run(ctx) {
    // `--deliveries` is the same as the `deliveries` subcommand.
    const [sub = 'list', ...rest] = ctx.values.deliveries === true && ctx.positionals[0] !== 'deliveries' ? ['deliveries', ...ctx.positionals] : ctx.positionals
    if (sub === 'list' && rest.length === 0) return withStore(ctx, (store, now) => list(ctx, store, now))
    if (sub === 'deliveries' && rest.length <= 1) {
      const id = rest[0] === undefined ? undefined : Number(rest[0])
      if (id !== undefined && (!Number.isSafeInteger(id) || id < 1)) return usage(ctx, `incident ids are positive whole numbers, not ${JSON.stringify(rest[0])}`)
      const status = ctx.values.status as string | undefined
      if (status !== undefined && !(OUTBOX_STATUSES as readonly string[]).includes(status)) return usage(ctx, `--status must be one of ${OUTBOX_STATUSES.join(', ')} for deliveries`)
      const limit = Number(ctx.values.limit ?? 50)
      if (!Number.isInteger(limit) || limit < 1) return usage(ctx, '--limit must be a positive whole number')
      return withStore(ctx, (store, now) => listDeliveries(ctx, store, now, { ...(id ? { incidentId: id } : {}), ...(status ? { status: status as (typeof OUTBOX_STATUSES)[number] } : {}), limit }))
    }
    if ((sub === 'ack' || sub === 'resolve') && rest.length === 1) {
      const id = Number(rest[0])
      if (!Number.isSafeInteger(id) || id < 1) return usage(ctx, `incident ids are positive whole numbers, not ${JSON.stringify(rest[0])}`)
      const message = typeof ctx.values.message === 'string' ? ctx.values.message.trim() : ''
      if (sub === 'resolve' && !message) return usage(ctx, 'resolve needs --message "what fixed it"')
      return withStore(ctx, (store, now, instance) => (sub === 'ack' ? acknowledge(ctx, store, id, now) : resolve(ctx, store, id, message, instance)))
    }
    return usage(ctx, `unknown incidents subcommand ${JSON.stringify(ctx.positionals.join(' '))}`)
  },
})

async function list(ctx: CommandContext, store: AutomationStore, now: Date): Promise<number> {
  const status = ctx.values.status as string | undefined
  const limit = Number(ctx.values.limit ?? 50)
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) return usage(ctx, `--status must be one of ${STATUSES.join(', ')}`)
  if (!Number.isInteger(limit) || limit < 1) return usage(ctx, '--limit must be a positive whole number')
  const incidents = await store.listIncidents({ limit, ...(status ? { status: status as IncidentStatus | 'unresolved' } : {}) })
  if (ctx.json) {
    ctx.out(JSON.stringify(incidents, null, 2))
    return Exit.Ok
  }
  if (incidents.length === 0) {
    ctx.out(style.dim(status ? `no ${status} incidents` : 'no incidents yet'))
    return Exit.Ok
  }
  ctx.out(table(['ID', 'STATUS', 'SEVERITY', 'CONDITION', 'ASSET', 'OWNER', 'OPENED', 'SEEN', 'MESSAGE'], incidents.map((incident) => [
    String(incident.id), statusLabel(incident), severityLabel(incident.severity), incident.condition, incident.assetKey,
    incident.owner ?? style.dim('—'), ago(incident.openedAt, now), `${incident.occurrences}×`,
    incident.status === 'resolved' ? style.dim(incident.resolution ?? '') : incident.message,
  ])))
  // Nothing is dropped silently: notifications no sink took are named under every listing.
  const { exhausted } = await store.countOutbox()
  if (exhausted > 0) ctx.out(style.yellow(`\n${exhausted} notification${exhausted === 1 ? '' : 's'} could not be delivered: tributary incidents deliveries --status exhausted`))
  return Exit.Ok
}

async function acknowledge(ctx: CommandContext, store: AutomationStore, id: number, now: Date): Promise<number> {
  const before = await requireIncident(store, id)
  if (before.status === 'resolved') throw notOpen(before)
  const by = typeof ctx.values.by === 'string' && ctx.values.by.trim() ? ctx.values.by.trim() : currentUser()
  const incident = before.status === 'open' ? ((await store.acknowledgeIncident(id, by, now)) ?? before) : before
  if (ctx.json) ctx.out(JSON.stringify(incident, null, 2))
  else if (before.status === 'acknowledged') ctx.out(`incident #${id} was already acknowledged by ${before.acknowledgedBy ?? 'someone'} ${ago(before.acknowledgedAt, now)}`)
  else ctx.out(`${style.green('✓')} incident #${id} acknowledged by ${by}: ${incident.condition} on ${style.bold(incident.assetKey)}; it will not escalate`)
  return Exit.Ok
}

async function resolve(ctx: CommandContext, store: AutomationStore, id: number, message: string, instance: Tributary): Promise<number> {
  const before = await requireIncident(store, id)
  const now = instance.clock.now()
  // The sinks hear of it as of a resolve the daemon makes; what they fail to take, the daemon retries.
  const result = (await resolveByHand({ store, id, message, config: instance.project.alerts, clock: instance.clock, sinkOptions: { logWriter: (line) => ctx.err(line) } }))!
  const incident = result.incident
  if (ctx.json) ctx.out(JSON.stringify(incident, null, 2))
  else if (before.status === 'resolved') ctx.out(`incident #${id} was already resolved ${ago(before.resolvedAt, now)}: ${before.resolution ?? ''}`)
  else {
    ctx.out(`${style.green('✓')} incident #${id} resolved: ${incident.condition} on ${style.bold(incident.assetKey)}`)
    const { delivered, retrying, exhausted } = result.delivery
    if (delivered.length > 0) ctx.out(`  announced to ${delivered.map((entry) => entry.sink).join(', ')}`)
    for (const entry of retrying) ctx.out(style.yellow(`  not yet announced to ${entry.sink} (${entry.lastError ?? 'failed'}); the daemon retries it`))
    for (const entry of exhausted) ctx.out(style.red(`  could not announce to ${entry.sink}: ${entry.lastError ?? 'failed'}`))
  }
  return Exit.Ok
}

/** Opens the project and its automation store (the one its config chose); closes both. */
async function withStore(ctx: CommandContext, body: (store: AutomationStore, now: Date, instance: Tributary) => Promise<number>): Promise<number> {
  const instance = await Tributary.open({ projectDir: ctx.projectDir })
  try {
    // The project's store, SQLite or PostgreSQL; instance.close() closes it.
    return await body(await instance.automation(), instance.clock.now(), instance)
  } finally {
    await instance.close()
  }
}

async function requireIncident(store: AutomationStore, id: number): Promise<IncidentRecord> {
  const incident = await store.getIncident(id)
  if (incident) return incident
  throw new TributaryError(ErrorCode.Usage, `no incident #${id}`, { hint: 'List incidents and their ids with `tributary incidents --status unresolved`.' })
}

function notOpen(incident: IncidentRecord): TributaryError {
  return new TributaryError(ErrorCode.Usage, `incident #${incident.id} is resolved; there is nothing to acknowledge`, {
    hint: 'If the problem is back, the daemon opens a new incident for it on its next tick.',
    context: { assetKey: incident.assetKey },
  })
}

function usage(ctx: CommandContext, problem: string): number {
  ctx.err(`${style.red(ErrorCode.Usage)} ${problem}\n        ${style.dim(`usage: ${USAGE.replaceAll('\n       ', '\n               ')}`)}`)
  return Exit.Usage
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}

function statusLabel(incident: IncidentRecord): string {
  if (incident.status === 'resolved') return style.green('✓ resolved')
  if (incident.status === 'acknowledged') return style.yellow(`◐ acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}`)
  return style.red(incident.escalatedAt ? '‼ open, escalated' : '● open')
}

function severityLabel(severity: IncidentRecord['severity']): string {
  return severity === 'critical' ? style.red(severity) : severity === 'warning' ? style.yellow(severity) : style.dim(severity)
}
