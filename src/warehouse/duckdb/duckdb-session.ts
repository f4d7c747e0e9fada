import { createHash } from 'node:crypto'
import { quoteRelation, type Relation } from '../../graph/asset-graph.js'
import type { Row } from '../../model/context.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { ColumnInfo } from '../../store/records.js'
import type { PublicationMeta, PublishOptions, RelationProfile, WarehouseSession } from '../warehouse.js'
import { csvLoadError, type CsvFailure } from './csv-errors.js'
import { isConflict } from './duckdb-errors.js'
import { INSERT_PUBLICATION, ledgerParams } from './ledger.js'
import { appendRows, inferColumns } from './row-table.js'
import { inTransaction, type SerialConnection, type Statements } from './serial-connection.js'

/** Quotes one identifier for DuckDB. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

// Concurrent sessions creating the same new schema collide in DuckDB's catalog; the loser
// retries, by which time the winner's schema usually exists.
async function ensureSchema(s: Statements, schema: string, attempts = 5): Promise<void> {
  try {
    await s.run(`create schema if not exists ${quoteIdentifier(schema)}`)
  } catch (error) {
    if (attempts <= 1 || !isConflict(error)) throw error
    await new Promise((resolve) => setTimeout(resolve, 5))
    await ensureSchema(s, schema, attempts - 1)
  }
}

// Read together, DuckDB may not say which file failed: read each alone (only on this failure
// path) to name the first that fails; when every file reads alone, the combination is at fault.
async function failingCsv(s: Statements, files: readonly string[], error: unknown): Promise<CsvFailure> {
  if (files.length === 1) return { file: files[0]!, error }
  for (const file of files) {
    try {
      await s.read('select count(*) as n from read_csv($1, header = true)', [file])
    } catch (alone) {
      return { file, error: alone }
    }
  }
  return { file: null, error }
}

/** One DuckDB connection's worth of warehouse work; see {@link WarehouseSession}. */
export class DuckDbSession implements WarehouseSession {
  // Statements run through exec may leave the connection changed (settings, an open
  // transaction), so its connection is not handed to another session.
  private clean = true

  constructor(
    private readonly connection: SerialConnection,
    /** Called once the session is done with its connection: `clean` when it may serve another session. */
    private readonly onClose: (clean: boolean) => void = () => undefined,
  ) {}

  /** Runs a query with `$1`-style parameters; values converted as described in duckdb-values.ts. */
  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.connection.read(sql, params)) as T[]
  }

  /** Runs one or more statements that return nothing. */
  exec(sql: string): Promise<void> {
    this.clean = false
    return this.connection.run(sql)
  }

  /** Whether a table or view exists; DuckDB matches names case-insensitively, so this does too. */
  async relationExists(relation: Relation): Promise<boolean> {
    const rows = await this.connection.read(
      'select 1 from information_schema.tables where lower(table_schema) = lower($1) and lower(table_name) = lower($2) limit 1',
      [relation.schema, relation.name],
    )
    return rows.length > 0
  }

  /** Replaces `staging` with the rows of a SELECT, creating its schema when needed. */
  createFromSelect(staging: Relation, select: string): Promise<void> {
    return this.connection.exclusive(async (s) => {
      await ensureSchema(s, staging.schema)
      await s.run(`create or replace table ${quoteRelation(staging)} as ${select}`)
    })
  }

  /** Replaces `staging` with rows through DuckDB's appender; column types as in `inferColumns`. */
  async createFromRows(staging: Relation, rows: readonly Row[]): Promise<void> {
    const columns = inferColumns(rows)
    const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ')
    // One piece of the connection's queue: a drop queued meanwhile (a step that timed out) runs
    // after it, never between, so it cannot be undone by the create. One transaction, so a failed
    // append leaves no half-written staging table behind.
    await this.connection.exclusive(async (s) => {
      await ensureSchema(s, staging.schema)
      await inTransaction(s, async () => {
        await s.run(`create or replace table ${quoteRelation(staging)} (${definition})`)
        const appender = await s.connection.createAppender(staging.name, staging.schema)
        try {
          appendRows(appender, columns, rows)
          appender.flushSync()
        } catch (error) {
          throw new TributaryError(ErrorCode.WarehouseQuery, `could not append rows to ${quoteRelation(staging)}: ${String(error)}`, { cause: error })
        } finally {
          appender.closeSync()
        }
      })
    })
  }

  /** Replaces `staging` with CSV files read by name, so files with different column orders combine. */
  async createFromCsv(staging: Relation, files: readonly string[]): Promise<void> {
    if (files.length === 0) {
      throw new TributaryError(ErrorCode.InvalidOutput, `no CSV files to load into ${quoteRelation(staging)}`, {
        hint: "Check the source's file pattern, or skip loading when there is nothing new.",
      })
    }
    return this.connection.exclusive(async (s) => {
      await ensureSchema(s, staging.schema)
      try {
        await s.run(`create or replace table ${quoteRelation(staging)} as select * from read_csv($1, header = true, union_by_name = true)`, [[...files]])
      } catch (error) {
        throw csvLoadError(await failingCsv(s, files, error), files)
      }
    })
  }

  /** Columns in table order with DuckDB's type names; throws TRB5002 when the relation is missing. */
  columns(relation: Relation): Promise<ColumnInfo[]> {
    return this.connection.exclusive((s) => readColumns(s, relation))
  }

  /** Number of rows in the relation. */
  async rowCount(relation: Relation): Promise<number> {
    const [row] = await this.connection.read(`select count(*) as n from ${quoteRelation(relation)}`)
    return Number(row?.n)
  }

  /**
   * `<row count>:<hash>`: the hash covers the column names and types, plus the sum and XOR of
   * DuckDB's per-row hashes, so row order does not matter but duplicates do. DuckDB's `hash`
   * may change between DuckDB versions; an upgrade then marks every asset's data changed once.
   */
  async dataVersion(relation: Relation): Promise<string> {
    return (await this.inspect(relation)).dataVersion
  }

  /** Columns, row count and data version (see dataVersion) in one transaction, so all three come from the same snapshot. */
  inspect(relation: Relation): Promise<RelationProfile> {
    return this.connection.transaction(async (s) => {
      const columns = await readColumns(s, relation)
      const [row] = await s.read(
        `select count(*) as n, coalesce(sum(hash(__trb_row)::hugeint), 0)::varchar as total, coalesce(bit_xor(hash(__trb_row)), 0)::varchar as xor
         from ${quoteRelation(relation)} as __trb_row`,
      )
      const digest = createHash('sha256').update(JSON.stringify([columns, row?.total, row?.xor])).digest('hex').slice(0, 16)
      return { columns, rowCount: Number(row?.n), dataVersion: `${Number(row?.n)}:${digest}` }
    })
  }

  /** Replaces `target` with `staging`, records the publication and drops `staging`, all in one transaction; `options.beforeCommit` runs last in it. */
  async publish(staging: Relation, target: Relation, meta: PublicationMeta, options: PublishOptions = {}): Promise<void> {
    // Outside the transaction: schemas are harmless to create early, and creating one inside
    // would conflict with every concurrent publish into the same new schema until commit.
    // Staging beside the target (as stagingRelation makes it) means the schema is there already.
    if (staging.schema !== target.schema) await this.connection.exclusive((s) => ensureSchema(s, target.schema))
    const column = meta.partition === null ? undefined : options.partitionColumn
    if (column !== undefined) await this.connection.exclusive((s) => ensureTable(s, target, staging))
    // Partitions of one table publish concurrently; DuckDB may refuse one of two overlapping
    // transactions as a conflict, and the refused one rolled back whole, so it tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connection.transaction(async (s) => {
          if (column === undefined) await s.run(`create or replace table ${quoteRelation(target)} as select * from ${quoteRelation(staging)}`)
          else {
            // Delete and insert in one transaction: readers see the old partition or the new one, never both or neither.
            await s.run(`delete from ${quoteRelation(target)} where cast(${quoteIdentifier(column)} as varchar) = $1`, [meta.partition])
            await s.run(`insert into ${quoteRelation(target)} by name select * from ${quoteRelation(staging)}`)
          }
          await s.run(INSERT_PUBLICATION, ledgerParams(meta, new Date()))
          await s.run(`drop table ${quoteRelation(staging)}`)
          if (options.beforeCommit) await options.beforeCommit()
        })
        return
      } catch (error) {
        if (column === undefined || attempt >= 5 || !isConflict(error)) throw error
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt))
      }
    }
  }

  /** Drops a table; nothing happens when it does not exist. Cleanup: runs on an interrupted session too. */
  drop(relation: Relation): Promise<void> {
    return this.connection.exclusive((s) => s.run(`drop table if exists ${quoteRelation(relation)}`), true)
  }

  /** Interrupts the statement running through DuckDB's connection interrupt and refuses later work but drop and close. */
  interrupt(): Promise<void> {
    // A connection interrupted mid-work is closed with the session, not handed to another one.
    this.clean = false
    return this.connection.interrupt()
  }

  /** Ends the session once queued work has finished; its connection is closed or kept for another session. Safe to call twice. */
  async close(): Promise<void> {
    if (await this.connection.release()) this.onClose(this.clean)
  }
}

// The first publish of a partitioned asset creates its table empty, with staging's columns;
// concurrent first publishes of two partitions race on the catalog, and the loser retries.
async function ensureTable(s: Statements, target: Relation, staging: Relation, attempts = 5): Promise<void> {
  try {
    await s.run(`create table if not exists ${quoteRelation(target)} as select * from ${quoteRelation(staging)} where false`)
  } catch (error) {
    if (attempts <= 1 || !isConflict(error)) throw error
    await new Promise((resolve) => setTimeout(resolve, 5))
    await ensureTable(s, target, staging, attempts - 1)
  }
}

// DESCRIBE reads one table's entry in the catalog; information_schema.columns lists every column
// of every table first, which costs milliseconds per call in a warehouse of a thousand tables.
// Its column_type is information_schema's data_type (both are DuckDB's own type names).
async function readColumns(s: Statements, relation: Relation): Promise<ColumnInfo[]> {
  let rows: Row[]
  try {
    rows = await s.read(`describe ${quoteRelation(relation)}`)
  } catch (error) {
    if (!(error instanceof TributaryError && /^Catalog Error/.test(error.cause instanceof Error ? error.cause.message : ''))) throw error
    throw new TributaryError(ErrorCode.WarehouseQuery, `relation ${quoteRelation(relation)} does not exist`, {
      cause: error.cause,
      hint: 'Materialize the asset that produces it first.',
    })
  }
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }))
}
