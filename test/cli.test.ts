import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cli } from './helpers/cli.js'
import { tempDir } from './helpers/temp-project.js'

describe('cli', () => {
  let dir: string
  let cleanup: () => Promise<void>
  before(async () => {
    ;({ dir, cleanup } = await tempDir('cli-'))
  })
  after(async () => cleanup())

  test('--help lists the commands; unknown commands and options exit 2 with TRB6001', () => {
    const help = cli(['--help'])
    assert.equal(help.code, 0)
    for (const command of ['init', 'validate', 'materialize', 'status', 'ready', 'lineage', 'runs', 'run']) assert.match(help.stdout, new RegExp(`\\n  ${command} `))
    const unknown = cli(['materialise'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /TRB6001 unknown command "materialise"/)
    const badOption = cli(['status', '--colour'])
    assert.equal(badOption.code, 2)
    assert.match(badOption.stderr, /TRB6001.*--colour/)
    assert.match(cli(['ready', '--help']).stdout, /usage: tributary ready <asset>/)
  })

  test('init, validate, materialize, status, ready, lineage, runs and run work end to end with --json', () => {
    assert.equal(cli(['init', '--project', dir]).code, 0)
    assert.equal(cli(['init', '--project', dir]).code, 2, 'init refuses to overwrite')
    const validate = cli(['validate', '--project', dir, '--json'])
    assert.equal(validate.code, 0)
    assert.deepEqual(JSON.parse(validate.stdout), { valid: true, assets: 3, problems: [] })

    const materialize = cli(['materialize', '--project', dir, '--json'])
    assert.equal(materialize.code, 0, materialize.stderr)
    const run = JSON.parse(materialize.stdout)
    assert.equal(run.status, 'succeeded')
    assert.equal(run.counts.succeeded, 2)
    assert.deepEqual(run.steps.map((s: { assetKey: string }) => s.assetKey), ['raw/orders', 'marts/daily_revenue'])

    const status = JSON.parse(cli(['status', '--project', dir, '--json']).stdout)
    assert.deepEqual(status.map((s: { key: string; status: string; kind: string }) => [s.key, s.status, s.kind]), [
      ['landing/orders', 'fresh', 'source'], ['raw/orders', 'fresh', 'table'], ['marts/daily_revenue', 'fresh', 'table'],
    ])
    const plain = cli(['status', '--project', dir])
    assert.match(plain.stdout, /marts\/daily_revenue\s+table\s+● fresh/)

    const ready = cli(['ready', 'marts/daily_revenue', '--project', dir])
    assert.equal(ready.code, 0)
    assert.match(ready.stdout, /✓ ready/)

    const lineage = JSON.parse(cli(['lineage', 'raw/orders', '--project', dir, '--json']).stdout)
    assert.deepEqual(lineage.upstream, ['landing/orders'])
    assert.deepEqual(lineage.downstream, ['marts/daily_revenue'])
    assert.deepEqual(JSON.parse(cli(['lineage', 'raw/orders', '--upstream', '--project', dir, '--json']).stdout).downstream, [])

    const runs = JSON.parse(cli(['runs', '--project', dir, '--json']).stdout)
    assert.equal(runs.length, 1)
    assert.equal(runs[0].id, run.runId)
    const detail = JSON.parse(cli(['run', run.runId, '--project', dir, '--json']).stdout)
    assert.equal(detail.steps.length, 2)
    assert.ok(detail.logs.length >= 0)
    const text = cli(['run', run.runId, '--project', dir])
    assert.match(text.stdout, /raw\/orders\s+✓ succeeded/)
    const missing = cli(['run', 'no-such-run', '--project', dir])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /TRB6002 no run no-such-run/)
  })

  test('a late source makes ready exit 1 with the reason and the owner', async () => {
    const old = new Date(Date.now() - 30 * 3_600_000)
    const { utimes } = await import('node:fs/promises')
    await utimes(join(dir, 'landing/orders.csv'), old, old)
    const ready = cli(['ready', 'marts/daily_revenue', '--project', dir])
    assert.equal(ready.code, 1)
    assert.match(ready.stdout, /not ready/)
    assert.match(ready.stdout, /root cause: landing\/orders — owner team:sales/)
    const json = JSON.parse(cli(['ready', 'marts/daily_revenue', '--project', dir, '--json']).stdout)
    assert.equal(json.ready, false)
    assert.equal(json.rootCause.key, 'landing/orders')
  })

  test('a bad selection exits 2 with a did-you-mean hint', () => {
    const result = cli(['materialize', 'raw/ordrs', '--project', dir])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /TRB2003/)
    assert.match(result.stderr, /Did you mean raw\/orders\?/)
    assert.equal(cli(['materialize', 'tag:', '--project', dir]).code, 2)
  })

  test('invalid definitions: every problem listed with its code, exit 2, and nothing runs', async () => {
    const { dir: broken, cleanup: done } = await tempDir('broken-')
    try {
      await writeFile(join(broken, 'tributary.config.ts'), `
        import { defineProject, sqlAsset } from 'tributary-orchestrator'
        export default defineProject({ name: 'broken', assets: [
          sqlAsset({ key: 'marts/a', sql: 'select * from raw.missing' }),
          sqlAsset({ key: 'marts/a', sql: 'select 1' }),
          sqlAsset({ key: 'marts/b', sql: 'select * form x', freshness: { maxAge: 'soon' } }),
        ] })`)
      const result = cli(['validate', '--project', broken])
      assert.equal(result.code, 2)
      for (const code of ['TRB1001', 'TRB1006', 'TRB1005', 'TRB1007']) assert.match(result.stdout, new RegExp(code))
      assert.match(result.stdout, /4 problems/)
      const json = JSON.parse(cli(['validate', '--project', broken, '--json']).stdout)
      assert.equal(json.valid, false)
      assert.equal(json.problems.length, 4)
      const materialize = cli(['materialize', '--project', broken])
      assert.equal(materialize.code, 2)
      assert.match(materialize.stderr, /TRB1006 marts\/a: SQL asset marts\/a reads raw.missing/)
    } finally {
      await done()
    }
  })

  test('a config that does not load, or is missing, gets TRB1011 / TRB1012 and exit 2', async () => {
    const { dir: broken, cleanup: done } = await tempDir('noload-')
    try {
      const none = cli(['status', '--project', broken])
      assert.equal(none.code, 2)
      assert.match(none.stderr, /TRB1012 no tributary.config.ts/)
      await writeFile(join(broken, 'tributary.config.ts'), `throw new Error('boom in config')\nexport default 1\n`)
      const result = cli(['validate', '--project', broken, '--json'])
      assert.equal(result.code, 2)
      const error = JSON.parse(result.stdout).error
      assert.equal(error.code, 'TRB1011')
      assert.match(error.message, /boom in config/)
    } finally {
      await done()
    }
  })
})

describe('cli: exact keys and project settings', () => {
  test('lineage and ready take one key, not a selection', async () => {
    const { dir, cleanup } = await tempDir('keys-')
    try {
      assert.equal(cli(['init', '--project', dir]).code, 0)
      const lineage = cli(['lineage', 'tag:finance', '--project', dir])
      assert.equal(lineage.code, 2)
      assert.match(lineage.stderr, /TRB2003 "tag:finance" is a selection, but this takes one asset key/)
      assert.equal(cli(['ready', 'raw/*', '--project', dir]).code, 2)
    } finally {
      await cleanup()
    }
  })
})
