// Setups that need several machines on a part that lives on one are refused before anything
// runs, with a code and what to do instead: `tributary validate` lists them; serve and
// materialize stop at them without creating a store or a warehouse.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cli } from './helpers/cli.js'
import { tempDir } from './helpers/temp-project.js'

// No database is ever reached: the refusal comes first, so the URLs name nothing that exists.
const URL = 'postgres://tributary@db.invalid:5432/shop'

async function project(parts: string): Promise<string> {
  const temp = await tempDir('refusal-')
  cleanups.push(temp.cleanup)
  await writeFile(join(temp.dir, 'tributary.config.ts'), `
    import { defineProject, duckdb, postgres, queue, sqlAsset, sqlite } from 'tributary-orchestrator'
    export default defineProject({
      name: 'shop',
      assets: [sqlAsset({ key: 'marts/answer', sql: 'select 42 as answer' })],
      ${parts}
    })`)
  return temp.dir
}

const cleanups: (() => Promise<void>)[] = []

describe('refusals of one-machine parts in a many-machine setup', () => {
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('validate: queue workers with a DuckDB warehouse is TRB7020, with a SQLite store TRB7021, each with what to do instead', async () => {
    const duck = await project(`executor: queue(), store: postgres({ url: '${URL}' }), warehouse: duckdb()`)
    const run = cli(['validate', '--project', duck, '--json'])
    assert.equal(run.code, 2, run.stderr)
    const report = JSON.parse(run.stdout) as { valid: boolean; problems: { code: string; message: string; hint: string }[] }
    assert.equal(report.valid, false)
    assert.deepEqual(report.problems.map((p) => p.code), ['TRB7020'])
    assert.match(report.problems[0]!.message, /DuckDB: one file on one machine/)
    assert.match(report.problems[0]!.hint, /warehouse: postgres\(/)

    const lite = await project(`executor: queue(), store: sqlite(), warehouse: postgres({ url: '${URL}' })`)
    const text = cli(['validate', '--project', lite])
    assert.equal(text.code, 2)
    assert.match(text.stdout, /TRB7021 executor: queue\(\) has machines share the run history, but the store is SQLite/)
    assert.match(text.stdout, /hint: Use store: postgres\(.*migrate-store --to postgres:/)
    assert.doesNotMatch(text.stdout, /TRB7020/)

    // Both defaults (SQLite store, DuckDB warehouse): both refusals at once.
    const both = cli(['validate', '--project', await project('executor: queue(),'), '--json'])
    assert.deepEqual((JSON.parse(both.stdout) as { problems: { code: string }[] }).problems.map((p) => p.code), ['TRB7020', 'TRB7021'])

    // The same parts without queue workers are fine: one machine.
    const local = cli(['validate', '--project', await project('store: sqlite(), warehouse: duckdb(),')])
    assert.equal(local.code, 0, local.stdout + local.stderr)
  })

  test('a store given the warehouse-only schema is TRB1060; the warehouse takes it', async () => {
    const store = cli(['validate', '--project', await project(`store: postgres({ url: '${URL}', schema: 'meta' }),`), '--json'])
    assert.equal(store.code, 2)
    const problems = (JSON.parse(store.stdout) as { problems: { code: string; message: string; hint: string }[] }).problems
    assert.deepEqual(problems.map((p) => p.code), ['TRB1060'])
    assert.match(problems[0]!.message, /schema names the warehouse's ledger schema/)
    const warehouse = cli(['validate', '--project', await project(`store: postgres({ url: '${URL}' }), warehouse: postgres({ url: '${URL}', schema: 'meta' }),`)])
    assert.equal(warehouse.code, 0, warehouse.stdout + warehouse.stderr)
  })

  test('materialize and serve stop at the refusal before opening a store or a warehouse', async () => {
    const dir = await project('executor: queue(),')
    for (const args of [['materialize'], ['serve', '--port', '0', '--no-daemon']]) {
      const run = cli([...args, '--project', dir])
      assert.notEqual(run.code, 0, `${args[0]} must refuse`)
      assert.match(run.stderr, /TRB7020 .*DuckDB/, args[0])
      assert.match(run.stderr, /TRB7021 /, args[0])
    }
    assert.equal(existsSync(join(dir, '.tributary', 'metadata.sqlite')), false, 'no store was created')
    assert.equal(existsSync(join(dir, '.tributary', 'warehouse.duckdb')), false, 'no warehouse was created')
  })
})
