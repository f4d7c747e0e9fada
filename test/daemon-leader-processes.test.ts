// Two `tributary daemon` processes, as on two machines (each its own project directory), over one
// PostgreSQL store and warehouse: one leads and fires a schedule that ticks every second; kill -9
// of the leader, and the standby takes the lead and goes on. Every tick fires exactly once — none
// repeated, none lost (catchUp 'all' fires the seconds the takeover took). Real PostgreSQL, a
// database for the test, real child processes; waits on their log lines and on the store.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { cliProcess } from './helpers/cli.js'
import { poll } from './helpers/poll.js'
import { createDatabase } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineProject, defineSchedule, postgres, sqlAsset } from 'tributary-orchestrator'
export default defineProject({
  name: 'leader',
  assets: [sqlAsset({ key: 'marts/answer', sql: 'select 42 as answer' })],
  schedules: [defineSchedule({ name: 'every-second', cron: '* * * * * *', selection: 'marts/answer', catchUp: 'all', maxCatchUp: 600 })],
  store: postgres({ url: process.env.TRB_TEST_DATABASE_URL, poolSize: 3 }),
  warehouse: postgres({ url: process.env.TRB_TEST_DATABASE_URL, poolSize: 2 }),
})
`

interface Daemon {
  readonly child: ChildProcess
  readonly lines: string[]
  /** Resolves with the first stderr line matching `pattern` (rejects when the process exits first). */
  line(pattern: RegExp): Promise<string>
}

function startDaemon(projectDir: string, url: string): Daemon {
  const child = cliProcess(['daemon', '--project', projectDir, '--interval', '200ms', '--standby-retry', '200ms'], { env: { TRB_TEST_DATABASE_URL: url, TRIBUTARY_EXECUTOR: 'in-process' } })
  const lines: string[] = []
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  let buffer = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    const complete = buffer.split('\n')
    buffer = complete.pop()!
    for (const line of complete) {
      lines.push(line)
      for (const waiter of [...waiters]) if (waiter.pattern.test(line)) { waiters.delete(waiter); waiter.resolve(line) }
    }
  })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`daemon exited (${code ?? signal}) before the line; its log:\n${lines.join('\n')}`))))
  exited.catch(() => undefined)
  return {
    child, lines,
    line(pattern) {
      const seen = lines.find((l) => pattern.test(l))
      if (seen) return Promise.resolve(seen)
      return Promise.race([new Promise<string>((resolve) => waiters.add({ pattern, resolve })), exited])
    },
  }
}

function stopped(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

interface TickRow { tick_id: string; holder: string; run_id: string | null; completed_at: number | null }

describe('two daemon processes over one PostgreSQL store', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  test('one leads, every one-second tick fires once; kill -9 of the leader, the standby takes over and ticks go on exactly once', async (t) => {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const [machineA, machineB] = [await tempDir('leader-a-'), await tempDir('leader-b-')]
    cleanups.unshift(machineA.cleanup, machineB.cleanup)
    for (const dir of [machineA.dir, machineB.dir]) await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    cleanups.unshift(() => client.end())
    const ticks = async () => (await client.query<TickRow>("SELECT tick_id, holder, run_id, completed_at FROM daemon_ticks WHERE tick_id LIKE 'schedule:%' ORDER BY tick_id").catch(() => ({ rows: [] as TickRow[] }))).rows

    const a = startDaemon(machineA.dir, database.url)
    cleanups.unshift(async () => { a.child.kill('SIGKILL'); await stopped(a.child) })
    await a.line(/leading: this daemon/)
    const b = startDaemon(machineB.dir, database.url)
    cleanups.unshift(async () => { b.child.kill('SIGKILL'); await stopped(b.child) })
    await b.line(/standing by: .* leads/)

    // a fires at least three ticks while b stands by.
    await poll('three ticks fired by the leader', async () => ((await ticks()).filter((t) => t.completed_at !== null).length >= 3 ? true : undefined), 60_000, 100)
    const holderA = `:${a.child.pid}`
    a.child.kill('SIGKILL')
    const killedAt = Date.now()
    await stopped(a.child)
    const beforeKill = await ticks()
    assert.ok(beforeKill.every((t) => t.holder.endsWith(holderA)), `only the leader claimed ticks while it led: ${JSON.stringify(beforeKill)}`)

    const takeover = await b.line(/leading: this daemon/)
    const takeoverMs = Date.now() - killedAt
    assert.match(takeover, new RegExp(`taking over from .*${holderA}`))
    // The standby tries every 200 ms; PostgreSQL frees the lock when the killed process's socket closes.
    assert.ok(takeoverMs < 10_000, `took over ${takeoverMs} ms after the kill`)
    t.diagnostic(`takeover ${takeoverMs} ms after kill -9 (standby retry 200 ms)`)

    const count = beforeKill.length
    await poll('three more ticks fired by the new leader', async () => ((await ticks()).filter((t) => t.completed_at !== null && !t.holder.endsWith(holderA)).length >= 3 ? true : undefined), 60_000, 100)
    b.child.kill('SIGTERM')
    await stopped(b.child)

    const all = await ticks()
    assert.ok(all.length >= count + 3)
    // Every second from the first tick to the last, once: the seconds of the takeover were caught up, none fired twice.
    const seconds = all.map((t) => Date.parse(t.tick_id.slice('schedule:every-second@'.length)))
    for (let i = 1; i < seconds.length; i++) assert.equal(seconds[i]! - seconds[i - 1]!, 1_000, `ticks ${all[i - 1]!.tick_id} and ${all[i]!.tick_id} are one second apart`)
    assert.ok(all.every((t) => t.completed_at !== null), `every tick completed: ${JSON.stringify(all.filter((t) => t.completed_at === null))}`)
    const { rows: runs } = await client.query<{ id: string; trigger: string }>("SELECT id, trigger FROM runs WHERE trigger = 'schedule:every-second'")
    const runIds = all.map((t) => t.run_id)
    assert.equal(new Set(runIds).size, all.length, 'each tick started its own run')
    assert.deepEqual(new Set(runs.map((r) => r.id)), new Set(runIds), 'one run per tick, no run without its tick')
    assert.ok(all.some((t) => t.holder.endsWith(`:${b.child.pid}`)))
  })
})
