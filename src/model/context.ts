import type { PartitionWindow } from './partitions.js'

/** A row as read from or written to the warehouse. */
export type Row = Record<string, unknown>

/** The read/write slice of the warehouse an asset's code and checks may use. */
export interface WarehouseQueries {
  /** Runs a query with `$1`-style parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>
  /** Runs statements that return nothing. */
  exec(sql: string): Promise<void>
}

/** Log lines an asset writes; stored with the step and shown by `tributary run <id>`. */
export interface StepLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** What a TypeScript asset's `materialize` function receives besides its inputs. */
export interface AssetContext {
  readonly assetKey: string
  readonly runId: string
  /** The partition being built, or null for unpartitioned assets. */
  readonly partition: string | null
  /** Start and end instants of a time partition; null for static partitions and unpartitioned assets. */
  readonly window: PartitionWindow | null
  /** 1 for the first attempt. */
  readonly attempt: number
  /** Aborted on timeout or cancellation; pass it to anything long-running. */
  readonly signal: AbortSignal
  readonly log: StepLogger
  readonly projectDir: string
  readonly warehouse: WarehouseQueries
  /** The quoted staging relation this attempt writes to (io 'table'). */
  readonly staging: string
  /** Writes rows to the staging relation, replacing what it held. */
  writeRows(rows: readonly Row[]): Promise<void>
  /** Creates the staging relation from a SELECT. */
  writeSql(select: string): Promise<void>
  /** Loads CSV files (with a header row) into the staging relation. */
  loadCsv(files: readonly string[]): Promise<void>
  /**
   * Reads every row of an input (an upstream's published table, or the partitions it maps; a
   * source observed as a table). Typed by the upstream's contract: `row.amout` does not compile.
   */
  rows<R extends Row>(input: AssetInput<R> | SourceInput<R>): Promise<R[]>
  /** A fresh directory for io 'files' assets; published atomically when the step succeeds. */
  readonly outputDir: string
}

// Carries, in types only, the row type of an input (see ctx.rows): never present at run time.
declare const rowType: unique symbol

/** What an upstream source looks like to the asset that reads it; `R`: its rows, typed by its contract. */
export interface SourceInput<R extends Row = Row> {
  readonly [rowType]?: R
  readonly key: string
  /** Absolute paths of the observed files, sorted. */
  readonly files: readonly string[]
  /** The quoted relation, for sources observed as a warehouse table. */
  readonly table: string | undefined
  readonly lastUpdated: Date | undefined
}

/** What an upstream asset looks like to the asset that reads it; `R`: its rows, typed by its contract. */
export interface AssetInput<R extends Row = Row> {
  readonly [rowType]?: R
  readonly key: string
  /**
   * The quoted, published relation (io 'table'). For a partitioned upstream read through a
   * mapping, a parenthesized SELECT of only the mapped partitions, usable wherever a table is.
   */
  readonly table: string
  /** The upstream partitions read; null when the upstream is read whole. */
  readonly partitions: readonly string[] | null
  /** The published output directory (io 'files'). */
  readonly dir: string
  readonly rowCount: number | undefined
}
