// A project on the PostgreSQL warehouse has its SQL analysed by PostgreSQL's own parser
// (libpg_query): SQL only PostgreSQL reads validates, builds its lineage and materializes;
// the same SQL on DuckDB is refused by DuckDB's parser; a syntax error names PostgreSQL, with
// line and column. Real PostgreSQL (a database for the test) and real CLI processes.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { cli } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

// `#>>` (a JSON path as text) is PostgreSQL's; DuckDB's parser does not know it.
const config = (warehouse: string, channelSql: string) => `
import { defineProject, duckdb, postgres, sqlAsset } from 'tributary-orchestrator'
export default defineProject({
  name: 'pg-sql',
  assets: [
    sqlAsset({ key: 'raw/orders', sql: \`select 1 as id, '{"a": {"b": "web"}}'::jsonb as payload\` }),
    sqlAsset({ key: 'marts/channels', sql: ${JSON.stringify(channelSql)} }),
  ],
  store: postgres({ url: process.env.TRB_TEST_DATABASE_URL }),
  warehouse: ${warehouse},
})
`
const CHANNELS = "select o.id, o.payload #>> '{a,b}' as channel from raw.orders o"

describe('SQL on the PostgreSQL warehouse is analysed by PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('PostgreSQL-only SQL validates, has its lineage and materializes; on DuckDB it is refused; a syntax error names PostgreSQL', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir('pg-sql-')
    cleanups.unshift(temp.cleanup)
    const env = { TRB_TEST_DATABASE_URL: database.url }
    const file = join(temp.dir, 'tributary.config.ts')

    await writeFile(file, config('postgres({ url: process.env.TRB_TEST_DATABASE_URL })', CHANNELS))
    const valid = cli(['validate', '--project', temp.dir], { env })
    assert.equal(valid.code, 0, valid.stdout + valid.stderr)
    // The analyses are kept in the state directory, as DuckDB's are, so the next command parses nothing.
    const cached = Object.values(JSON.parse(await readFile(join(temp.dir, '.tributary', 'sql-analysis.json'), 'utf8')) as Record<string, { ok: boolean; columns?: { name: string }[] }>)
    assert.ok(cached.some((analysis) => analysis.ok && analysis.columns?.some((c) => c.name === 'channel')), 'the analysis of marts/channels is in sql-analysis.json')
    const run = cli(['materialize', '--project', temp.dir], { env })
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      assert.deepEqual((await client.query('select id, channel from marts.channels')).rows, [{ id: 1, channel: 'web' }])
    } finally {
      await client.end()
    }
    // Once published, column lineage traces channel to raw/orders.payload through PostgreSQL's parse.
    const lineage = cli(['lineage', 'marts/channels.channel', '--project', temp.dir, '--json'], { env })
    assert.equal(lineage.code, 0, lineage.stdout + lineage.stderr)
    assert.match(lineage.stdout, /"asset": "raw\/orders"[\s\S]*"column": "payload"/, 'channel comes from raw/orders.payload')

    await writeFile(file, config('duckdb()', CHANNELS))
    const duck = cli(['validate', '--project', temp.dir], { env })
    assert.equal(duck.code, 2)
    assert.match(duck.stdout, /TRB1005 marts\/channels: SQL of marts\/channels does not parse at line 1, column \d+: .*\(DuckDB\)/)

    await writeFile(file, config('postgres({ url: process.env.TRB_TEST_DATABASE_URL })', 'select id,\n  payload\nfrom raw.orders\nwher id > 1'))
    const broken = cli(['validate', '--project', temp.dir], { env })
    assert.equal(broken.code, 2)
    assert.match(broken.stdout, /TRB1005 marts\/channels: SQL of marts\/channels does not parse at line 4, column 6: syntax error at or near "id" \(PostgreSQL\)/)
  })
})
