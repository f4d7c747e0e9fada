import type { QueryResultRow } from 'pg'
import type {
  AlertCondition, AutomationStore, DecisionRecord, DeliveryRecord, IncidentInput, IncidentRecord, IncidentStatus, LeaderLock, Notify, OutboxEntry, OutboxOutcome, OutboxStatus,
} from '../automation-store.js'
import type { PostgresStoreConfig } from '../store-config.js'
import { PostgresLeaderLock } from './leader-lock.js'
import { applyMigrations, loadMigrations } from './migrations.js'
import { asStoreError, inTransaction, openPool, type Client, type Pool } from './open-pool.js'
import { outbox } from './outbox-statements.js'

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

// Write transactions that read before they write (incidents, the outbox) run one at a time, as
// under SQLite's BEGIN IMMEDIATE, so two daemons cannot both open the same incident or claim the same entry.
const AUTOMATION_LOCK = 0x747262617574

/** The AutomationStore in the same PostgreSQL database as the metadata store (its own pool). */
export class PostgresAutomationStore implements AutomationStore {
  private constructor(private readonly pool: Pool, private readonly config: PostgresStoreConfig) {}

  /** Opens a pool on `config.url` (TRB4020 when the database does not answer); call migrate() before use. */
  static async open(config: PostgresStoreConfig): Promise<PostgresAutomationStore> {
    const store = new PostgresAutomationStore(openPool(config), config)
    try {
      await store.guard(() => store.pool.query('SELECT 1'))
    } catch (error) {
      await store.pool.end()
      throw error
    }
    return store
  }

  async migrate(): Promise<void> {
    await this.guard(() => applyMigrations(this.pool, this.config.url, loadMigrations()))
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  async claimTick(tickId: string, holder: string, at: Date, staleBefore?: Date): Promise<boolean> {
    // The primary key makes the claim atomic across processes: exactly one INSERT (or take-over) wins.
    const { rowCount } = await this.query(`INSERT INTO daemon_ticks (tick_id, holder, claimed_at) VALUES ($1, $2, $3)
      ON CONFLICT (tick_id) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
      WHERE daemon_ticks.completed_at IS NULL AND daemon_ticks.claimed_at < $4::bigint`, [tickId, holder, at.getTime(), staleBefore?.getTime() ?? null])
    return rowCount === 1
  }

  async getTick(tickId: string): Promise<{ holder: string; claimedAt: Date; runId: string | null; completedAt: Date | null } | undefined> {
    const { rows } = await this.query<{ holder: string; claimed_at: number; run_id: string | null; completed_at: number | null }>(
      'SELECT holder, claimed_at, run_id, completed_at FROM daemon_ticks WHERE tick_id = $1', [tickId])
    const row = rows[0]
    return row ? { holder: row.holder, claimedAt: new Date(row.claimed_at), runId: row.run_id, completedAt: date(row.completed_at) } : undefined
  }

  async completeTick(tickId: string, runId: string | null, at: Date): Promise<void> {
    await this.query('UPDATE daemon_ticks SET run_id = $1, completed_at = $2 WHERE tick_id = $3', [runId, at.getTime(), tickId])
  }

  async getCursor(name: string): Promise<string | null> {
    const { rows } = await this.query<{ value: string }>('SELECT value FROM daemon_cursors WHERE name = $1', [name])
    return rows[0]?.value ?? null
  }

  async setCursor(name: string, value: string, expected: string | null): Promise<boolean> {
    const now = Date.now()
    const { rowCount } = expected === null
      ? await this.query('INSERT INTO daemon_cursors (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, value, now])
      : await this.query('UPDATE daemon_cursors SET value = $1, updated_at = $2 WHERE name = $3 AND value = $4', [value, now, name, expected])
    return rowCount === 1
  }

  async recordDecisions(decisions: readonly Omit<DecisionRecord, 'id'>[]): Promise<void> {
    if (decisions.length === 0) return
    // One statement for the whole tick's decisions.
    await this.query(`INSERT INTO automation_decisions (tick_id, asset_key, requested, reason, run_id, at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::bigint[])`, [
      decisions.map((d) => d.tickId), decisions.map((d) => d.assetKey), decisions.map((d) => (d.requested ? 1 : 0)),
      decisions.map((d) => d.reason), decisions.map((d) => d.runId), decisions.map((d) => d.at.getTime()),
    ])
  }

  async listDecisions(options: { assetKey?: string; limit?: number } = {}): Promise<DecisionRecord[]> {
    const { rows } = await this.query<{ id: number; tick_id: string; asset_key: string; requested: number; reason: string; run_id: string | null; at: number }>(
      'SELECT * FROM automation_decisions WHERE ($1::text IS NULL OR asset_key = $1::text) ORDER BY id DESC LIMIT $2', [options.assetKey ?? null, options.limit ?? 100])
    return rows.map((r) => ({ id: r.id, tickId: r.tick_id, assetKey: r.asset_key, requested: r.requested === 1, reason: r.reason, runId: r.run_id, at: new Date(r.at) }))
  }

  async raiseIncident(input: IncidentInput & Notify): Promise<{ incident: IncidentRecord; created: boolean }> {
    return this.write(async (db) => {
      const open = (await db.query<IncidentRow>("SELECT * FROM incidents WHERE asset_key = $1 AND condition = $2 AND status <> 'resolved'", [input.assetKey, input.condition])).rows[0]
      if (open) {
        const { rows } = await db.query<IncidentRow>(`UPDATE incidents SET severity = $1, owner = $2, message = $3, affected = $4, occurrences = occurrences + 1, updated_at = $5
          WHERE id = $6 RETURNING *`, [input.severity, input.owner, input.message, JSON.stringify(input.affected), input.at.getTime(), open.id])
        return { incident: toIncident(rows[0]!), created: false }
      }
      const at = input.at.getTime()
      const { rows } = await db.query<IncidentRow>(`INSERT INTO incidents (asset_key, condition, severity, status, owner, message, affected, opened_at, updated_at)
        VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $7) RETURNING *`, [input.assetKey, input.condition, input.severity, input.owner, input.message, JSON.stringify(input.affected), at])
      const incident = toIncident(rows[0]!)
      await outbox.enqueue(db, incident, 'opened', input.notify, input.at)
      return { incident, created: true }
    })
  }

  async getIncident(id: number): Promise<IncidentRecord | undefined> {
    const row = (await this.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id])).rows[0]
    return row ? toIncident(row) : undefined
  }

  async findOpenIncident(assetKey: string, condition: AlertCondition): Promise<IncidentRecord | undefined> {
    const row = (await this.query<IncidentRow>("SELECT * FROM incidents WHERE asset_key = $1 AND condition = $2 AND status <> 'resolved'", [assetKey, condition])).rows[0]
    return row ? toIncident(row) : undefined
  }

  async listIncidents(options: { status?: IncidentStatus | 'unresolved'; limit?: number } = {}): Promise<IncidentRecord[]> {
    const limit = options.limit ?? 100
    const { rows } = options.status === undefined
      ? await this.query<IncidentRow>('SELECT * FROM incidents ORDER BY id DESC LIMIT $1', [limit])
      : options.status === 'unresolved'
        ? await this.query<IncidentRow>("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY id DESC LIMIT $1", [limit])
        : await this.query<IncidentRow>('SELECT * FROM incidents WHERE status = $1 ORDER BY id DESC LIMIT $2', [options.status, limit])
    return rows.map(toIncident)
  }

  async acknowledgeIncident(id: number, by: string, at: Date): Promise<IncidentRecord | undefined> {
    await this.query("UPDATE incidents SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2, updated_at = $1 WHERE id = $3 AND status = 'open'", [at.getTime(), by, id])
    return this.getIncident(id)
  }

  async markEscalated(id: number, at: Date, notify?: readonly string[]): Promise<void> {
    await this.write(async (db) => {
      const { rows } = await db.query<IncidentRow>('UPDATE incidents SET escalated_at = $1, updated_at = $1 WHERE id = $2 AND escalated_at IS NULL RETURNING *', [at.getTime(), id])
      if (rows[0]) await outbox.enqueue(db, toIncident(rows[0]), 'escalated', notify, at)
    })
  }

  async resolveIncident(id: number, resolution: string, at: Date, notify?: readonly string[]): Promise<IncidentRecord | undefined> {
    return this.write(async (db) => {
      const { rows } = await db.query<IncidentRow>(`UPDATE incidents SET status = 'resolved', resolved_at = $1, resolution = $2, updated_at = $1
        WHERE id = $3 AND status <> 'resolved' RETURNING *`, [at.getTime(), resolution, id])
      // Only the call that resolved it announces it: a second resolve (or another daemon's) queues nothing.
      if (rows[0]) {
        const incident = toIncident(rows[0])
        await outbox.enqueue(db, incident, 'resolved', notify, at)
        return incident
      }
      const row = (await db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id])).rows[0]
      return row ? toIncident(row) : undefined
    })
  }

  async recordDelivery(delivery: Omit<DeliveryRecord, 'id'>): Promise<void> {
    await this.query('INSERT INTO deliveries (incident_id, sink, event, attempt, ok, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [delivery.incidentId, delivery.sink, delivery.event, delivery.attempt, delivery.ok ? 1 : 0, delivery.error, delivery.at.getTime()])
  }

  async listDeliveries(incidentId: number): Promise<DeliveryRecord[]> {
    const { rows } = await this.query<{ id: number; incident_id: number; sink: string; event: string; attempt: number; ok: number; error: string | null; at: number }>(
      'SELECT * FROM deliveries WHERE incident_id = $1 ORDER BY id', [incidentId])
    return rows.map((r) => ({ id: r.id, incidentId: r.incident_id, sink: r.sink, event: r.event as DeliveryRecord['event'], attempt: r.attempt, ok: r.ok === 1, error: r.error, at: new Date(r.at) }))
  }

  async claimOutbox(options: { holder: string; at: Date; leaseUntil: Date; limit: number }): Promise<OutboxEntry[]> {
    return this.write((db) => outbox.claim(db, options))
  }

  async settleOutbox(outcomes: readonly (OutboxOutcome & { readonly id: number })[]): Promise<void> {
    if (outcomes.length === 0) return
    await this.write(async (db) => {
      for (const outcome of outcomes) await outbox.settle(db, outcome.id, outcome)
    })
  }

  async nextOutboxDue(): Promise<Date | null> {
    return this.guard(() => outbox.nextDue(this.pool))
  }

  async listOutbox(options: { status?: OutboxStatus; incidentId?: number; limit?: number } = {}): Promise<OutboxEntry[]> {
    return this.guard(() => outbox.list(this.pool, options))
  }

  async countOutbox(): Promise<Record<OutboxStatus, number>> {
    return this.guard(() => outbox.count(this.pool))
  }

  async rememberWebhookDelivery(sensor: string, ids: readonly string[], at: Date, forgetBefore: Date): Promise<boolean> {
    // One transaction: two servers receiving the same delivery at once cannot both take it.
    try {
      await this.write(async (db) => {
        await db.query('DELETE FROM webhook_deliveries WHERE received_at < $1', [forgetBefore.getTime()])
        for (const id of ids) {
          const { rowCount } = await db.query('INSERT INTO webhook_deliveries (sensor, delivery_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [sensor, id, at.getTime()])
          if (rowCount === 0) throw REPLAYED
        }
      })
      return true
    } catch (error) {
      if (error === REPLAYED) return false
      throw error
    }
  }

  /** A session-level advisory lock on a connection of its own (see PostgresLeaderLock). */
  leaderLock(role: string): LeaderLock {
    return new PostgresLeaderLock(this.config, role)
  }

  private query<R extends QueryResultRow = QueryResultRow>(text: string, values: unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.guard(() => this.pool.query<R>(text, values))
  }

  private write<T>(fn: (db: Client) => Promise<T>): Promise<T> {
    return this.guard(() => inTransaction(this.pool, fn, AUTOMATION_LOCK))
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw error === REPLAYED ? error : asStoreError(error, this.config.url)
    }
  }
}

// Thrown inside the transaction to roll back the ids already inserted for a replay.
const REPLAYED = Symbol('replayed')
