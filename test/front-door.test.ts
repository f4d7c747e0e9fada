// What a newcomer meets first: the version, help, usage errors, colour, a config with a syntax
// error, and `init` into any directory giving a project that runs outside the repository with
// nothing installed (the CLI serves `import … from 'tributary-orchestrator'` itself).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cli } from './helpers/cli.js'

const REPO = join(import.meta.dirname, '..')
// eslint-disable-next-line no-control-regex -- looking for ANSI colour codes is the point
const ANSI = /\x1b\[/

describe('front door', () => {
  let outside: string
  before(async () => {
    // Outside the repository: nothing above it has node_modules/tributary-orchestrator.
    outside = await mkdtemp(join(tmpdir(), 'tributary-front-door-'))
  })
  after(async () => {
    await rm(outside, { recursive: true, force: true })
  })

  test('--version prints package.json\'s version; help <command> shows that command; an unknown option names the valid ones', () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
    const printed = cli(['--version'])
    assert.equal(printed.code, 0)
    assert.equal(printed.stdout.trim(), version)
    const help = cli(['help', 'materialize'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /usage: tributary materialize/)
    assert.match(help.stdout, /--force/)
    assert.equal(cli(['help', 'nope']).code, 2)
    const bad = cli(['status', '--colour'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /TRB6001 unknown option --colour for tributary status; its options are --project \(-p\), --json, --help \(-h\), --partitions/)
    assert.doesNotMatch(bad.stderr, /positional argument/)
  })

  test('init DIR with an absolute path from another directory writes there a project that validates, runs and schedules with nothing installed', () => {
    const dir = join(outside, 'Shop Analytics')
    const init = cli(['init', dir], { cwd: REPO })
    assert.equal(init.code, 0, init.stderr)
    assert.ok(!existsSync(join(REPO, dir.slice(1))), 'init joined the absolute path to the cwd')
    for (const file of ['package.json', 'tsconfig.json', '.gitignore', 'tributary.config.ts', 'assets.ts', 'landing/orders.csv']) assert.ok(existsSync(join(dir, file)), file)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; type: string; dependencies: Record<string, string> }
    assert.equal(pkg.name, 'shop-analytics')
    assert.equal(pkg.type, 'module')
    assert.ok(pkg.dependencies['tributary-orchestrator'])
    assert.match(readFileSync(join(dir, 'tributary.config.ts'), 'utf8'), /from 'tributary-orchestrator'/)
    // The printed next steps name the scaffold's own keys.
    assert.match(init.stdout, /tributary ready marts\/daily_revenue/)

    const validate = cli(['validate', '--json'], { cwd: dir })
    assert.equal(validate.code, 0, validate.stderr)
    assert.deepEqual(JSON.parse(validate.stdout), { valid: true, assets: 3, problems: [] })
    const materialize = cli(['materialize', '--json'], { cwd: dir })
    assert.equal(materialize.code, 0, materialize.stderr)
    assert.equal(JSON.parse(materialize.stdout).counts.succeeded, 2)
    assert.equal(cli(['ready', 'marts/daily_revenue'], { cwd: dir }).code, 0)
    const daemon = cli(['daemon', '--once', '--json'], { cwd: dir })
    assert.equal(daemon.code, 0, daemon.stderr)
  })

  test('a config with a syntax error names the file, line and column', () => {
    const dir = join(outside, 'broken')
    assert.equal(cli(['init', dir]).code, 0)
    writeFileSync(join(dir, 'assets.ts'), `${readFileSync(join(dir, 'assets.ts'), 'utf8')}\nexport const = 1\n`)
    const lines = readFileSync(join(dir, 'assets.ts'), 'utf8').split('\n').length - 1
    const validate = cli(['validate'], { cwd: dir })
    assert.equal(validate.code, 2)
    assert.match(validate.stderr, new RegExp(`TRB1011 syntax error in ${join(dir, 'assets.ts').replace(/[/\\]/g, '[/\\\\]')}:${lines}:\\d+: Expected identifier`))
    assert.doesNotMatch(validate.stderr, /Transform failed|Build failed/)
  })

  test('a Tributary error raised while the config loads keeps its own code and hint', () => {
    const dir = join(outside, 'bad-store')
    assert.equal(cli(['init', dir]).code, 0)
    const config = readFileSync(join(dir, 'tributary.config.ts'), 'utf8')
    writeFileSync(join(dir, 'tributary.config.ts'), `import { postgres } from 'tributary-orchestrator'\nconst store = postgres({ url: 'postgres://127.0.0.1/x', poolSize: 0 })\nvoid store\n${config}`)
    const validate = cli(['validate'], { cwd: dir })
    assert.equal(validate.code, 2)
    assert.match(validate.stderr, /TRB1050 postgres\(\) poolSize must be a whole number/)
    assert.match(validate.stderr, /Leave it out for 10 connections per process/)
    assert.doesNotMatch(validate.stderr, /TRB1011/)
  })

  test('FORCE_COLOR colours output off a terminal; without it, piped output is plain', () => {
    const dir = join(outside, 'colour')
    assert.equal(cli(['init', dir]).code, 0)
    assert.doesNotMatch(cli(['validate'], { cwd: dir }).stdout, ANSI)
    assert.match(cli(['validate'], { cwd: dir, env: { FORCE_COLOR: '1' } }).stdout, ANSI)
    assert.doesNotMatch(cli(['validate'], { cwd: dir, env: { FORCE_COLOR: '0' } }).stdout, ANSI)
  })

  test('npm run demo, piped, writes no colour codes', () => {
    const { NO_COLOR: _n, FORCE_COLOR: _f, ...env } = process.env
    const demo = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'examples', 'revenue', 'demo.ts')], { cwd: REPO, env, encoding: 'utf8', timeout: 300_000 })
    assert.equal(demo.status, 0, `${demo.stdout}\n${demo.stderr}`)
    assert.match(demo.stdout, /Night 2/)
    assert.doesNotMatch(demo.stdout + demo.stderr, ANSI)
  })
})
