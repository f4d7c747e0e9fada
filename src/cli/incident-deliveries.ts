import type { AutomationStore, OutboxEntry, OutboxStatus } from '../store/automation-store.js'
import { Exit, type CommandContext } from './command.js'
import { ago, style, table } from './format.js'

/** The outbox statuses `tributary incidents deliveries --status` accepts. */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'exhausted'] as const

/** `tributary incidents deliveries`: the outbox, newest first, as a table or JSON (one record per notification and sink). */
export async function listDeliveries(ctx: CommandContext, store: AutomationStore, now: Date, options: { incidentId?: number; status?: OutboxStatus; limit: number }): Promise<number> {
  const entries = await store.listOutbox(options)
  if (ctx.json) {
    ctx.out(JSON.stringify(await Promise.all(entries.map(async (entry) => ({ ...withoutSnapshot(entry), attemptLog: await attemptsOf(store, entry) }))), null, 2))
    return Exit.Ok
  }
  if (entries.length === 0) {
    ctx.out(style.dim(options.status ? `no ${options.status} deliveries` : 'no deliveries yet'))
    return Exit.Ok
  }
  ctx.out(table(['ID', 'INCIDENT', 'EVENT', 'SINK', 'STATUS', 'ATTEMPTS', 'WHEN', 'LAST ERROR'], entries.map((entry) => [
    String(entry.id), `#${entry.incidentId} ${entry.incident.assetKey}`, entry.event, entry.sink, statusLabel(entry.status), String(entry.attempts),
    entry.status === 'pending' ? `next ${until(entry.nextAttemptAt, now)}` : ago(entry.settledAt, now), entry.lastError ?? style.dim('—'),
  ])))
  return Exit.Ok
}

/** The entry for JSON: the incident snapshot reduced to what identifies it. */
function withoutSnapshot(entry: OutboxEntry) {
  const { incident, ...rest } = entry
  return { ...rest, assetKey: incident.assetKey, condition: incident.condition, owner: incident.owner }
}

/** The recorded attempts of one entry (deliveries rows of its incident, sink and event), oldest first. */
async function attemptsOf(store: AutomationStore, entry: OutboxEntry) {
  return (await store.listDeliveries(entry.incidentId))
    .filter((delivery) => delivery.sink === entry.sink && delivery.event === entry.event)
    .map(({ attempt, ok, error, at }) => ({ attempt, ok, error, at }))
}

function statusLabel(status: OutboxStatus): string {
  return status === 'delivered' ? style.green('✓ delivered') : status === 'exhausted' ? style.red('✗ exhausted') : style.yellow('… pending')
}

function until(date: Date, now: Date): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000)
  if (seconds <= 0) return 'now'
  return seconds < 90 ? `in ${seconds}s` : seconds < 5400 ? `in ${Math.round(seconds / 60)}m` : `in ${Math.round(seconds / 3600)}h`
}
