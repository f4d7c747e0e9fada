import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Clock } from '../../engine/clock.js'
import type { Relation } from '../../graph/asset-graph.js'
import type { PublicationRecord, Warehouse, WarehouseSession } from '../warehouse.js'
import { lockedError, openError } from './duckdb-errors.js'
import { DuckDbSession } from './duckdb-session.js'
import { CREATE_LEDGER, LEDGER_EXISTS, SELECT_PUBLICATIONS, toPublication } from './ledger.js'
import { checkDuckDbFile, foreignWarehouseError, missingWarehouseError, type PublishedAssets } from './open-checks.js'
import { SerialConnection } from './serial-connection.js'

const STAGING_PREFIX = '__trb_stage_'
// PostgreSQL truncates identifiers past 63 bytes; staying under it keeps names portable.
const MAX_IDENTIFIER = 63
const HASH_LENGTH = 10
/** Connections kept open between sessions. */
const MAX_IDLE = 16

// DuckDB's file lock is per process, so a second instance on the same file in this process
// would open without complaint and corrupt it. Refuse that here instead.
const openFiles = new Set<string>()

/** The embedded warehouse: one DuckDB file, one connection per session. */
export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb'
  private readonly sessions = new Set<DuckDbSession>()
  // Connections of closed sessions, handed to the next ones: opening a connection costs more
  // than most statements of a step, and a run opens a session per step.
  private readonly idle: DuckDBConnection[] = []
  private closed = false

  private constructor(
    /** Absolute path of the DuckDB file. */
    readonly file: string,
    private readonly instance: DuckDBInstance,
    // Serves warehouse-level reads (the ledger) so they never wait behind a session's work.
    private readonly admin: SerialConnection,
    private readonly clock: Clock | undefined,
  ) {}

  /**
   * Opens (creating when missing) the DuckDB file at `path` and its parent directory.
   * Throws TRB5001 when another process, or another warehouse in this one, holds the file;
   * TRB5012 when the file is not a DuckDB database. Given `published` (the store's published
   * assets, asked only when needed), a missing file is TRB5011 and a DuckDB file without
   * Tributary's ledger TRB5012, instead of a new, empty warehouse. `clock` times the resends of
   * a session's interrupt (Default: the system clock).
   */
  static async open(path: string, options: { published?: PublishedAssets; clock?: Clock } = {}): Promise<DuckDbWarehouse> {
    const file = resolve(path)
    if (openFiles.has(file)) {
      throw lockedError(file, 'This process already has the warehouse open; close that DuckDbWarehouse first or share it.')
    }
    openFiles.add(file)
    try {
      const published = async () => (options.published ? await options.published() : [])
      if (!existsSync(file)) {
        const assets = await published()
        if (assets.length > 0) throw missingWarehouseError(file, assets)
      } else if (statSync(file).size === 0 && (await published()).length === 0) {
        // Created and never written (a process killed as it first opened the warehouse), and nothing
        // was ever published to it: nothing to lose, so it is created again. With publications
        // recorded, checkDuckDbFile refuses it (TRB5012): that data is gone.
        await rm(file, { force: true })
        await rm(`${file}.wal`, { force: true })
      }
      checkDuckDbFile(file)
      await mkdir(dirname(file), { recursive: true })
      const instance = await DuckDBInstance.create(file).catch((error: unknown) => {
        throw openError(file, error)
      })
      try {
        const admin = new SerialConnection(await instance.connect())
        const [ledger] = await admin.read(LEDGER_EXISTS)
        if (Number(ledger?.n) === 0) {
          const assets = await published()
          if (assets.length > 0) throw foreignWarehouseError(file, assets)
        }
        await admin.run(CREATE_LEDGER)
        return new DuckDbWarehouse(file, instance, admin, options.clock)
      } catch (error) {
        instance.closeSync()
        throw error
      }
    } catch (error) {
      openFiles.delete(file)
      throw error
    }
  }

  /** A new session on a connection of its own (a fresh one, or one a closed session left clean). */
  async session(): Promise<WarehouseSession> {
    if (this.closed) throw new Error(`the DuckDB warehouse ${this.file} is closed`)
    const connection = this.idle.pop() ?? (await this.instance.connect())
    const session: DuckDbSession = new DuckDbSession(new SerialConnection(connection, this.clock), (clean) => {
      this.sessions.delete(session)
      if (clean && !this.closed && this.idle.length < MAX_IDLE) this.idle.push(connection)
      else connection.closeSync()
    })
    this.sessions.add(session)
    return session
  }

  /** `__trb_stage_<name>_<hash of run and partition>` beside the target, at most 63 characters. */
  stagingRelation(target: Relation, runId: string, partition: string | null): Relation {
    const hash = createHash('sha256').update(JSON.stringify([runId, partition])).digest('hex').slice(0, HASH_LENGTH)
    const room = MAX_IDENTIFIER - STAGING_PREFIX.length - 1 - HASH_LENGTH
    return { schema: target.schema, name: `${STAGING_PREFIX}${target.name.slice(0, room)}_${hash}` }
  }

  /** Publications the ledger holds for `runId`, oldest first. */
  async publications(runId: string): Promise<PublicationRecord[]> {
    return (await this.admin.read(SELECT_PUBLICATIONS, [runId])).map(toPublication)
  }

  /** Closes every session, then the database; DuckDB checkpoints its WAL on the way. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.sessions].map((session) => session.close()))
    for (const connection of this.idle.splice(0)) connection.closeSync()
    await this.admin.close()
    this.instance.closeSync()
    openFiles.delete(this.file)
  }
}
