// `tributary worker --pools`: a limit per named pool within one worker process, while the
// worker's other slots keep running other steps. Real PostgreSQL, a real worker process.
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { Tributary } from '../src/instance/tributary.js'
import { startWorker, writeFleetProject } from './helpers/fleet.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

// Six steps of pool `warehouse` and six of no pool, all independent; each appends its start and
// end (ms) to a file of its own, written as one line when it ends.
const assets = (dir: string) => `const dir = ${JSON.stringify(dir)}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const step = (key: string, pool?: string) => defineAsset({
  key, io: 'none', ...(pool ? { pool } : {}),
  async materialize() {
    const { appendFileSync } = await import('node:fs')
    const start = Date.now()
    await sleep(400)
    appendFileSync(dir + '/spans.jsonl', JSON.stringify({ key, pool: pool ?? null, start, end: Date.now() }) + '\\n')
  },
})
const assets: AnyNode[] = [0, 1, 2, 3, 4, 5].flatMap((i) => [step('pooled/p' + i, 'warehouse'), step('free/f' + i)])`

interface Span { readonly key: string; readonly pool: string | null; readonly start: number; readonly end: number }

const overlap = (a: Span, b: Span) => a.start < b.end && b.start < a.end

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined)
})

// A fleet project of `source` (pool warehouse declared) in a database and directory of its own, its instance open.
async function project(prefix: string, source: (dir: string) => string) {
  const database = await createDatabase()
  cleanups.push(database.drop)
  const temp = await tempDir(prefix)
  cleanups.unshift(temp.cleanup)
  await writeFleetProject(temp.dir, source(temp.dir), { pools: { warehouse: 6 } })
  process.env.TRIBUTARY_DATABASE_URL = database.url
  const instance = await Tributary.open({ projectDir: temp.dir, settings: { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 200 } })
  cleanups.unshift(() => instance.close())
  return { url: database.url, dir: temp.dir, instance }
}

test('a worker started with --pools warehouse=1 never runs two steps of pool warehouse at once, while it runs other steps beside them', async () => {
  const { url, dir, instance } = await project('worker-pools-', assets)
  const worker = await startWorker(dir, url, ['--concurrency', '4', '--pools', 'warehouse=1'])
  const result = await instance.materialize()
  assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
  const spans = (await readFile(join(dir, 'spans.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Span)
  assert.equal(spans.length, 12)
  const pooled = spans.filter((s) => s.pool === 'warehouse')
  for (const a of pooled) {
    for (const b of pooled) if (a !== b) assert.ok(!overlap(a, b), `${a.key} and ${b.key} of pool warehouse ran at once: ${JSON.stringify([a, b])}`)
  }
  // The limit is the pool's, not the worker's: other steps ran beside the pool's.
  const free = spans.filter((s) => s.pool === null)
  assert.ok(pooled.some((a) => free.some((b) => overlap(a, b))), 'a step of no pool ran while a step of pool warehouse did')
  assert.ok(free.some((a) => free.some((b) => a !== b && overlap(a, b))), 'steps of no pool ran at once')
  worker.child.kill('SIGTERM')
  await worker.exited
})

// Two steps of pool `warehouse`, each marking its start, then held until the test writes `go`.
const gated = (dir: string) => `const dir = ${JSON.stringify(dir)}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const step = (key: string) => defineAsset({
  key, io: 'none', pool: 'warehouse',
  async materialize() {
    const { appendFileSync, existsSync, writeFileSync } = await import('node:fs')
    const start = Date.now()
    writeFileSync(dir + '/started-' + key.replace('/', '_'), '')
    while (!existsSync(dir + '/go')) await sleep(20)
    appendFileSync(dir + '/spans.jsonl', JSON.stringify({ key, pool: 'warehouse', start, end: Date.now() }) + '\\n')
  },
})
const assets: AnyNode[] = [step('pooled/p0'), step('pooled/p1')]`

test("a job past its pool's limit that the queue's flags did not keep out waits in the worker for a place, unclaimed and listed as waiting, then runs after the step holding the place", async () => {
  const { url, dir, instance } = await project('worker-pool-wait-', gated)
  const started = instance.start()
  // Both jobs queued before any worker runs; their pool flags dropped, as when two slots fetch at
  // the same moment, each before the other's step counts in the flags: only the worker's own gate
  // stands between them.
  const queued = () => query(url, 'select 1 from graphile_worker._private_jobs').catch(() => [])
  await poll('both jobs queued', async () => ((await queued()).length === 2 ? true : undefined))
  await query(url, 'update graphile_worker._private_jobs set flags = null')
  const worker = await startWorker(dir, url, ['--concurrency', '2', '--pools', 'warehouse=1'])
  interface Listed { readonly assetKey: string; readonly attempt: number; readonly waitingForPool?: string }
  const listed = await poll('one step listed waiting for pool warehouse', async () => {
    const [row] = await query<{ current_steps: string }>(url, 'select current_steps from workers where id = $1', [worker.id])
    const steps = row ? JSON.parse(row.current_steps) as Listed[] : []
    return steps.length === 2 && steps.some((s) => s.waitingForPool === 'warehouse') ? steps : undefined
  }, 60_000)
  const waiting = listed.find((s) => s.waitingForPool === 'warehouse')!
  const running = listed.find((s) => s !== waiting)!
  assert.equal(running.waitingForPool, undefined)
  assert.notEqual(running.assetKey, waiting.assetKey)
  // Not claimed while it waits: its step is still waiting for a worker, its code not started.
  const steps = await instance.store.listSteps(started.runId)
  assert.equal(steps.find((s) => s.assetKey === waiting.assetKey)?.status, 'waiting')
  assert.equal(steps.find((s) => s.assetKey === running.assetKey)?.status, 'running')
  // Listed running from its claim; its code (in the worker's process pool) marks its start a moment later.
  const startedFiles = async () => (await readdir(dir)).filter((f) => f.startsWith('started-'))
  await poll('the running step\'s code to start', async () => ((await startedFiles()).length > 0 ? true : undefined))
  assert.deepEqual(await startedFiles(), [`started-${running.assetKey.replace('/', '_')}`])
  await writeFile(join(dir, 'go'), '')
  const result = await started.done
  assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
  const spans = (await readFile(join(dir, 'spans.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Span)
  assert.deepEqual(spans.map((s) => s.key), [running.assetKey, waiting.assetKey])
  assert.ok(!overlap(spans[0]!, spans[1]!), `the two steps of pool warehouse ran at once: ${JSON.stringify(spans)}`)
  worker.child.kill('SIGTERM')
  await worker.exited
})
