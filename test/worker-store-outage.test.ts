// A `tributary worker` whose store goes out of reach: it rides out an outage, saying so once and
// again when its heartbeat is written, and stops (exit 3, TRB4020) once the store has stayed out
// of reach for longer than queue({ giveUp }). Real PostgreSQL and real worker processes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { Tributary } from '../src/instance/tributary.js'
import { createDatabase, POSTGRES_SERVER, query } from './helpers/postgres-database.js'
import { startWorker, writeFleetProject } from './helpers/fleet.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

const ASSETS = `const assets: AnyNode[] = [defineAsset({ key: 'a', io: 'none', materialize: () => undefined })]`

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0

// graphile-worker's lines said more than once (numbers aside, as its logger compares them): none
// within 30 s, however often its polls fail the same way.
const repeated = (stderr: string) => {
  const lines = stderr.split('\n').filter((line) => line.startsWith('graphile-worker: ')).map((line) => line.replace(/\d+/g, '#'))
  return lines.filter((line, i) => lines.indexOf(line) !== i)
}

// Waits for the worker to say `pattern`; a wait that times out shows what it said instead.
const saidBy = (worker: { output: { stderr: string } }, pattern: RegExp) =>
  poll(`the worker to say ${pattern}`, async () => (pattern.test(worker.output.stderr) ? true : undefined)).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; it said:\n${worker.output.stderr}`)
  })

// Closes the database to every new connection and ends the open ones: the store is out of reach.
async function cutOff(name: string): Promise<void> {
  await query(`${POSTGRES_SERVER}/postgres`, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
  await query(`${POSTGRES_SERVER}/postgres`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name])
}

// A step that marks each start (its attempt and a count) and then holds until the test writes `go`.
const held = (dir: string) => `const dir = ${JSON.stringify(dir)}
const assets: AnyNode[] = [defineAsset({ key: 'held', io: 'none', async materialize(_inputs, ctx) {
  const { existsSync, readdirSync, writeFileSync } = await import('node:fs')
  writeFileSync(dir + '/started-' + readdirSync(dir).filter((f) => f.startsWith('started-')).length, String(ctx.attempt))
  while (!existsSync(dir + '/go')) await new Promise((resolve) => setTimeout(resolve, 20))
} })]`

describe('a worker whose store goes out of reach', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  })

  // A fleet project in a database of its own, both removed after the tests.
  async function project(source: string | ((dir: string) => string), giveUp?: string) {
    const database = await createDatabase()
    const { dir, cleanup } = await tempDir('outage-')
    cleanups.push(database.drop, cleanup)
    await writeFleetProject(dir, typeof source === 'string' ? source : source(dir), giveUp ? { giveUp } : {})
    return { database, dir }
  }

  // The project's control plane, in this process.
  async function controlPlane(dir: string, url: string) {
    process.env.TRIBUTARY_DATABASE_URL = url
    const instance = await Tributary.open({ projectDir: dir, settings: { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 200 } })
    cleanups.push(() => instance.close())
    return instance
  }

  // A worker logging in as a role of its own (so the test can shut it out alone: the control plane,
  // this process, stays connected), running `held`, shut out mid-step and, once it knows, let
  // finish the step: its end cannot be recorded. `letIn` lets the role log in again.
  async function shutOutMidStep(giveUp: string) {
    const role = `trb_test_worker_${randomBytes(4).toString('hex')}`
    await query(`${POSTGRES_SERVER}/postgres`, `CREATE ROLE ${role} LOGIN SUPERUSER`)
    // Dropped after its database (cleanups run the last added first).
    cleanups.push(async () => {
      await query(`${POSTGRES_SERVER}/postgres`, `DROP ROLE IF EXISTS ${role}`)
    })
    const { database, dir } = await project(held, giveUp)
    const instance = await controlPlane(dir, database.url)
    const worker = await startWorker(dir, database.url.replace('//postgres@', `//${role}@`))
    const said = (pattern: RegExp) => saidBy(worker, pattern)
    const starts = async () => (await readdir(dir)).filter((f) => f.startsWith('started-')).length
    const run = instance.start()
    await poll('the step to start', async () => ((await starts()) === 1 ? true : undefined))
    // No session of its role left, none to be opened.
    await query(`${POSTGRES_SERVER}/postgres`, `ALTER ROLE ${role} NOLOGIN`)
    await poll('every session of the worker\'s role to end', async () => {
      const [row] = await query<{ n: number }>(`${POSTGRES_SERVER}/postgres`, `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1`, [role])
      return row!.n === 0 ? true : undefined
    })
    await said(/cannot reach the store: TRB4020/)
    await writeFile(join(dir, 'go'), '')
    await said(/held \(run \S+, attempt 1\) could not be recorded: TRB4020/)
    const letIn = () => query(`${POSTGRES_SERVER}/postgres`, `ALTER ROLE ${role} LOGIN`)
    return { database, instance, worker, said, starts, run, letIn }
  }

  test('rides out an outage shorter than queue({ giveUp }): says it once, says when its heartbeat is written again, and goes on beating', async () => {
    const { database, dir } = await project(ASSETS, '10m')
    const worker = await startWorker(dir, database.url)
    const said = (pattern: RegExp) => saidBy(worker, pattern)
    await cutOff(database.name)
    await said(/cannot reach the store: TRB4020: the PostgreSQL store \S+ cannot be reached: database "trb_test_\w+" is not currently accepting connections \(trying again every 250ms; the worker stops if it cannot for 10m 0s\)/)
    // Out of reach for a few beats more: not said again (it would be after 30 s). graphile-worker
    // met the closed database too (its fetch, or its notify listener reconnecting, whichever first).
    await said(/graphile-worker: (Error occurred fetching jobs|Error with notify listener).*not currently accepting connections/)
    await query(`${POSTGRES_SERVER}/postgres`, `ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`)
    await said(/the store is reachable again, after \d+(\.\d)?(ms|s)/)
    assert.equal(count(worker.output.stderr, /cannot reach the store: /), 1, worker.output.stderr)
    assert.equal(count(worker.output.stderr, /still cannot reach the store/), 0, worker.output.stderr)
    // Every poll failed while the database was closed; each of graphile-worker's errors is said once.
    assert.deepEqual(repeated(worker.output.stderr), [], worker.output.stderr)
    assert.equal(worker.child.exitCode, null)
    const beat = async () => Number((await query<{ at: string }>(database.url, `SELECT heartbeat_at AS at FROM workers WHERE id = $1`, [worker.id]))[0]!.at)
    const first = await beat()
    await poll('a later heartbeat', async () => ((await beat()) > first ? true : undefined))
    worker.child.kill('SIGTERM')
    assert.deepEqual(await worker.exited, [0, null])
  })

  test('a step whose end cannot be recorded (the store gone under it) keeps its job until the store is back; it then runs again and the run succeeds, the worker still up', async () => {
    const { database, instance, worker, said, starts, run, letIn } = await shutOutMidStep('10m')
    // The job is neither completed nor failed meanwhile: it is still in the queue, locked by this worker.
    const jobs = await query<{ locked_by: string | null }>(database.url, 'SELECT locked_by FROM graphile_worker._private_jobs')
    assert.equal(jobs.length, 1)
    assert.notEqual(jobs[0]!.locked_by, null)
    await letIn()
    await said(/the store is reachable again, after/)
    // The failed job runs again (graphile-worker's retry, a few seconds later): the step runs whole again.
    const result = await run.done
    const steps = JSON.stringify(await instance.store.listSteps(run.runId))
    assert.equal(result.status, 'succeeded', `${steps}\n${worker.output.stderr}`)
    assert.equal(await starts(), 2, steps)
    assert.equal(worker.child.exitCode, null, `exit ${worker.child.exitCode}: ${worker.output.stderr}`)
    assert.doesNotMatch(worker.output.stderr, /Could not (complete|fail)Jobs|committing seppuku/)
    worker.child.kill('SIGTERM')
    assert.deepEqual(await worker.exited, [0, null])
  })

  test('a stop asked while a finished step waits for the store ends once the worker gives up on it (exit 3, TRB4020), not never; giving up stops it a second time, harmlessly', async () => {
    const { worker, said } = await shutOutMidStep('10s')
    // The stop waits for the step's job, which waits for the store: until the worker gives up on it.
    worker.child.kill('SIGTERM')
    await said(/stopping: finishing running steps/)
    const [code] = await worker.exited
    const { stderr } = worker.output
    assert.equal(code, 3, stderr)
    assert.match(stderr, /giving up: TRB4020: worker \S+ could not reach the store for \d+(\.\d)?s \(queue\(\{ giveUp \}\) is 10\.0s\), so it stops/)
    assert.equal(count(stderr, /giving up: /), 1, stderr)
    assert.doesNotMatch(stderr, /unhandled|Could not (complete|fail)Jobs|committing seppuku/i)
    // graphile-worker's report of the job it could not fail is a line, not a stack trace.
    assert.doesNotMatch(stderr, /^\s+at /m, stderr)
  })

  test('a store that answers but refuses the heartbeat (read-only, as after a failover) is said as such, and when it takes it again', async () => {
    const { database, dir } = await project(ASSETS, '10m')
    const worker = await startWorker(dir, database.url)
    const said = (pattern: RegExp) => saidBy(worker, pattern)
    // The server's refusal, as a read-only server words it, raised by a trigger on the worker's own row.
    await query(database.url, `CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'cannot execute UPDATE in a read-only transaction' USING ERRCODE = '25006'; END $$`)
    await query(database.url, `CREATE TRIGGER read_only BEFORE INSERT OR UPDATE ON workers FOR EACH ROW EXECUTE FUNCTION read_only()`)
    await said(/cannot write its heartbeat to the store: cannot execute UPDATE in a read-only transaction \(trying again every 250ms; the worker stops if it cannot for 10m 0s\)/)
    await query(database.url, 'DROP TRIGGER read_only ON workers')
    await said(/the store is reachable again, after/)
    assert.doesNotMatch(worker.output.stderr, /cannot reach the store/)
    worker.child.kill('SIGTERM')
    assert.deepEqual(await worker.exited, [0, null])
  })

  test('stops once the store has stayed out of reach past queue({ giveUp }): exit 3, TRB4020 saying why and what to do', async () => {
    const { database, dir } = await project(ASSETS, '2s')
    const worker = await startWorker(dir, database.url)
    // Gone for good: dropped under it.
    await database.drop()
    const [code] = await worker.exited
    const { stderr } = worker.output
    assert.equal(code, 3, stderr)
    // Why: the last failure, or (a beat still waiting on a connection to the database being dropped) that no beat returned.
    assert.match(stderr, /TRB4020 worker \S+ could not reach the store for \d+(\.\d)?s \(queue\(\{ giveUp \}\) is 2\.0s\), so it stops: (the PostgreSQL store \S+ cannot be reached: database "trb_test_\w+" does not exist|its last heartbeat never returned)/)
    assert.match(stderr, /hint: Check that PostgreSQL runs and that the URL names the database, then start the worker again/)
    assert.ok(count(stderr, /cannot reach the store: /) <= 1, stderr)
    assert.deepEqual(repeated(stderr), [], stderr)
  })

  test('a heartbeat that never returns (its connection gone silent, here a lock it waits on) counts against queue({ giveUp }) too: exit 3, TRB4020', async () => {
    const { database, dir } = await project(ASSETS, '2s')
    const worker = await startWorker(dir, database.url)
    const blocker = new pg.Client({ connectionString: database.url })
    await blocker.connect()
    try {
      await blocker.query('BEGIN')
      await blocker.query('LOCK TABLE workers IN ACCESS EXCLUSIVE MODE')
      await worker.exited
    } finally {
      await blocker.end()
    }
    const [code] = await worker.exited
    const { stderr } = worker.output
    assert.equal(code, 3, stderr)
    assert.match(stderr, /TRB4020 worker \S+ could not reach the store for \d+(\.\d)?s \(queue\(\{ giveUp \}\) is 2\.0s\), so it stops: its last heartbeat never returned/)
  })

  test('a worker whose job queue fails by itself (a finished job it cannot delete) exits 3 with TRB7005, not as a clean stop', async () => {
    const { database, dir } = await project(ASSETS)
    const instance = await controlPlane(dir, database.url)
    const worker = await startWorker(dir, database.url)
    // graphile-worker deletes a finished job; here the database refuses, so its runner ends on that failure.
    await query(database.url, `CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`)
    await query(database.url, `CREATE TRIGGER refuse_delete BEFORE DELETE ON graphile_worker._private_jobs FOR EACH ROW EXECUTE FUNCTION refuse_delete()`)
    const result = await instance.materialize()
    // The step's end was recorded before: the run succeeded.
    assert.equal(result.status, 'succeeded')
    const [code] = await worker.exited
    const { stderr } = worker.output
    assert.equal(code, 3, stderr)
    assert.match(stderr, /TRB7005 worker \S+ stopped: its job queue \(graphile-worker\) failed and ended: .*refused by the test/)
    assert.doesNotMatch(stderr, /worker stopped\n/)
  })
})
