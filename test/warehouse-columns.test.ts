// The warehouses read a relation's columns from the catalog directly (DuckDB: DESCRIBE;
// PostgreSQL: pg_attribute by index), not through information_schema.columns, which is slow in
// a warehouse of many tables. The column types recorded with every materialization must stay
// what information_schema says, or every asset would show a schema change once.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { DuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js'
import { PostgresWarehouse } from '../src/warehouse/postgres/index.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { createDatabase } from './helpers/postgres-database.js'

describe('warehouse columns', () => {
  test('DuckDB: names and types as information_schema.columns gives them, for every kind of type, case-insensitively', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'trb-columns-'))
    const warehouse = await DuckDbWarehouse.open(join(dir, 'warehouse.duckdb'))
    t.after(async () => { await warehouse.close(); await rm(dir, { recursive: true, force: true }) })
    const session = await warehouse.session()
    await session.exec(`create type mood as enum ('ok', 'sad');
      create schema "Mixed";
      create table "Mixed"."Wide" as select 1::int as a, 2::bigint as "B b", 1.5::decimal(18,3) as d, 'x' as s, [1, 2] as l,
        {'k': 1, 'v': 'x'} as st, now() as ts, now()::timestamp as t2, date '2024-01-01' as dt, map {'a': 1} as m, 1::hugeint as h,
        true as bo, 1.0::double as dbl, '00:00:01'::interval as iv, 'a'::blob as bl, [1, 2]::int[2] as arr, 'ok'::mood as e,
        {'x y': [1]}::struct("x y" int[]) as st2;
      create view "Mixed"."V" as select a, s from "Mixed"."Wide"`)
    for (const name of ['Wide', 'V']) {
      const expected = await session.query(`select column_name as name, data_type as type from information_schema.columns
        where table_schema = 'Mixed' and table_name = '${name}' order by ordinal_position`)
      assert.ok(expected.length > 0)
      assert.deepEqual(await session.columns({ schema: 'Mixed', name }), expected)
      assert.deepEqual(await session.columns({ schema: 'mixed', name: name.toLowerCase() }), expected)
    }
    const profile = await session.inspect({ schema: 'Mixed', name: 'V' })
    assert.deepEqual(profile, { columns: [{ name: 'a', type: 'INTEGER' }, { name: 's', type: 'VARCHAR' }], rowCount: 1, dataVersion: await session.dataVersion({ schema: 'Mixed', name: 'V' }) })
    await session.close()
  })

  test('PostgreSQL: names and types as information_schema.columns gives them, domains, arrays, enums and dropped columns included', async (t) => {
    const database = await createDatabase()
    const warehouse = await PostgresWarehouse.open(postgresWarehouse({ url: database.url }))
    t.after(async () => { await warehouse.close(); await database.drop() })
    const session = await warehouse.session()
    await session.exec(`create type mood as enum ('ok', 'sad');
      create domain positive as integer check (value > 0);
      create domain tags as text[];
      create schema "Mixed";
      create table "Mixed"."Wide" (a integer, "B b" bigint, d numeric(18, 3), s varchar(20), t text, l integer[], ts timestamptz,
        t2 timestamp, dt date, bo boolean, dbl double precision, iv interval, bl bytea, j jsonb, e mood, p positive, tg tags,
        u uuid, gone integer, c char(3));
      alter table "Mixed"."Wide" drop column gone;
      create view "Mixed"."V" as select a, s from "Mixed"."Wide"`)
    for (const name of ['Wide', 'V']) {
      const expected = await session.query(`select column_name::text as name, data_type::text as type from information_schema.columns
        where table_schema = 'Mixed' and table_name = '${name}' order by ordinal_position`)
      assert.ok(expected.length > 0)
      assert.deepEqual(await session.columns({ schema: 'Mixed', name }), expected)
    }
    await assert.rejects(session.columns({ schema: 'Mixed', name: 'missing' }), /does not exist/)
    await session.close()
  })
})
