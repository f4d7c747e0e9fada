import type { Row } from '../../model/context.js'
import type { PublicationMeta, PublicationRecord } from '../warehouse.js'

// The ledger lives in the warehouse, not the metadata store, so that it commits in the same
// transaction as the data it describes: crash recovery trusts it over the store.

/** Creates the publication ledger when it is missing. */
export const CREATE_LEDGER = `
create schema if not exists _tributary;
create table if not exists _tributary.publications (
  asset_key varchar not null,
  "partition" varchar,
  run_id varchar not null,
  data_version varchar not null,
  row_count bigint not null,
  published_at timestamp not null -- UTC, like every timestamp Tributary writes
)`

/** How many ledger tables the database has: 0 in a database Tributary never published to. */
export const LEDGER_EXISTS = `select count(*) as n from information_schema.tables where table_schema = '_tributary' and table_name = 'publications'`

/** Records one publication; parameters from {@link ledgerParams}. */
export const INSERT_PUBLICATION = `insert into _tributary.publications
  (asset_key, "partition", run_id, data_version, row_count, published_at) values ($1, $2, $3, $4, $5, $6)`

/** The publications of one run ($1), oldest first. */
export const SELECT_PUBLICATIONS = `select asset_key, "partition", run_id, data_version, row_count, published_at
  from _tributary.publications where run_id = $1 order by published_at, asset_key, "partition"`

/** Parameters of {@link INSERT_PUBLICATION}. */
export function ledgerParams(meta: PublicationMeta, publishedAt: Date): unknown[] {
  return [meta.assetKey, meta.partition, meta.runId, meta.dataVersion, meta.rowCount, publishedAt]
}

/** A ledger row as a PublicationRecord. */
export function toPublication(row: Row): PublicationRecord {
  return {
    assetKey: String(row.asset_key),
    partition: row.partition === null ? null : String(row.partition),
    runId: String(row.run_id),
    dataVersion: String(row.data_version),
    rowCount: Number(row.row_count),
    publishedAt: row.published_at instanceof Date ? row.published_at : new Date(String(row.published_at)),
  }
}
