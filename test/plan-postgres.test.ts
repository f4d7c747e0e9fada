// `tributary plan` on a PostgreSQL warehouse predicts changed SQL's columns with PostgreSQL's own
// parser: a change only PostgreSQL reads (`#>>`, `DISTINCT ON`, `::` casts) still shows its added
// and removed columns and the readers it breaks. Real PostgreSQL, real CLI processes.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { cli } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const config = (staging: string) => `
import { defineProject, postgres, sqlAsset } from 'tributary-orchestrator'
const url = process.env.TRIBUTARY_DATABASE_URL
export default defineProject({
  name: 'plan-pg',
  assets: [
    sqlAsset({ key: 'raw/orders', sql: \`select 1 as id, 10 as customer_id, 5.5 as amount, '{"a": {"b": "web"}}'::jsonb as payload\` }),
    sqlAsset({ key: 'staging/orders', owner: 'team:data', sql: ${JSON.stringify(staging)} }),
    sqlAsset({ key: 'marts/revenue', owner: 'team:finance', sql: 'select sum(amount) as revenue from staging.orders' }),
  ],
  store: postgres({ url }), warehouse: postgres({ url }),
})
`

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups) await cleanup()
})

test('plan on a PostgreSQL warehouse: a change only PostgreSQL parses shows its column diff and the reader it breaks', async () => {
  const database = await createDatabase()
  cleanups.push(database.drop)
  const temp = await tempDir('plan-pg-')
  cleanups.unshift(temp.cleanup)
  const env = { TRIBUTARY_DATABASE_URL: database.url }
  const file = join(temp.dir, 'tributary.config.ts')
  await writeFile(file, config('select distinct on (id) id, customer_id, amount from raw.orders order by id, amount desc'))
  const built = cli(['materialize', '--project', temp.dir], { env })
  assert.equal(built.code, 0, built.stdout + built.stderr)

  // `#>>` is PostgreSQL's alone: DuckDB's parser refuses this statement.
  await writeFile(file, config("select distinct on (id) id, customer_id, amount::numeric(10, 2) as amount_eur, payload #>> '{a,b}' as channel from raw.orders order by id"))
  const result = cli(['plan', '--project', temp.dir, '--json'], { env })
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const plan = JSON.parse(result.stdout)
  assert.deepEqual(plan.changed.map((c: any) => [c.key, c.columns]), [['staging/orders', { added: ['amount_eur', 'channel'], removed: ['amount'] }]])
  assert.deepEqual(plan.breaks.map((b: any) => [b.asset, b.column, b.readers.map((r: any) => `${r.asset}.${r.column} ${r.owner} ${r.kind}`)]), [
    ['staging/orders', 'amount', ['marts/revenue.revenue team:finance transform']],
  ])
  assert.equal(plan.breaking, true)
})
