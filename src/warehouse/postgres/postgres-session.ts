import { createHash } from 'node:crypto'
import type { Relation } from '../../graph/asset-graph.js'
import type { Row } from '../../model/context.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { ColumnInfo } from '../../store/records.js'
import type { PublicationMeta, PublishOptions, RelationProfile, WarehouseSession } from '../warehouse.js'
import { copyCsvFiles } from './csv-load.js'
import { quoteIdentifier, quoteTable } from './identifiers.js'
import { insertPublication, ledgerParams, raiseFence } from './ledger.js'
import { copyRows } from './row-table.js'
import type { SerialClient, Statements } from './serial-client.js'

// Concurrent `create schema/table if not exists` race in PostgreSQL's catalog (a unique
// violation for the loser); a transaction-scoped advisory lock per name serializes them.
async function lockName(s: Statements, kind: string, relation: Relation | string): Promise<void> {
  await s.run('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`tributary:${kind}:${JSON.stringify(relation)}`])
}

async function ensureSchema(s: Statements, schema: string): Promise<void> {
  await lockName(s, 'schema', schema)
  await s.run(`create schema if not exists ${quoteIdentifier(schema)}`)
}

// information_schema.columns casts names before comparing them, so PostgreSQL scans every
// column of every table (milliseconds each call in a warehouse of a thousand tables). This reads
// the catalog by index instead; data_type is worked out exactly as the view does it.
const COLUMNS = `select a.attname as column_name,
  case when t.typtype = 'd' then
    case when bt.typelem <> 0 and bt.typlen = -1 then 'ARRAY' when nbt.nspname = 'pg_catalog' then format_type(t.typbasetype, null) else 'USER-DEFINED' end
  else
    case when t.typelem <> 0 and t.typlen = -1 then 'ARRAY' when nt.nspname = 'pg_catalog' then format_type(a.atttypid, null) else 'USER-DEFINED' end
  end as data_type
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace nc on nc.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
join pg_namespace nt on nt.oid = t.typnamespace
left join (pg_type bt join pg_namespace nbt on nbt.oid = bt.typnamespace) on t.typtype = 'd' and t.typbasetype = bt.oid
where nc.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'f', 'p') and a.attnum > 0 and not a.attisdropped
order by a.attnum`

async function readColumns(s: Statements, relation: Relation): Promise<ColumnInfo[]> {
  const rows = await s.read(COLUMNS, [relation.schema, relation.name])
  if (rows.length === 0) {
    throw new TributaryError(ErrorCode.WarehouseQuery, `relation ${quoteTable(relation)} does not exist`, {
      hint: 'Materialize the asset that produces it first.',
    })
  }
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.data_type) }))
}

// First in the publish transaction: a worker whose lease expired, and whose step another worker
// then claimed (raising the fence before running it) or published with a higher fence, publishes
// nothing (the fence is TRB7003's, see step-queue.ts).
async function checkFence(s: Statements, schema: string, meta: PublicationMeta, fence: number): Promise<void> {
  const [row] = await s.read(raiseFence(schema), [meta.assetKey, meta.partition ?? '', fence])
  const held = Number(row?.fence)
  if (held === fence) return
  throw new TributaryError(ErrorCode.StaleAttempt, `the publish of ${meta.assetKey}${meta.partition === null ? '' : ` [${meta.partition}]`} in run ${meta.runId} with fence ${fence} was refused: an attempt with fence ${held} took over this asset-partition after this worker's lease expired`, {
    context: { runId: meta.runId, assetKey: meta.assetKey },
    hint: 'Nothing to do: the newer attempt is the one that counts. If live workers lose their lease, raise queue({ lease }).',
  })
}

/** One pooled PostgreSQL connection's worth of warehouse work; see {@link WarehouseSession}. */
export class PostgresSession implements WarehouseSession {
  constructor(
    private readonly client: SerialClient,
    private readonly ledgerSchema: string,
    private readonly onClose: () => void = () => undefined,
  ) {}

  /** Runs a query with `$1` parameters; values converted as described in postgres-values.ts. */
  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.client.exclusive((s) => s.read(sql, params))) as T[]
  }

  /** Runs one or more statements that return nothing. */
  exec(sql: string): Promise<void> {
    return this.client.exclusive((s) => s.run(sql))
  }

  /** Whether a table or view exists; names match exactly, as they are always quoted. */
  async relationExists(relation: Relation): Promise<boolean> {
    const rows = await this.query('select 1 from information_schema.tables where table_schema = $1 and table_name = $2', [relation.schema, relation.name])
    return rows.length > 0
  }

  /** Replaces `staging` with the rows of a SELECT, creating its schema when needed; one transaction. */
  createFromSelect(staging: Relation, select: string): Promise<void> {
    return this.client.transaction(async (s) => {
      await ensureSchema(s, staging.schema)
      await s.run(`drop table if exists ${quoteTable(staging)}`)
      await s.run(`create table ${quoteTable(staging)} as ${select}`)
    })
  }

  /** Replaces `staging` with rows through COPY; column types as DuckDB's inferColumns, named for PostgreSQL. */
  createFromRows(staging: Relation, rows: readonly Row[]): Promise<void> {
    return this.client.transaction(async (s) => {
      await ensureSchema(s, staging.schema)
      await s.run(`drop table if exists ${quoteTable(staging)}`)
      await copyRows(s, quoteTable(staging), rows)
    })
  }

  /** Replaces `staging` with CSV files streamed through COPY and combined by column name. */
  async createFromCsv(staging: Relation, files: readonly string[]): Promise<void> {
    if (files.length === 0) {
      throw new TributaryError(ErrorCode.InvalidOutput, `no CSV files to load into ${quoteTable(staging)}`, {
        hint: "Check the source's file pattern, or skip loading when there is nothing new.",
      })
    }
    return this.client.transaction(async (s) => {
      await ensureSchema(s, staging.schema)
      await s.run(`drop table if exists ${quoteTable(staging)}`)
      await copyCsvFiles(s, quoteTable(staging), files)
    })
  }

  /** Columns in table order with PostgreSQL's type names; TRB5002 when the relation is missing. */
  columns(relation: Relation): Promise<ColumnInfo[]> {
    return this.client.exclusive((s) => readColumns(s, relation))
  }

  /** Number of rows in the relation. */
  async rowCount(relation: Relation): Promise<number> {
    const [row] = await this.query(`select count(*) as n from ${quoteTable(relation)}`)
    return Number(row?.n)
  }

  /**
   * `<row count>:<hash>`: the hash covers the column names and types plus the sum and XOR of
   * a 64-bit hash of each row's text form, so row order does not matter but duplicates do.
   */
  async dataVersion(relation: Relation): Promise<string> {
    return (await this.inspect(relation)).dataVersion
  }

  /** Columns, row count and data version (see dataVersion) in one repeatable-read transaction, so all three come from the same snapshot. */
  inspect(relation: Relation): Promise<RelationProfile> {
    // BEGIN with its isolation level: one round trip less than BEGIN then SET TRANSACTION.
    return this.client.transaction(async (s) => {
      const columns = await readColumns(s, relation)
      const [row] = await s.read(
        `select count(*) as n, coalesce(sum(h::numeric), 0)::text as total, coalesce(bit_xor(h), 0)::text as xor
         from (select hashtextextended(r::text, 0) as h from ${quoteTable(relation)} as r) as hashes`,
      )
      const digest = createHash('sha256').update(JSON.stringify([columns, row?.total, row?.xor])).digest('hex').slice(0, 16)
      return { columns, rowCount: Number(row?.n), dataVersion: `${Number(row?.n)}:${digest}` }
    }, 'begin isolation level repeatable read')
  }

  /**
   * Replaces `target` with `staging` in one transaction: a whole table by drop and rename (readers
   * waiting on it then read the new table), a partition by delete and insert. Records the ledger
   * row and drops staging in the same transaction; `options.beforeCommit` runs last in it.
   */
  async publish(staging: Relation, target: Relation, meta: PublicationMeta, options: PublishOptions = {}): Promise<void> {
    const column = meta.partition === null ? undefined : options.partitionColumn
    await this.client.transaction(async (s) => {
      if (meta.fence !== undefined) await checkFence(s, this.ledgerSchema, meta, meta.fence)
      // Staging beside the target (as stagingRelation makes it) means the schema is there already.
      if (staging.schema !== target.schema) await ensureSchema(s, target.schema)
      if (column === undefined) {
        await s.run(`drop table if exists ${quoteTable(target)}`)
        if (staging.schema !== target.schema) await s.run(`alter table ${quoteTable(staging)} set schema ${quoteIdentifier(target.schema)}`)
        await s.run(`alter table ${quoteTable({ schema: target.schema, name: staging.name })} rename to ${quoteIdentifier(target.name)}`)
      } else {
        await lockName(s, 'table', target)
        await s.run(`create table if not exists ${quoteTable(target)} (like ${quoteTable(staging)})`)
        const columns = await readColumns(s, staging)
        const names = columns.map((c) => quoteIdentifier(c.name)).join(', ')
        await s.run(`delete from ${quoteTable(target)} where cast(${quoteIdentifier(column)} as text) = $1`, [meta.partition])
        await s.run(`insert into ${quoteTable(target)} (${names}) select ${names} from ${quoteTable(staging)}`)
        await s.run(`drop table ${quoteTable(staging)}`)
      }
      await s.run(insertPublication(this.ledgerSchema), ledgerParams(meta, new Date()))
      // Last, with the fence row locked since the start: whoever must agree to the commit (a worker's store, see PublishOptions).
      if (options.beforeCommit) await options.beforeCommit()
    })
  }

  /** Drops a table; nothing happens when it does not exist. Cleanup: runs on an interrupted session too. */
  drop(relation: Relation): Promise<void> {
    return this.client.exclusive((s) => s.run(`drop table if exists ${quoteTable(relation)}`), true)
  }

  /** Cancels the statement running (pg_cancel_backend of this session's server process) and refuses later work but drop and close. */
  interrupt(): Promise<void> {
    return this.client.interrupt()
  }

  /** Returns the connection to the pool once queued work has finished. */
  async close(): Promise<void> {
    await this.client.close()
    this.onClose()
  }
}
