// Two `tributary serve` processes, as on two machines (each its own project directory), over one
// PostgreSQL store and warehouse: stateless replicas. One daemon leads, the other stands by; a
// run submitted to replica A is executed once, by A, and shows up live on replica B's event
// stream; canceled through B, A stops it; a run submitted to B appears live on A. Real
// PostgreSQL, real child processes and HTTP; waits on log lines and on the event streams.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { cliProcess } from './helpers/cli.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { existsSync } from 'node:fs'
import { defineAsset, defineProject, postgres, sqlAsset } from 'tributary-orchestrator'
// raw/slow finishes once the gate file exists (or stops when canceled).
const slow = defineAsset({
  key: 'raw/slow',
  async materialize(_inputs, ctx) {
    while (!existsSync(process.env.TRB_TEST_GATE)) {
      if (ctx.signal.aborted) throw ctx.signal.reason
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return [{ id: 1 }]
  },
})
export default defineProject({
  name: 'replicas',
  assets: [slow, sqlAsset({ key: 'marts/count', sql: 'select count(*) as n from raw.slow' })],
  store: postgres({ url: process.env.TRB_TEST_DATABASE_URL, poolSize: 4 }),
  warehouse: postgres({ url: process.env.TRB_TEST_DATABASE_URL, poolSize: 2 }),
})
`

interface Replica {
  readonly child: ChildProcess
  readonly url: string
  readonly lines: string[]
}

async function startServe(dir: string, env: NodeJS.ProcessEnv): Promise<Replica> {
  const child = cliProcess(['serve', '--project', dir, '--port', '0'], { env })
  const lines: string[] = []
  let out = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /at (http:\/\/\S+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}\n${lines.join('\n')}`)))
  })
  return { child, url, lines }
}

/** Reads a replica's /api/events and resolves `until(predicate)` with the first event that matches. */
function eventStream(url: string) {
  const controller = new AbortController()
  const events: { type: string; runId?: string; status?: string; key?: string }[] = []
  const waiters = new Set<{ test: (e: (typeof events)[number]) => boolean; resolve: () => void }>()
  const connected = (async () => {
    const response = await fetch(`${url}/api/events`, { signal: controller.signal })
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    let resolveOpen!: () => void
    const open = new Promise<void>((resolve) => (resolveOpen = resolve))
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          buffer += value
          if (buffer.includes(': connected')) resolveOpen()
          const blocks = buffer.split('\n\n')
          buffer = blocks.pop()!
          for (const block of blocks) {
            const data = block.split('\n').find((line) => line.startsWith('data: '))
            if (!data) continue
            const event = JSON.parse(data.slice(6)) as (typeof events)[number]
            events.push(event)
            for (const waiter of [...waiters]) if (waiter.test(event)) { waiters.delete(waiter); waiter.resolve() }
          }
        }
      } catch {
        // Aborted at the end of the test.
      }
    })()
    await open
  })()
  return {
    events, connected,
    until(test: (e: (typeof events)[number]) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
      if (events.some(test)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} on ${url} within ${timeoutMs} ms; saw ${JSON.stringify(events.slice(-10))}`)), timeoutMs)
        waiters.add({ test, resolve: () => { clearTimeout(timer); resolve() } })
      })
    },
    close: () => controller.abort(),
  }
}

function stopped(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

describe('serve replicas over one PostgreSQL store', () => {
  const cleanups: (() => Promise<void> | void)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('one daemon leads; a run submitted to one replica runs once there and is seen live, and canceled, through the other', async () => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const [machineA, machineB] = [await tempDir('replica-a-'), await tempDir('replica-b-')]
    cleanups.unshift(machineA.cleanup, machineB.cleanup)
    for (const dir of [machineA.dir, machineB.dir]) await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const gate = join(machineA.dir, 'gate')
    const env = { TRB_TEST_DATABASE_URL: database.url, TRB_TEST_GATE: gate, TRIBUTARY_EXECUTOR: 'in-process' }

    const a = await startServe(machineA.dir, env)
    cleanups.unshift(async () => { a.child.kill('SIGKILL'); await stopped(a.child) })
    const b = await startServe(machineB.dir, env)
    cleanups.unshift(async () => { b.child.kill('SIGKILL'); await stopped(b.child) })
    const [streamA, streamB] = [eventStream(a.url), eventStream(b.url)]
    cleanups.unshift(() => streamA.close(), () => streamB.close())
    await Promise.all([streamA.connected, streamB.connected])

    // Submitted to A: B's stream shows it running, live.
    const submitted = await fetch(`${a.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ selection: 'raw/slow+' }) })
    assert.equal(submitted.status, 202)
    const { runId } = (await submitted.json()) as { runId: string }
    await streamB.until((e) => e.type === 'step' && e.runId === runId && e.key === 'raw/slow' && e.status === 'running', 'raw/slow running')
    const seen = (await (await fetch(`${b.url}/api/runs/${runId}`)).json()) as { run: { status: string } }
    assert.equal(seen.run.status, 'running')

    // Canceled through B: A, which runs it, stops it at its next heartbeat.
    const cancel = await fetch(`${b.url}/api/runs/${runId}/cancel`, { method: 'POST' })
    assert.equal(cancel.status, 202)
    await Promise.all([
      streamB.until((e) => e.type === 'run_finished' && e.runId === runId, 'run_finished of the canceled run'),
      streamA.until((e) => e.type === 'run_finished' && e.runId === runId, 'run_finished of the canceled run'),
    ])
    assert.equal(streamB.events.find((e) => e.type === 'run_finished' && e.runId === runId)?.status, 'canceled', await (await fetch(`${b.url}/api/runs/${runId}`)).text())

    // Submitted to B, with the gate open: A's stream sees it succeed.
    await writeFile(gate, '')
    const second = await fetch(`${b.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ selection: 'raw/slow+' }) })
    const { runId: secondId } = (await second.json()) as { runId: string }
    await streamA.until((e) => e.type === 'run_finished' && e.runId === secondId, 'run_finished of the second run')
    assert.equal(streamA.events.find((e) => e.type === 'run_finished' && e.runId === secondId)?.status, 'succeeded')

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    cleanups.unshift(() => client.end())
    const { rows: runs } = await client.query<{ id: string; status: string; pid: number }>('SELECT id, status, pid FROM runs ORDER BY started_at')
    assert.deepEqual(runs.map((r) => [r.id, r.status, r.pid]), [[runId, 'canceled', a.child.pid], [secondId, 'succeeded', b.child.pid]], 'each run once, by the replica it was submitted to')
    const { rows: published } = await client.query<{ run_id: string; n: string }>('SELECT run_id, count(*) AS n FROM _tributary.publications GROUP BY run_id')
    assert.deepEqual(published.map((p) => [p.run_id, Number(p.n)]), [[secondId, 2]], 'the canceled run published nothing; the second published each asset once')

    // Exactly one of the two daemons leads.
    const leading = [a, b].filter((r) => r.lines.some((line) => /daemon: leading: /.test(line)))
    const standing = [a, b].filter((r) => r.lines.some((line) => /daemon: standing by: /.test(line)))
    assert.equal(leading.length, 1, [...a.lines, ...b.lines].join('\n'))
    assert.equal(standing.length, 1)
    assert.notEqual(leading[0], standing[0])
  })
})
