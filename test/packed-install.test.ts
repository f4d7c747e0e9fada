// A new user's path, as they will walk it: the package as `npm pack` makes it, installed from its
// tarball into an empty directory outside the repository (no access to its node_modules), then
// docs/getting-started.md command by command, with the outcomes asserted. Slow (an install that
// compiles better-sqlite3): minutes, once.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ensureUiBuilt, REPO } from './helpers/browser.js'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
// Without the test runner's `--conditions=tributary-source` (the installed package runs from dist/),
// and without its NODE_TEST_CONTEXT, so the page's own `node --test` reports as it would for a user.
const { NODE_OPTIONS: _conditions, NODE_TEST_CONTEXT: _context, ...inherited } = process.env
const ENV: NodeJS.ProcessEnv = { ...inherited, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }

/** One command of the walk: how it ended and what it printed. */
interface Ran { readonly command: string; readonly code: number | null; readonly stdout: string; readonly stderr: string }

function sh(command: string, cwd: string, timeout = 180_000): Ran {
  const result = spawnSync('sh', ['-c', command], { cwd, env: ENV, encoding: 'utf8', timeout })
  return { command, code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const show = (ran: Ran) => `$ ${ran.command} → exit ${ran.code}\n${ran.stdout}\n${ran.stderr}`

/** The steps of a Markdown page: shell lines of its ```sh blocks and files of its ```ts file=… blocks, in order; fragments left out. */
function walkOf(markdown: string): ({ kind: 'sh'; line: string } | { kind: 'file'; name: string; content: string })[] {
  const steps: ({ kind: 'sh'; line: string } | { kind: 'file'; name: string; content: string })[] = []
  for (const match of markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, language, flags, body] = match as unknown as [string, string, string, string]
    const file = /\bfile=(\S+)/.exec(flags)?.[1]
    if (file) steps.push({ kind: 'file', name: file, content: body })
    else if (language === 'sh' && !flags.includes('fragment')) {
      for (const line of body.split('\n')) if (line.trim()) steps.push({ kind: 'sh', line: line.trim() })
    }
  }
  return steps
}

/**
 * better-sqlite3 installs a prebuilt binary when it finds one, else compiles SQLite (minutes on a
 * busy 2-core machine). Its installer looks in `npm_config_better_sqlite3_local_prebuilds` before
 * downloading: this machine's build is offered there as the prebuild it would download. Nothing
 * else of the repository's node_modules is visible to the install.
 */
function offerSqlitePrebuild(root: string): void {
  const pkgDir = join(REPO, 'node_modules', 'better-sqlite3')
  const binary = join(pkgDir, 'build', 'Release', 'better_sqlite3.node')
  if (!existsSync(binary)) return
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }
  const dir = join(root, 'prebuilds')
  mkdirSync(dir)
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  const tar = spawnSync('tar', ['-czf', join(dir, name), '-C', pkgDir, 'build/Release/better_sqlite3.node'], { encoding: 'utf8' })
  if (tar.status === 0) ENV.npm_config_better_sqlite3_local_prebuilds = dir
}

describe('packed install: docs/getting-started.md from the tarball, outside the repository', () => {
  let root: string
  let tarball: string
  let packed: string[]
  let server: ChildProcess | undefined
  const ran: Ran[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tributary-packed-'))
    // The tarball ships compiled code: build it from this tree first (the UI too when missing).
    const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build.js')], { cwd: REPO, env: ENV, encoding: 'utf8' })
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`)
    ensureUiBuilt()
    const pack = spawnSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: REPO, env: ENV, encoding: 'utf8' })
    assert.equal(pack.status, 0, pack.stderr)
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[]
    tarball = join(root, info!.filename)
    packed = info!.files.map((f) => f.path)
    offerSqlitePrebuild(root)
  })

  after(async () => {
    // npx runs the command as its child: the whole process group goes.
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      process.kill(-server.pid!, 'SIGKILL')
      await exited
    }
    await rm(root, { recursive: true, force: true })
  })

  test('the tarball holds the compiled package, its SQL migrations, the built UI and the docs, and no sources or tests', () => {
    for (const file of ['bin/tributary.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/testing/index.js', 'dist/store/sqlite/migrations/0001_initial.sql', 'ui/dist/index.html', 'README.md', 'docs/getting-started.md', 'package.json']) {
      assert.ok(packed.includes(file), `${file} is not in the tarball`)
    }
    const strays = packed.filter((f) => /^(src|test|bench|examples|scripts|\.ci)\//.test(f) || /\.test\.|\.tsbuildinfo$/.test(f))
    assert.deepEqual(strays, [])
  })

  test('every command of the getting-started page works as the page says', async () => {
    let cwd = root
    for (const step of walkOf(readFileSync(join(REPO, 'docs', 'getting-started.md'), 'utf8'))) {
      if (step.kind === 'file') {
        writeFileSync(join(cwd, step.name), step.content)
        continue
      }
      const expected = Number(/#.*\bexits (\d)/.exec(step.line)?.[1] ?? 0)
      const line = step.line.replace(/\s+#.*$/, '')
      const into = /^mkdir (\S+) && cd \1$/.exec(line)
      if (into) {
        cwd = join(cwd, into[1]!)
        mkdirSync(cwd)
        continue
      }
      if (line.startsWith('npx tributary serve')) {
        await checkServe(line, cwd)
        continue
      }
      // The registry's copy is replaced by this tree's tarball; everything else runs as written.
      const command = line === 'npm install tributary-orchestrator' ? `npm install ${tarball} --no-audit --no-fund --prefer-offline` : line
      const result = sh(command, cwd, command.startsWith('npm install') ? 900_000 : 180_000)
      ran.push(result)
      assert.equal(result.code, expected, show(result))
    }

    const by = (prefix: string) => ran.filter((r) => r.command.startsWith(prefix))
    // init completed npm's package.json: ESM, the tarball dependency kept, scripts added.
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string>; scripts: Record<string, string> }
    assert.equal(pkg.type, 'module')
    assert.match(pkg.dependencies['tributary-orchestrator']!, /\.tgz$/)
    assert.equal(pkg.scripts.materialize, 'tributary materialize')
    assert.match(by('npx tributary validate')[0]!.stdout, /✓ analytics: 3 assets and sources, no problems/)
    const materialize = by('npx tributary materialize')
    assert.match(materialize[0]!.stdout, /succeeded .*2 succeeded/)
    assert.match(materialize[1]!.stderr, /raw\/orders\s+up to date[\s\S]*marts\/daily_revenue\s+up to date/)
    assert.doesNotMatch(materialize[1]!.stderr, /running/)
    assert.match(materialize[2]!.stderr, /blocked raw\/orders .*unique\(order_id\)/)
    assert.match(materialize[2]!.stderr, /skipped marts\/daily_revenue/)
    assert.match(materialize[3]!.stdout, /succeeded .*2 succeeded/)
    const afterBlock = by('npx tributary status')[1]!.stdout
    assert.match(afterBlock, /raw\/orders\s+table\s+⛔ blocked/)
    assert.match(afterBlock, /marts\/daily_revenue\s+table\s+◐ stale .*root cause raw\/orders \(team:data\)/)
    assert.match(by('npx tributary ready')[0]!.stdout, /✓ ready/)
    assert.match(by('node --import tsx --test')[0]!.stdout, /# pass 2\n# fail 0/)

    // Where the walk ends: every asset fresh again, in the shape scripts read.
    const status = sh('npx tributary status --json', cwd)
    assert.equal(status.code, 0, show(status))
    const statuses = JSON.parse(status.stdout) as { key: string; status: string }[]
    assert.deepEqual(statuses.map((s) => [s.key, s.status]), [['landing/orders', 'fresh'], ['raw/orders', 'fresh'], ['marts/daily_revenue', 'fresh']])
  })

  /** Starts `serve` on a free port, asks it for the UI and an API route, then stops it. */
  async function checkServe(line: string, cwd: string): Promise<void> {
    // Its own process group, so stopping it stops npx and the server npx started alike.
    server = spawn('sh', ['-c', `exec ${line} --port 0`], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const found = /http:\/\/127\.0\.0\.1:\d+/.exec(output)
        if (found) resolve(found[0])
      }
      server!.stdout!.on('data', onData)
      server!.stderr!.on('data', onData)
      server!.once('exit', (code) => reject(new Error(`serve exited ${code} before listening:\n${output}`)))
    })
    const page = await fetch(`${url}/`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>Tributary<\/title>/)
    const exited = new Promise((resolve) => server!.once('exit', resolve))
    process.kill(-server.pid!, 'SIGTERM')
    await exited
  }
})
