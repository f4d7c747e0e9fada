// `tributary serve` and `tributary dev` as real processes.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cli, cliProcess } from './helpers/cli.js'
import { poll } from './helpers/poll.js'
import { openEvents } from './helpers/server.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `import { defineProject } from 'tributary-orchestrator'
import * as assets from './assets/index.js'

export default defineProject({ name: 'served', assets: Object.values(assets) })
`

const FIRST = `import { defineAsset } from 'tributary-orchestrator'

export const first = defineAsset({ key: 'raw/first', async materialize() { return [{ id: 1 }] } })

/** Runs until canceled. */
export const slow = defineAsset({
  key: 'raw/slow',
  async materialize(_inputs, ctx) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 60_000)
      ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason) }, { once: true })
    })
    return [{ id: 1 }]
  },
})
`

async function writeProject(dir: string, index = "export * from './first.js'\n") {
  await mkdir(join(dir, 'assets'), { recursive: true })
  await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
  await writeFile(join(dir, 'assets', 'first.ts'), FIRST)
  await writeFile(join(dir, 'assets', 'index.ts'), index)
}

/** Starts the CLI and waits for the URL it prints; collects its output. */
// Every server a test starts; the after hook kills any a failed assertion left running.
const started = new Set<ChildProcess>()
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

async function start(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = cliProcess(args, { env: { TRIBUTARY_TOKEN: '', TRIBUTARY_READ_TOKEN: '', ...env } })
  started.add(child)
  const output = { stdout: '', stderr: '' }
  child.stdout!.on('data', (chunk) => (output.stdout += chunk))
  child.stderr!.on('data', (chunk) => (output.stderr += chunk))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s\n${output.stdout}\n${output.stderr}`)), 60_000)
    const look = () => {
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output.stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[0])
      }
    }
    child.stdout!.on('data', look)
    void exited.then(([code]) => reject(new Error(`exited ${code} before serving\n${output.stdout}\n${output.stderr}`)))
  })
  return { child, url, output, exited }
}

async function stop(child: ChildProcess, exited: Promise<[number | null, NodeJS.Signals | null]>, signal: NodeJS.Signals = 'SIGINT') {
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code] = await exited
  clearTimeout(timer)
  return code
}


const json = async (url: string, init?: RequestInit) => (await fetch(url, init)).json() as Promise<any>

describe('cli: serve and dev', () => {
  test('serve prints its URL, answers /api/health, and exits 0 on SIGINT', async () => {
    const { dir, cleanup } = await tempDir('serve-')
    try {
      assert.equal(cli(['init', '--project', dir]).code, 0)
      const { child, url, exited } = await start(['serve', '--port', '0', '--project', dir])
      assert.deepEqual(await json(`${url}/api/health`), { ok: true, project: basename(dir).toLowerCase(), assets: 3, role: 'operator' }) // init names the project after its directory
      assert.equal(await stop(child, exited), 0)
    } finally {
      await cleanup()
    }
  })

  test('serve cancels active runs on SIGTERM and exits 0', async () => {
    const { dir, cleanup } = await tempDir('serve-')
    try {
      await writeProject(dir)
      const { child, url, exited, output } = await start(['serve', '--port', '0', '--project', dir])
      const started = await json(`${url}/api/runs`, { method: 'POST', body: JSON.stringify({ selection: 'raw/slow' }) })
      await poll('the slow step to run', async () => {
        const run = await json(`${url}/api/runs/${started.runId}`)
        return run.steps?.[0]?.status === 'running' ? true : undefined
      })
      assert.equal(await stop(child, exited, 'SIGTERM'), 0, output.stderr)
      const runs = JSON.parse(cli(['runs', '--project', dir, '--json']).stdout)
      assert.equal(runs[0].id, started.runId)
      assert.equal(runs[0].status, 'canceled')
    } finally {
      await cleanup()
    }
  })

  test('serve runs the automation daemon (an onMissing asset is built by itself); --no-daemon does not', async () => {
    const { dir, cleanup } = await tempDir('serve-')
    try {
      await writeProject(dir, "export * from './auto.js'\n")
      await writeFile(join(dir, 'assets', 'auto.ts'), "import { defineAsset, onMissing } from 'tributary-orchestrator'\n\nexport const auto = defineAsset({ key: 'raw/auto', automation: onMissing(), async materialize() { return [{ id: 1 }] } })\n")
      // Without the daemon, serve says nothing of it, and nothing ticks or runs while it serves.
      const quiet = await start(['serve', '--port', '0', '--no-daemon', '--project', dir])
      assert.doesNotMatch(quiet.output.stdout, /automation daemon/)
      assert.equal((await fetch(`${quiet.url}/api/health`)).status, 200)
      assert.equal(await stop(quiet.child, quiet.exited), 0)
      assert.doesNotMatch(quiet.output.stderr, /daemon:/)
      assert.deepEqual(JSON.parse(cli(['runs', '--json', '--project', dir]).stdout), [], 'no daemon, no runs')

      const served = await start(['serve', '--port', '0', '--project', dir])
      assert.match(served.output.stdout, /automation daemon ticking every 30s/)
      const run = await poll('the daemon to build raw/auto', async () => {
        const runs = await json(`${served.url}/api/runs`)
        return runs.find((r: { trigger: string; status: string }) => r.trigger === 'automation' && r.status === 'succeeded')
      })
      assert.equal(run.selection, 'raw/auto')
      const decisions = await json(`${served.url}/api/decisions?key=raw/auto`)
      assert.equal(decisions[0].requested, true)
      assert.equal(await stop(served.child, served.exited), 0, served.output.stderr)
    } finally {
      await cleanup()
    }
  })

  test('serve refuses a non-loopback host without a token, and a bad port (exit 2)', async () => {
    const { dir, cleanup } = await tempDir('serve-')
    try {
      await writeProject(dir)
      const open = cli(['serve', '--host', '0.0.0.0', '--port', '0', '--project', dir], { env: { TRIBUTARY_TOKEN: '' } })
      assert.equal(open.code, 2)
      assert.match(open.stderr, /TRB6001 refusing to listen on 0\.0\.0\.0 without a token/)
      assert.match(open.stderr, /hint: Set TRIBUTARY_TOKEN/)
      const port = cli(['serve', '--port', 'http', '--project', dir])
      assert.equal(port.code, 2)
      assert.match(port.stderr, /--port must be a number/)
    } finally {
      await cleanup()
    }
  })

  test('dev reloads edited definitions, keeps serving the last good ones on errors, and says so on /api/events', async () => {
    const { dir, cleanup } = await tempDir('dev-')
    try {
      await writeProject(dir)
      const { child, url, exited, output } = await start(['dev', '--port', '0', '--project', dir])
      const keys = async () => ((await json(`${url}/api/assets`)).items as { key: string }[]).map((item) => item.key)
      assert.deepEqual(await keys(), ['raw/first', 'raw/slow'])
      const events = await openEvents(url)
      const reloads = () => events.events().filter((e) => e.event === 'reload').map((e) => e.data as { ok: boolean; message: string })
      try {
        // An edit to an imported module, not the config: the whole module graph is loaded afresh.
        await writeFile(join(dir, 'assets', 'second.ts'), "import { defineAsset } from 'tributary-orchestrator'\nexport const second = defineAsset({ key: 'raw/second', async materialize() { return [{ id: 2 }] } })\n")
        await writeFile(join(dir, 'assets', 'index.ts'), "export * from './first.js'\nexport * from './second.js'\n")
        await poll('raw/second to appear', async () => ((await keys()).includes('raw/second') ? true : undefined))
        await events.waitFor((item) => 'event' in item && item.event === 'reload' && item.data.ok === true)
        assert.match(output.stdout, /reloaded 3 assets/)

        await writeFile(join(dir, 'assets', 'second.ts'), 'export const second = defineAsset({ key: \n')
        await events.waitFor((item) => 'event' in item && item.event === 'reload' && item.data.ok === false)
        assert.match(reloads().find((r) => !r.ok)!.message, /^TRB1011: /)
        assert.deepEqual(await keys(), ['raw/first', 'raw/second', 'raw/slow'], 'the previous definitions keep serving')
        assert.match(output.stderr, /reload failed; still serving the previous definitions/)

        await writeFile(join(dir, 'assets', 'second.ts'), "import { defineAsset } from 'tributary-orchestrator'\nexport const second = defineAsset({ key: 'raw/first', async materialize() { return [] } })\n")
        await events.waitFor((item) => 'event' in item && item.event === 'reload' && !item.data.ok && /^TRB1001/.test(item.data.message))
        assert.deepEqual(await keys(), ['raw/first', 'raw/second', 'raw/slow'])

        await writeFile(join(dir, 'assets', 'second.ts'), "import { defineAsset } from 'tributary-orchestrator'\nexport const third = defineAsset({ key: 'raw/third', async materialize() { return [] } })\n")
        await poll('raw/third to replace raw/second', async () => ((await keys()).join() === 'raw/first,raw/slow,raw/third' ? true : undefined))
      } finally {
        events.close()
      }
      assert.equal(await stop(child, exited), 0, output.stderr)
    } finally {
      await cleanup()
    }
  })
})
