import type { Relation } from '../graph/asset-graph.js'
import type { Row, WarehouseQueries } from '../model/context.js'
import type { ColumnInfo } from '../store/records.js'

/** What a publish records alongside the data, in the same warehouse transaction. */
export interface PublicationMeta {
  readonly assetKey: string
  readonly partition: string | null
  readonly runId: string
  readonly dataVersion: string
  readonly rowCount: number
  /**
   * The fence of the attempt publishing (queue workers). When set, the warehouse refuses the
   * publish (TRB7003) if an attempt with a higher fence claimed (raiseFence) or published this
   * asset-partition, so a worker whose lease expired cannot publish once another worker took
   * its step. Default: none.
   */
  readonly fence?: number
}

/** How a publish goes. */
export interface PublishOptions {
  /** The column holding the partition key, when `meta.partition` replaces only that partition's rows. */
  readonly partitionColumn?: string
  /**
   * Called once the publish's writes are done, inside its transaction, just before the commit (on
   * a retried transaction, again): when it throws, the publish rolls back and throws that error.
   * A queue worker asks the store there whether its attempt is still the step's, and holds the
   * step until it records the publish (StepQueue.holdFence). Default: none.
   */
  readonly beforeCommit?: () => Promise<void>
}

/** What a publish records about a relation: its columns, row count and data version, from one snapshot. */
export interface RelationProfile {
  readonly columns: ColumnInfo[]
  readonly rowCount: number
  readonly dataVersion: string
}

/** A publication found in the warehouse's own ledger (used by crash recovery). */
export interface PublicationRecord extends PublicationMeta {
  readonly publishedAt: Date
}

/**
 * Where asset data lives. Staging relations are written by one attempt, checked, then
 * published atomically over the target; the warehouse keeps a ledger of publications so a
 * crash between publishing and recording it in the metadata store can be reconciled.
 * Implementations: DuckDB (embedded default) and PostgreSQL.
 */
export interface Warehouse {
  readonly dialect: 'duckdb' | 'postgres'
  /** A session for one step: queries on it see its own uncommitted work. Close it when done. */
  session(): Promise<WarehouseSession>
  /** The staging relation for one attempt of (asset, partition, run). */
  stagingRelation(target: Relation, runId: string, partition: string | null): Relation
  /** Publications recorded for a run, for crash recovery. */
  publications(runId: string): Promise<PublicationRecord[]>
  /**
   * Raises the publish fence of (asset, partition) to `fence` unless it is higher already, so from
   * now on only attempts with this fence or a higher one publish there. Queue workers call it when
   * they claim an attempt, before running it. Optional: only warehouses that workers of a fleet share have it.
   * A publish of the asset-partition under way holds the fence until it commits: resolves false when that
   * lasted longer than `lockTimeoutMs` (the fence not raised), true once raised. Default: no limit.
   */
  raiseFence?(assetKey: string, partition: string | null, fence: number, options?: { readonly lockTimeoutMs?: number }): Promise<boolean>
  close(): Promise<void>
}

/** One connection's worth of warehouse work. */
export interface WarehouseSession extends WarehouseQueries {
  relationExists(relation: Relation): Promise<boolean>
  /** Replaces `staging` with the rows of a SELECT. */
  createFromSelect(staging: Relation, select: string): Promise<void>
  /** Replaces `staging` with these rows; column types are inferred from the values. */
  createFromRows(staging: Relation, rows: readonly Row[]): Promise<void>
  /** Replaces `staging` with the contents of CSV files that have a header row. */
  createFromCsv(staging: Relation, files: readonly string[]): Promise<void>
  columns(relation: Relation): Promise<ColumnInfo[]>
  rowCount(relation: Relation): Promise<number>
  /** A hash of the relation's contents, independent of row order. */
  dataVersion(relation: Relation): Promise<string>
  /** Columns, row count and data version together, read from one snapshot in fewer round trips than the three calls. */
  inspect(relation: Relation): Promise<RelationProfile>
  /**
   * Atomically replaces `target` with `staging`, drops `staging`, and records the publication.
   * With a partition and `partitionColumn`, replaces only the rows of that partition
   * (creating `target` on the first publish) and leaves every other partition untouched.
   */
  publish(staging: Relation, target: Relation, meta: PublicationMeta, options?: PublishOptions): Promise<void>
  /** Drops a relation; nothing happens when it does not exist. Runs on an interrupted session too. */
  drop(relation: Relation): Promise<void>
  /**
   * Stops the statement this session runs now (DuckDB's interrupt, PostgreSQL's cancel) and refuses
   * every later call but `drop` and `close` (TRB5030). A transaction the statement was part of rolls
   * back, so nothing is half-written or half-published. The engine calls it when the step's timeout
   * runs out or its run is canceled. Resolves once the interrupted work has ended.
   */
  interrupt(): Promise<void>
  close(): Promise<void>
}
