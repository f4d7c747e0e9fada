import type Database from 'better-sqlite3'
import type {
  AlertCondition, AutomationStore, DecisionRecord, DeliveryRecord, IncidentInput, IncidentRecord, IncidentStatus, Notify, OutboxEntry, OutboxOutcome, OutboxStatus,
} from '../automation-store.js'
import { OutboxStatements } from './outbox-statements.js'
import { applyMigrations, loadMigrations } from './migrations.js'
import { openDatabase } from './open-database.js'

interface IncidentRow {
  id: number; asset_key: string; condition: string; severity: string; status: string; owner: string | null; message: string
  affected: string; occurrences: number; opened_at: number; updated_at: number; escalated_at: number | null
  acknowledged_at: number | null; acknowledged_by: string | null; resolved_at: number | null; resolution: string | null
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms))

function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id, assetKey: row.asset_key, condition: row.condition as AlertCondition, severity: row.severity as IncidentRecord['severity'],
    status: row.status as IncidentStatus, owner: row.owner, message: row.message, affected: JSON.parse(row.affected) as string[],
    occurrences: row.occurrences, openedAt: new Date(row.opened_at), updatedAt: new Date(row.updated_at), escalatedAt: date(row.escalated_at),
    acknowledgedAt: date(row.acknowledged_at), acknowledgedBy: row.acknowledged_by, resolvedAt: date(row.resolved_at), resolution: row.resolution,
  }
}

/** The AutomationStore on the same SQLite file as the metadata store (its own connection; WAL lets both in). */
export class SqliteAutomationStore implements AutomationStore {
  private readonly outbox: OutboxStatements
  private constructor(private readonly db: Database.Database, private readonly file: string) {
    this.outbox = new OutboxStatements(db)
  }

  /** Opens the store file; call migrate() before use. */
  static async open(path: string): Promise<SqliteAutomationStore> {
    return new SqliteAutomationStore(await openDatabase(path), path)
  }

  async migrate(): Promise<void> {
    applyMigrations(this.db, this.file, loadMigrations())
  }

  async close(): Promise<void> {
    this.db.close()
  }

  async claimTick(tickId: string, holder: string, at: Date, staleBefore?: Date): Promise<boolean> {
    // The primary key makes the claim atomic across processes: exactly one INSERT (or take-over) wins.
    const result = this.db.prepare(`INSERT INTO daemon_ticks (tick_id, holder, claimed_at) VALUES (?, ?, ?)
      ON CONFLICT (tick_id) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
      WHERE daemon_ticks.completed_at IS NULL AND daemon_ticks.claimed_at < ?`).run(tickId, holder, at.getTime(), staleBefore?.getTime() ?? Number.NEGATIVE_INFINITY)
    return result.changes === 1
  }

  async getTick(tickId: string): Promise<{ holder: string; claimedAt: Date; runId: string | null; completedAt: Date | null } | undefined> {
    const row = this.db.prepare('SELECT holder, claimed_at, run_id, completed_at FROM daemon_ticks WHERE tick_id = ?').get(tickId) as { holder: string; claimed_at: number; run_id: string | null; completed_at: number | null } | undefined
    return row ? { holder: row.holder, claimedAt: new Date(row.claimed_at), runId: row.run_id, completedAt: row.completed_at === null ? null : new Date(row.completed_at) } : undefined
  }

  async completeTick(tickId: string, runId: string | null, at: Date): Promise<void> {
    this.db.prepare('UPDATE daemon_ticks SET run_id = ?, completed_at = ? WHERE tick_id = ?').run(runId, at.getTime(), tickId)
  }

  async getCursor(name: string): Promise<string | null> {
    return (this.db.prepare('SELECT value FROM daemon_cursors WHERE name = ?').pluck().get(name) as string | undefined) ?? null
  }

  async setCursor(name: string, value: string, expected: string | null): Promise<boolean> {
    const now = Date.now()
    const result = expected === null
      ? this.db.prepare('INSERT INTO daemon_cursors (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, value, now)
      : this.db.prepare('UPDATE daemon_cursors SET value = ?, updated_at = ? WHERE name = ? AND value = ?').run(value, now, name, expected)
    return result.changes === 1
  }

  async recordDecisions(decisions: readonly Omit<DecisionRecord, 'id'>[]): Promise<void> {
    const insert = this.db.prepare('INSERT INTO automation_decisions (tick_id, asset_key, requested, reason, run_id, at) VALUES (?, ?, ?, ?, ?, ?)')
    this.db.transaction(() => {
      for (const d of decisions) insert.run(d.tickId, d.assetKey, d.requested ? 1 : 0, d.reason, d.runId, d.at.getTime())
    }).immediate()
  }

  async listDecisions(options: { assetKey?: string; limit?: number } = {}): Promise<DecisionRecord[]> {
    const rows = (options.assetKey
      ? this.db.prepare('SELECT * FROM automation_decisions WHERE asset_key = ? ORDER BY id DESC LIMIT ?').all(options.assetKey, options.limit ?? 100)
      : this.db.prepare('SELECT * FROM automation_decisions ORDER BY id DESC LIMIT ?').all(options.limit ?? 100)) as { id: number; tick_id: string; asset_key: string; requested: number; reason: string; run_id: string | null; at: number }[]
    return rows.map((r) => ({ id: r.id, tickId: r.tick_id, assetKey: r.asset_key, requested: r.requested === 1, reason: r.reason, runId: r.run_id, at: new Date(r.at) }))
  }

  async raiseIncident(input: IncidentInput & Notify): Promise<{ incident: IncidentRecord; created: boolean }> {
    return this.db.transaction(() => {
      const open = this.db.prepare("SELECT * FROM incidents WHERE asset_key = ? AND condition = ? AND status <> 'resolved'").get(input.assetKey, input.condition) as IncidentRow | undefined
      if (open) {
        this.db.prepare('UPDATE incidents SET severity = ?, owner = ?, message = ?, affected = ?, occurrences = occurrences + 1, updated_at = ? WHERE id = ?')
          .run(input.severity, input.owner, input.message, JSON.stringify(input.affected), input.at.getTime(), open.id)
        return { incident: toIncident(this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(open.id) as IncidentRow), created: false }
      }
      const at = input.at.getTime()
      const result = this.db.prepare("INSERT INTO incidents (asset_key, condition, severity, status, owner, message, affected, opened_at, updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)")
        .run(input.assetKey, input.condition, input.severity, input.owner, input.message, JSON.stringify(input.affected), at, at)
      const incident = toIncident(this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(result.lastInsertRowid) as IncidentRow)
      this.outbox.enqueue(incident, 'opened', input.notify, input.at)
      return { incident, created: true }
    }).immediate()
  }

  async getIncident(id: number): Promise<IncidentRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined
    return row ? toIncident(row) : undefined
  }

  async findOpenIncident(assetKey: string, condition: AlertCondition): Promise<IncidentRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM incidents WHERE asset_key = ? AND condition = ? AND status <> 'resolved'").get(assetKey, condition) as IncidentRow | undefined
    return row ? toIncident(row) : undefined
  }

  async listIncidents(options: { status?: IncidentStatus | 'unresolved'; limit?: number } = {}): Promise<IncidentRecord[]> {
    const limit = options.limit ?? 100
    const rows = options.status === undefined
      ? this.db.prepare('SELECT * FROM incidents ORDER BY id DESC LIMIT ?').all(limit)
      : options.status === 'unresolved'
        ? this.db.prepare("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY id DESC LIMIT ?").all(limit)
        : this.db.prepare('SELECT * FROM incidents WHERE status = ? ORDER BY id DESC LIMIT ?').all(options.status, limit)
    return (rows as IncidentRow[]).map(toIncident)
  }

  async acknowledgeIncident(id: number, by: string, at: Date): Promise<IncidentRecord | undefined> {
    this.db.prepare("UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ? AND status = 'open'").run(at.getTime(), by, at.getTime(), id)
    return this.getIncident(id)
  }

  async markEscalated(id: number, at: Date, notify?: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE incidents SET escalated_at = ?, updated_at = ? WHERE id = ? AND escalated_at IS NULL').run(at.getTime(), at.getTime(), id).changes === 1
      const row = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined
      if (changed && row) this.outbox.enqueue(toIncident(row), 'escalated', notify, at)
    }).immediate()
  }

  async resolveIncident(id: number, resolution: string, at: Date, notify?: readonly string[]): Promise<IncidentRecord | undefined> {
    return this.db.transaction(() => {
      const changed = this.db.prepare("UPDATE incidents SET status = 'resolved', resolved_at = ?, resolution = ?, updated_at = ? WHERE id = ? AND status <> 'resolved'").run(at.getTime(), resolution, at.getTime(), id).changes === 1
      const row = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined
      const incident = row ? toIncident(row) : undefined
      // Only the call that resolved it announces it: a second resolve (or another daemon's) queues nothing.
      if (changed && incident) this.outbox.enqueue(incident, 'resolved', notify, at)
      return incident
    }).immediate()
  }

  async recordDelivery(delivery: Omit<DeliveryRecord, 'id'>): Promise<void> {
    this.db.prepare('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(delivery.incidentId, delivery.sink, delivery.event, delivery.attempt, delivery.ok ? 1 : 0, delivery.error, delivery.at.getTime())
  }

  async listDeliveries(incidentId: number): Promise<DeliveryRecord[]> {
    const rows = this.db.prepare('SELECT * FROM deliveries WHERE incident_id = ? ORDER BY id').all(incidentId) as { id: number; incident_id: number; sink: string; event: string; attempt: number; ok: number; error: string | null; at: number }[]
    return rows.map((r) => ({ id: r.id, incidentId: r.incident_id, sink: r.sink, event: r.event as DeliveryRecord['event'], attempt: r.attempt, ok: r.ok === 1, error: r.error, at: new Date(r.at) }))
  }

  async claimOutbox(options: { holder: string; at: Date; leaseUntil: Date; limit: number }): Promise<OutboxEntry[]> {
    return this.db.transaction(() => this.outbox.claim(options)).immediate()
  }

  async settleOutbox(outcomes: readonly (OutboxOutcome & { readonly id: number })[]): Promise<void> {
    if (outcomes.length === 0) return
    this.db.transaction(() => {
      for (const outcome of outcomes) this.outbox.settle(outcome.id, outcome)
    }).immediate()
  }

  async nextOutboxDue(): Promise<Date | null> {
    return this.outbox.nextDue()
  }

  async listOutbox(options: { status?: OutboxStatus; incidentId?: number; limit?: number } = {}): Promise<OutboxEntry[]> {
    return this.outbox.list(options)
  }

  async countOutbox(): Promise<Record<OutboxStatus, number>> {
    return this.outbox.count()
  }

  async rememberWebhookDelivery(sensor: string, ids: readonly string[], at: Date, forgetBefore: Date): Promise<boolean> {
    // One transaction: two servers receiving the same delivery at once cannot both take it.
    const remember = this.db.transaction(() => {
      this.db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?').run(forgetBefore.getTime())
      const insert = this.db.prepare('INSERT INTO webhook_deliveries (sensor, delivery_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      for (const id of ids) if (insert.run(sensor, id, at.getTime()).changes === 0) throw REPLAYED
    })
    try {
      remember.immediate()
      return true
    } catch (error) {
      if (error === REPLAYED) return false
      throw error
    }
  }
}

// Thrown inside the transaction to roll back the ids already inserted for a replay.
const REPLAYED = Symbol('replayed')
