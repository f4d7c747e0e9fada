// The worker fleet (`executor: queue()`): real PostgreSQL (a database per test), real
// `tributary worker` processes taking steps from graphile-worker's queue, kill -9 and SIGSTOP.
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { fleetVersion, stepQueueOf } from '../src/execution/queue/step-queue-of.js'
import { Tributary } from '../src/instance/tributary.js'
import type { ApiWorkers } from '../src/server/api-types.js'
import { createApp } from '../src/server/app.js'
import { cli } from './helpers/cli.js'
import { layeredSource, startWorker, writeFleetProject } from './helpers/fleet.js'
import { poll } from './helpers/poll.js'
import { createDatabase, query } from './helpers/postgres-database.js'
import { tempDir } from './helpers/temp-project.js'

const SETTINGS = { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 200 }

// Table assets in three layers of four; each sleeps a little (a kill lands mid-step) and writes
// three rows saying which worker process published them (the worker is its code's parent).
const TABLES = `const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const assets: AnyNode[] = []
let previous: AnyNode[] = []
for (let layer = 0; layer < 3; layer++) {
  const current = [0, 1, 2, 3].map((i) => defineAsset({
    key: \`t\${layer}/a\${i}\`,
    ins: Object.fromEntries(previous.filter((_, j) => j === i || j === (i + 1) % 4).map((up, j) => [\`in_\${j}\`, up])),
    async materialize() {
      await sleep(150)
      return [1, 2, 3].map((id) => ({ id, worker: process.ppid }))
    },
  }))
  assets.push(...current)
  previous = current
}`

describe('a fleet of tributary worker processes on PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined)
  })

  async function setUp(prefix: string, assets: string) {
    const database = await createDatabase()
    cleanups.push(database.drop)
    const temp = await tempDir(prefix)
    cleanups.unshift(temp.cleanup)
    await writeFleetProject(temp.dir, assets)
    process.env.TRIBUTARY_DATABASE_URL = database.url
    const instance = await Tributary.open({ projectDir: temp.dir, settings: SETTINGS })
    cleanups.unshift(() => instance.close())
    return { url: database.url, dir: temp.dir, instance }
  }

  test('3 workers run the 1,000-asset layered graph: every step once, spread over the workers, each enqueued with its waiting record', async () => {
    const { url, dir, instance } = await setUp('fleet-layered-', layeredSource(10, 100))
    const workers = await Promise.all([0, 1, 2].map(() => startWorker(dir, url)))
    const result = await instance.materialize()
    assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
    assert.equal(result.counts.succeeded, 1000)
    const [counts] = await query<{ n: string; assets: string }>(url, 'select count(*) as n, count(distinct asset_key) as assets from materializations where run_id = $1', [result.runId])
    assert.deepEqual(counts, { n: '1000', assets: '1000' }, 'exactly one materialization per asset')
    const by = await query<{ worker_id: string; n: string }>(url, 'select worker_id, count(*) as n from step_claims where run_id = $1 group by worker_id', [result.runId])
    assert.deepEqual(new Set(by.map((row) => row.worker_id)), new Set(workers.map((w) => w.id)), 'every worker took steps')
    // Every step went through the queue: its waiting record ("queued for a worker") came before its running one.
    const events = await query<{ n: string }>(url, `select count(*) as n from events where run_id = $1 and type = 'step_waiting' and payload like '%queued for a worker%'`, [result.runId])
    assert.equal(events[0]!.n, '1000')
    // The list the UI shows: host, pid, version, current steps, last heartbeat.
    // A worker says it is idle with the beat it sends when its last step ends, just after the run's end.
    const app = createApp({ instance: () => instance, uiDir: '/nonexistent' })
    const listed = await poll('every worker listed idle', async () => {
      const workersNow = (await (await app.request('/api/workers')).json()) as ApiWorkers
      return workersNow.workers.every((w) => w.currentSteps.length === 0) ? workersNow : undefined
    }, 10_000)
    assert.equal(listed.queue, true)
    assert.deepEqual(new Set(listed.workers.map((w) => w.id)), new Set(workers.map((w) => w.id)))
    assert.deepEqual(new Set(listed.workers.map((w) => w.pid)), new Set(workers.map((w) => w.child.pid)))
    for (const worker of listed.workers) {
      assert.equal(worker.state, 'running')
      assert.match(worker.version, /^\d+\.\d+\.\d+\+[0-9a-f]{12}$/)
      assert.ok(Date.now() - Date.parse(worker.heartbeatAt) < 60_000)
      assert.deepEqual(worker.currentSteps, [], 'idle once the run is over')
    }
    const listedByCli = cli(['workers', '--json', '--project', dir], { env: { TRIBUTARY_DATABASE_URL: url } })
    assert.equal(listedByCli.code, 0, listedByCli.stderr)
    assert.deepEqual(new Set((JSON.parse(listedByCli.stdout) as { id: string }[]).map((w) => w.id)), new Set(workers.map((w) => w.id)))
    for (const worker of workers) worker.child.kill('SIGTERM')
    await Promise.all(workers.map((w) => w.exited))
    assert.ok((await instance.workers()).every((w) => w.state === 'stopped'), 'workers that stop say so')
  })

  test('a chain on 2 workers: each step after the first is handed off by the worker finishing its upstream, runs once, and the run adds up; a cancel mid-chain hands off nothing more', async () => {
    const chain = `const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const assets: AnyNode[] = []
for (let i = 0; i < 36; i++) {
  assets.push(defineAsset({ key: \`c/s\${String(i).padStart(2, '0')}\`, io: 'none', ins: i === 0 ? {} : { up: assets[i - 1]! }, async materialize() { await sleep(30) } }))
}`
    const { url, dir, instance } = await setUp('fleet-chain-', chain)
    await Promise.all([0, 1].map(() => startWorker(dir, url)))
    const steps: string[] = []
    const result = await instance.materialize(undefined, { force: true, onProgress: (event) => void (event.type === 'step' && event.status === 'running' && steps.push(event.key)) })
    assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
    assert.deepEqual(result.counts, { queued: 0, waiting: 0, running: 0, succeeded: 36, failed: 0, blocked: 0, skipped: 0, canceled: 0 })
    assert.deepEqual(steps, [...steps].sort(), 'each step reported running once, in chain order')
    assert.equal(steps.length, 36)
    const waits = await query<{ asset_key: string; payload: string }>(url, `select asset_key, payload from events where run_id = $1 and type = 'step_waiting' order by id`, [result.runId])
    const handed = waits.filter((w) => w.payload.includes('handed over')).map((w) => w.asset_key)
    // Offers go 32 steps deep: the control plane enqueues c/s00 and c/s33, the workers the 34 others.
    assert.deepEqual(waits.filter((w) => !handed.includes(w.asset_key)).map((w) => w.asset_key), ['c/s00', 'c/s33'])
    assert.equal(handed.length, 34)
    // Each handed-off step ran on the worker of its upstream, kept in its slot: its claim names no job taken from the queue.
    const claims = await query<{ asset_key: string; worker_id: string; job_id: string | null }>(url, 'select asset_key, worker_id, job_id from step_claims where run_id = $1 order by asset_key', [result.runId])
    const kept = claims.filter((claim, i) => i > 0 && claim.job_id === null && claim.worker_id === claims[i - 1]!.worker_id).map((claim) => claim.asset_key)
    assert.deepEqual(kept, handed)
    const [once] = await query<{ n: string; assets: string }>(url, 'select count(*) as n, count(distinct asset_key) as assets from materializations where run_id = $1', [result.runId])
    assert.deepEqual(once, { n: '36', assets: '36' })
    assert.deepEqual(await query(url, `select holder from leases where holder = $1`, [result.runId]), [], 'no lease left behind')
    // Each step recorded the version its upstream published in the run, though none read it back
    // from the store (kept steps know it from their completion, c/s33 from its job).
    const versions = await query<{ asset_key: string; input_versions: string; data_version: string }>(url, 'select asset_key, input_versions, data_version from materializations where run_id = $1 order by asset_key', [result.runId])
    for (let i = 1; i < versions.length; i++) assert.deepEqual(JSON.parse(versions[i]!.input_versions), { [versions[i - 1]!.asset_key]: versions[i - 1]!.data_version }, versions[i]!.asset_key)

    // A cancel once c/s02 started: a step handed off by a completion that committed before the
    // cancel was stored may still start after it (one at most); nothing more does, every step ends
    // succeeded or canceled, and the run ends canceled before the chain's end.
    const started = instance.start(undefined, { force: true })
    await poll('c/s02 started', async () => (await query(url, `select 1 from steps where run_id = $1 and asset_key = 'c/s02' and status not in ('queued', 'waiting')`, [started.runId]))[0], 30_000, 5)
    await instance.cancel(started.runId)
    const canceled = await started.done
    assert.equal(canceled.status, 'canceled')
    assert.equal(canceled.counts.succeeded + canceled.counts.canceled, 36, JSON.stringify(canceled.counts))
    assert.ok(canceled.counts.canceled > 0, JSON.stringify(canceled.counts))
    const after = await query<{ asset_key: string; status: string }>(url, `select asset_key, status from steps where run_id = $1 and status not in ('succeeded', 'canceled')`, [started.runId])
    assert.deepEqual(after, [], 'every step ended succeeded or canceled')
    const [request] = await query<{ id: string }>(url, `select id from events where run_id = $1 and type = 'run_requested' order by id limit 1`, [started.runId])
    assert.ok(request, 'the cancel is in the event log')
    const late = await query<{ asset_key: string }>(url, `select distinct asset_key from events where run_id = $1 and type = 'step_running' and id > $2`, [started.runId, request.id])
    assert.ok(late.length <= 1, `started after the cancel: ${JSON.stringify(late)}`)
  })

  test('kill -9 of a random worker mid-step, 10 runs in a row: every run completes, each asset published once with whole data, the killed step re-run elsewhere', async () => {
    const { url, dir, instance } = await setUp('fleet-kill-', TABLES)
    // Two steps at once per worker: fewer code processes to start on a small machine.
    const start = () => startWorker(dir, url, ['--concurrency', '2'])
    let workers = await Promise.all([0, 1, 2].map(start))
    for (let round = 0; round < 10; round++) {
      const started = instance.start(undefined, { force: true })
      // A step some worker holds right now, its code running.
      const claim = await poll('a step claimed by a worker', async () => {
        const [row] = await query<{ asset_key: string; worker_id: string }>(url, `select asset_key, worker_id from step_claims where run_id = $1 and outcome is null and worker_id is not null order by random() limit 1`, [started.runId])
        return row
      }, 60_000, 10)
      const victim = workers.find((w) => w.id === claim.worker_id)!
      victim.child.kill('SIGKILL')
      await victim.exited
      // The replacement loads the project while the two others finish the run.
      const replacement = start()
      const result = await started.done
      workers = [...workers.filter((w) => w !== victim), await replacement]
      assert.equal(result.status, 'succeeded', `round ${round}: ${JSON.stringify(result.counts)}`)
      const [rerun] = await query<{ worker_id: string }>(url, 'select worker_id from step_claims where run_id = $1 and asset_key = $2', [started.runId, claim.asset_key])
      assert.notEqual(rerun!.worker_id, victim.id, `round ${round}: ${claim.asset_key} was re-run by another worker`)
      const published = await query<{ asset_key: string; n: string }>(url, 'select asset_key, count(*) as n from materializations where run_id = $1 group by asset_key', [started.runId])
      assert.equal(published.length, 12)
      assert.ok(published.every((row) => row.n === '1'), `round ${round}: one materialization per asset`)
      for (const key of ['t0/a0', 't1/a2', 't2/a3', claim.asset_key]) {
        const [schema, table] = key.split('/')
        const rows = await query<{ id: number }>(url, `select id::int as id from "${schema}"."${table}" order by id`)
        assert.deepEqual(rows.map((r) => r.id), [1, 2, 3], `round ${round}: ${key} holds one whole copy`)
      }
    }
    const lost = (await instance.workers()).filter((w) => w.state === 'lost')
    assert.equal(lost.length, 10, 'each killed worker is listed as lost')
  })

  test("a zombie's late publish is refused: a stalled worker's step goes to another worker; when the first resumes, its result is not published nor recorded", async () => {
    const gate = `const gate = ${JSON.stringify('GATE')}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const assets: AnyNode[] = [defineAsset({ key: 'z/slow', async materialize() {
  const { existsSync } = await import('node:fs')
  while (!existsSync(gate)) await sleep(20)
  return [{ id: 1, worker: process.ppid }]
} })]`
    const temp = await tempDir('fleet-gate-')
    cleanups.unshift(temp.cleanup)
    const gateFile = join(temp.dir, 'go')
    const { url, dir, instance } = await setUp('fleet-zombie-', gate.replace('GATE', gateFile))
    const first = await startWorker(dir, url)
    const started = instance.start()
    await poll('the step to be claimed', async () => (await query(url, `select 1 from step_claims where run_id = $1 and worker_id = $2`, [started.runId, first.id]))[0], 60_000, 10)
    // Its heartbeat says what it is doing.
    await poll('the worker to report its step', async () => ((await instance.workers()).find((w) => w.id === first.id)?.currentSteps.some((s) => s.assetKey === 'z/slow' && s.runId === started.runId) ? true : undefined), 30_000, 50)
    // Stalled (not dead): it stops heartbeating; its code's process keeps waiting for the gate.
    first.child.kill('SIGSTOP')
    const second = await startWorker(dir, url)
    await poll('another worker to take the step', async () => (await query(url, `select 1 from step_claims where run_id = $1 and worker_id = $2`, [started.runId, second.id]))[0], 60_000, 20)
    await writeFile(gateFile, '')
    const result = await started.done
    assert.equal(result.status, 'succeeded')
    first.child.kill('SIGCONT')
    const logs = await poll('the zombie to report its refused result', async () => {
      const lines = (await instance.store.listLogs(started.runId, 'z/slow')).filter((l) => l.message.includes('TRB7003'))
      return lines.length > 0 ? lines : undefined
    }, 60_000, 50)
    assert.match(logs[0]!.message, new RegExp(`worker ${first.id}: TRB7003`))
    assert.deepEqual(await query(url, 'select id::int as id, worker::int as worker from z.slow'), [{ id: 1, worker: second.child.pid }], 'the table holds the newer attempt')
    const materializations = await query(url, `select 1 from materializations where run_id = $1`, [started.runId])
    assert.equal(materializations.length, 1)
    first.child.kill('SIGKILL')
    second.child.kill('SIGKILL')
  })

  test("a step kept by its upstream's worker, killed mid-step, is enqueued for another worker once its lease lapses: the run completes, each asset published once", async () => {
    const chain = `const gate = ${JSON.stringify('GATE')}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const a = defineAsset({ key: 'k/a', async materialize() { return [{ id: 1, worker: process.ppid }] } })
const b = defineAsset({ key: 'k/b', ins: { a }, async materialize() {
  const { existsSync } = await import('node:fs')
  while (!existsSync(gate)) await sleep(20)
  return [{ id: 1, worker: process.ppid }]
} })
const c = defineAsset({ key: 'k/c', ins: { b }, async materialize() { return [{ id: 1, worker: process.ppid }] } })
const assets: AnyNode[] = [a, b, c]`
    const temp = await tempDir('fleet-kept-gate-')
    cleanups.unshift(temp.cleanup)
    const gateFile = join(temp.dir, 'go')
    const { url, dir, instance } = await setUp('fleet-kept-', chain.replace('GATE', gateFile))
    const first = await startWorker(dir, url)
    const started = instance.start(undefined, { force: true })
    // k/b kept by the worker of k/a: claimed by it with k/a's completion (no job of its own taken: no
    // job id), and no job in the queue while that worker lives.
    const kept = await poll('k/b kept by the first worker', async () => (await query<{ job_id: string | null }>(url,
      `select job_id from step_claims where run_id = $1 and asset_key = 'k/b' and worker_id = $2 and outcome is null`, [started.runId, first.id]))[0], 60_000, 10)
    assert.equal(kept.job_id, null)
    assert.deepEqual(await query(url, `select 1 from graphile_worker._private_jobs where key = $1`, [JSON.stringify([started.runId, 'k/b', ''])]), [])
    const second = await startWorker(dir, url)
    first.child.kill('SIGKILL')
    await first.exited
    await writeFile(gateFile, '')
    const result = await started.done
    assert.equal(result.status, 'succeeded', JSON.stringify(result.counts))
    const claims = await query<{ asset_key: string; worker_id: string }>(url, 'select asset_key, worker_id from step_claims where run_id = $1 order by asset_key', [started.runId])
    assert.deepEqual(claims.map((c) => [c.asset_key, c.worker_id]), [['k/a', first.id], ['k/b', second.id], ['k/c', second.id]], 'k/b re-run by the other worker, which kept k/c')
    const published = await query<{ asset_key: string; n: string }>(url, 'select asset_key, count(*) as n from materializations where run_id = $1 group by asset_key order by asset_key', [started.runId])
    assert.deepEqual(published.map((p) => [p.asset_key, p.n]), [['k/a', '1'], ['k/b', '1'], ['k/c', '1']])
    assert.deepEqual(await query(url, 'select id::int as id, worker::int as worker from k.b'), [{ id: 1, worker: second.child.pid }])
    // No job is left behind: the one enqueued for k/b was completed by the worker that ran it.
    await poll('no job left', async () => ((await query(url, `select 1 from graphile_worker._private_jobs`)).length === 0 ? true : undefined), 30_000, 50)
    second.child.kill('SIGKILL')
  })

  test("a cancel ends a step kept by a worker that died at once: the run ends canceled, the step's job is gone, and nothing of it is published", async () => {
    const chain = `const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const a = defineAsset({ key: 'q/a', io: 'none', async materialize() {} })
const b = defineAsset({ key: 'q/b', io: 'none', ins: { a }, async materialize() { await sleep(600_000) } })
const assets: AnyNode[] = [a, b]`
    const { url, dir, instance } = await setUp('fleet-kept-cancel-', chain)
    const worker = await startWorker(dir, url)
    const started = instance.start(undefined, { force: true })
    await poll('q/b kept by the worker', async () => (await query(url, `select 1 from step_claims where run_id = $1 and asset_key = 'q/b' and worker_id = $2 and outcome is null`, [started.runId, worker.id]))[0], 60_000, 10)
    worker.child.kill('SIGKILL')
    await worker.exited
    await instance.cancel(started.runId)
    const result = await started.done
    assert.equal(result.status, 'canceled')
    assert.deepEqual(result.counts, { queued: 0, waiting: 0, running: 0, succeeded: 1, failed: 0, blocked: 0, skipped: 0, canceled: 1 })
    const [claim] = await query<{ outcome: string }>(url, `select outcome from step_claims where run_id = $1 and asset_key = 'q/b'`, [started.runId])
    assert.equal((JSON.parse(claim!.outcome) as { status: string }).status, 'canceled')
    assert.deepEqual(await query(url, `select 1 from graphile_worker._private_jobs where key = $1`, [JSON.stringify([started.runId, 'q/b', ''])]), [])
    assert.deepEqual(await query(url, `select 1 from materializations where run_id = $1 and asset_key = 'q/b'`, [started.runId]), [])
  })

  test("once another worker claimed a stalled worker's step, the stalled one's publish is refused with TRB7003 even before the newer attempt publishes: the table keeps its old contents", async () => {
    // Each worker's code waits for a gate of its own (go-<worker pid>), or for go-all.
    const gated = `const dir = ${JSON.stringify('DIR')}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const assets: AnyNode[] = [defineAsset({ key: 'z/gated', async materialize() {
  const { existsSync } = await import('node:fs')
  while (!existsSync(dir + '/go-' + process.ppid) && !existsSync(dir + '/go-all')) await sleep(20)
  return [{ id: 1, worker: process.ppid, stamp: Math.random() }]
} })]`
    const gates = await tempDir('fleet-gates-')
    cleanups.unshift(gates.cleanup)
    const { url, dir, instance } = await setUp('fleet-zombie-early-', gated.replace('DIR', gates.dir))
    const first = await startWorker(dir, url)
    // The old contents: a first run, every gate open.
    await writeFile(join(gates.dir, 'go-all'), '')
    assert.equal((await instance.materialize()).status, 'succeeded')
    const old = await query(url, 'select id::int as id, worker::int as worker, stamp from z.gated')
    await rm(join(gates.dir, 'go-all'))
    const started = instance.start(undefined, { force: true })
    const claimOf = async (worker: string) => (await query<{ fence: string }>(url, `select fence from step_claims where run_id = $1 and worker_id = $2`, [started.runId, worker]))[0]
    const firstClaim = await poll('the first worker to claim the step', () => claimOf(first.id), 60_000, 10)
    first.child.kill('SIGSTOP')
    const second = await startWorker(dir, url)
    const secondClaim = await poll('the second worker to claim the step', () => claimOf(second.id), 60_000, 20)
    assert.ok(Number(secondClaim.fence) > Number(firstClaim.fence))
    // The second attempt has not published (its gate is shut) when the first resumes and tries to.
    first.child.kill('SIGCONT')
    await writeFile(join(gates.dir, `go-${first.child.pid}`), '')
    const logs = await poll('the stalled worker to report its refused publish', async () => {
      const lines = (await instance.store.listLogs(started.runId, 'z/gated')).filter((l) => l.message.includes('TRB7003'))
      return lines.length > 0 ? lines : undefined
    }, 60_000, 50)
    assert.match(logs[0]!.message, new RegExp(`worker ${first.id}: TRB7003: the publish of z/gated in run ${started.runId} with fence ${firstClaim.fence} was refused: an attempt with fence ${secondClaim.fence} took over`))
    assert.deepEqual(await query(url, 'select id::int as id, worker::int as worker, stamp from z.gated'), old, 'the table keeps its old contents')
    assert.equal((await query(url, `select 1 from materializations where run_id = $1`, [started.runId])).length, 0)
    await writeFile(join(gates.dir, `go-${second.child.pid}`), '')
    assert.equal((await started.done).status, 'succeeded')
    assert.deepEqual(await query(url, 'select id::int as id, worker::int as worker from z.gated'), [{ id: 1, worker: second.child.pid }], 'the newer attempt published')
    first.child.kill('SIGKILL')
    second.child.kill('SIGKILL')
  })

  test('a worker with other code refuses the step with TRB7002, naming both versions; nothing is published', async () => {
    const assets = "const assets: AnyNode[] = [defineAsset({ key: 'v/asset', io: 'none', materialize: () => 'one' })]"
    const { url, dir, instance } = await setUp('fleet-version-', assets)
    const other = await tempDir('fleet-other-')
    cleanups.unshift(other.cleanup)
    await writeFleetProject(other.dir, assets.replace("'one'", "'two'"))
    const worker = await startWorker(other.dir, url)
    const result = await instance.materialize()
    assert.equal(result.status, 'failed')
    const [step] = (await instance.run(result.runId)).steps
    assert.equal(step!.error?.code, 'TRB7002')
    assert.match(step!.error!.message, new RegExp(`worker ${worker.id} .*refused v/asset: it has code version \\w+ of the asset, the run was planned with ${instance.graph.get('v/asset').codeVersion}`))
    assert.equal(step!.attempt, 1, 'not retried')
    assert.equal((await query(url, 'select 1 from materializations')).length, 0)
    // `tributary workers` of the project says which running worker has other code, and what to do.
    const listed = cli(['workers', '--project', dir], { env: { TRIBUTARY_DATABASE_URL: url } })
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^1 running worker runs another version than this project \\(${fleetVersion(instance.graph).replace('+', '\\+')}\\): a step is refused there \\(TRB7002, not retried\\) when its asset's code version differs from the one the run was planned with; steps of the other assets run, and the Tributary version is not compared`, 'm'))
    worker.child.kill('SIGKILL')
  })

  test('a worker refuses a job in a format it does not read (a control plane of another Tributary version) with TRB7002, saying so', async () => {
    const assets = "const assets: AnyNode[] = [defineAsset({ key: 'f/asset', io: 'none', materialize: () => 'one' })]"
    const { url, instance } = await setUp('fleet-format-', assets)
    const worker = await startWorker(instance.projectDir, url)
    await instance.store.createRun({ id: 'old-cp', selection: '', trigger: 'test', pid: 1, host: 'h', startedAt: new Date(), steps: [{ assetKey: 'f/asset', partition: null }] })
    // As a control plane from before job formats were numbered wrote it: no format, its inputs inline.
    await stepQueueOf(instance.store).enqueueStep(
      { runId: 'old-cp', assetKey: 'f/asset', partition: null, status: 'waiting', attempt: 1, at: new Date(), reason: 'queued for a worker' },
      { runId: 'old-cp', assetKey: 'f/asset', partition: null, attempt: 1, codeVersion: instance.graph.get('f/asset').codeVersion, pool: null, inputs: { values: {}, versions: {} } },
    )
    // The attempt's end, as the control plane would read it (no control plane runs this run).
    const end = await poll('the refused attempt', async () => (await stepQueueOf(instance.store).attemptEnds('old-cp', 0)).ends[0])
    assert.equal(end.status, 'failed')
    assert.equal(end.retryable, false)
    assert.equal(end.error?.code, 'TRB7002')
    assert.match(end.error!.message, new RegExp(`worker ${worker.id} .*refused f/asset: the job is in format 1, this worker reads format 3`))
    assert.match(String(end.error!.hint), /same Tributary version/)
    assert.equal((await query(url, 'select 1 from materializations')).length, 0)
    worker.child.kill('SIGKILL')
  })

  test("a claim whose warehouse fence row a stalled publish holds waits 2 s, not for good: the attempt runs, its log says the early refusal is off, and its publish follows the lock", async () => {
    const assets = "const assets: AnyNode[] = [defineAsset({ key: 'z/locked', materialize: () => [{ id: 1, stamp: Math.random() }] })]"
    const { url, dir, instance } = await setUp('fleet-fence-lock-', assets)
    const worker = await startWorker(dir, url)
    assert.equal((await instance.materialize()).status, 'succeeded')
    // A stalled worker's publish: its open transaction holds the asset's fence row.
    const stalled = new pg.Client({ connectionString: url })
    await stalled.connect()
    cleanups.unshift(() => stalled.end())
    await stalled.query('begin')
    await stalled.query("select fence from _tributary.fences where asset_key = 'z/locked' for update")
    const started = instance.start(undefined, { force: true })
    const logs = await poll('the step to say its early refusal is off', async () => {
      const lines = (await instance.store.listLogs(started.runId, 'z/locked')).filter((l) => l.message.includes('not refused early'))
      return lines.length > 0 ? lines : undefined
    }, 60_000, 50)
    assert.match(logs[0]!.message, new RegExp(`^worker ${worker.id}: older attempts of z/locked are not refused early for attempt 1 \\(fence \\d+\\): a publish of it under way held its fence in the warehouse for longer than 2000 ms; its publish still checks the fence`))
    assert.equal(logs[0]!.level, 'warn')
    // The attempt ran on: its publish now waits for the same lock, the step the worker's current one.
    await poll('the worker to report the step', async () => ((await instance.workers()).find((w) => w.id === worker.id)?.currentSteps.some((s) => s.assetKey === 'z/locked' && s.runId === started.runId) ? true : undefined), 30_000, 50)
    await stalled.query('rollback')
    assert.equal((await started.done).status, 'succeeded')
    assert.equal((await query(url, 'select 1 from materializations where run_id = $1', [started.runId])).length, 1)
    worker.child.kill('SIGKILL')
  })
})
