import pg from 'pg'
import type { PublicationMeta } from '../warehouse.js'
import { quoteIdentifier } from './identifiers.js'

const { escapeLiteral } = pg

// The ledger lives in the warehouse, not the metadata store, so it commits in the same
// transaction as the data it describes: crash recovery trusts it over the store.

/** Creates the publication ledger in `schema` when missing; run under an advisory lock. */
export function createLedger(schema: string): string {
  return `create schema if not exists ${quoteIdentifier(schema)};
create table if not exists ${quoteIdentifier(schema)}.publications (
  asset_key text not null,
  "partition" text,
  run_id text not null,
  data_version text not null,
  row_count bigint not null,
  published_at timestamptz not null
);
create index if not exists publications_run on ${quoteIdentifier(schema)}.publications (run_id);
create table if not exists ${quoteIdentifier(schema)}.fences (
  asset_key text not null,
  partition_key text not null,
  fence bigint not null,
  primary key (asset_key, partition_key)
)`
}

/**
 * Raises the fence of (asset $1, partition $2) to $3 unless it is already higher, and returns the
 * fence it now holds: the publish goes ahead only when that is its own. The row lock it takes
 * orders publishes of one asset-partition, and a claim's raise after a publish under way.
 */
export function raiseFence(schema: string): string {
  return `insert into ${quoteIdentifier(schema)}.fences as f (asset_key, partition_key, fence) values ($1, $2, $3)
  on conflict (asset_key, partition_key) do update set fence = greatest(f.fence, excluded.fence) returning fence`
}

/**
 * {@link raiseFence} with its values written in, waiting at most `lockTimeoutMs` for the fence row's
 * lock: one simple-protocol query, whose statements share an implicit transaction that SET LOCAL
 * lasts for (a claim then costs one round trip, as without the limit). Fails with SQLSTATE 55P03 past it.
 */
export function raiseFenceWithin(schema: string, lockTimeoutMs: number, assetKey: string, partition: string, fence: number): string {
  if (!Number.isSafeInteger(fence)) throw new Error(`a fence is an integer, not ${fence}`)
  const values = [escapeLiteral(assetKey), escapeLiteral(partition), String(fence)]
  return `set local lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))};
${raiseFence(schema).replace(/\$([123])/g, (_, n: string) => values[Number(n) - 1]!)}`
}

/** Records one publication; parameters from {@link ledgerParams}. */
export function insertPublication(schema: string): string {
  return `insert into ${quoteIdentifier(schema)}.publications
  (asset_key, "partition", run_id, data_version, row_count, published_at) values ($1, $2, $3, $4, $5, $6)`
}

/** The publications of one run ($1), oldest first. */
export function selectPublications(schema: string): string {
  return `select asset_key, "partition", run_id, data_version, row_count, published_at
  from ${quoteIdentifier(schema)}.publications where run_id = $1 order by published_at, asset_key, "partition"`
}

/** Parameters of {@link insertPublication}. */
export function ledgerParams(meta: PublicationMeta, publishedAt: Date): unknown[] {
  return [meta.assetKey, meta.partition, meta.runId, meta.dataVersion, meta.rowCount, publishedAt]
}
