// Entry point of a worker process: loads the project once (as loadProject does in the control
// plane), then runs the tasks the control plane sends over IPC, one at a time: materialize
// functions, custom checks, sensor polls. Started by WorkerProcess.
import { format } from 'node:util'
import { Worker } from 'node:worker_threads'
import type { AssetDefinition, SqlAssetDefinition } from '../model/asset.js'
import type { CheckDefinition } from '../model/check.js'
import { assetCodeVersion } from './code-version.js'
import { loadProject } from '../instance/load-project.js'
import type { CheckTask, MaterializeTask, PollSensor, SensorTask, StepHost, StepLogLevel, WarehouseCall } from './executor.js'
import type { Relation } from '../graph/asset-graph.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ProjectDefinition } from '../model/project.js'
import type { Warehouse, WarehouseSession } from '../warehouse/warehouse.js'
import type { PostgresWarehouseConfig } from '../warehouse/warehouse-config.js'
import { serveWarehouseCall } from './warehouse-call.js'
import { PROJECT_DIR_ENV, type FromWorker, type ToWorker } from './ipc-protocol.js'
import { runCheck, runMaterialize } from './run-materialize.js'
import { fromWire, toWire } from './wire-error.js'
import { workerStartError } from './worker-errors.js'

const send = (message: FromWorker) => {
  // The control plane is gone: nobody wants this work any more.
  if (!process.connected) process.exit(0)
  process.send!(message)
}

/** The task running now; console output and stray writes are its log. */
let current: { readonly id: number; readonly controller: AbortController; readonly pending: Map<number, { resolve(v: unknown): void; reject(e: unknown): void }> } | undefined
let nextCall = 0
// Partial lines written by the current task, per stream, until their newline arrives.
const partial = new Map<'stdout' | 'stderr', string>()

// The real streams: output outside of any step (loading the project) goes to the control plane's pipes.
const original = {
  stdout: process.stdout.write.bind(process.stdout) as (text: string) => boolean,
  stderr: process.stderr.write.bind(process.stderr) as (text: string) => boolean,
}

captureOutput()
process.on('disconnect', () => process.exit(0))

// The project's assets by key: a worker needs no graph, only the code it runs.
let assets: ReadonlyMap<string, AssetDefinition | SqlAssetDefinition>
let sensors: ReadonlyMap<string, PollSensor>
// The project's warehouse, for tasks that ask a worker to connect itself (PostgreSQL).
let warehouseConfig: ProjectDefinition['warehouse']
try {
  const { project } = await loadProject(process.env[PROJECT_DIR_ENV] ?? process.cwd())
  warehouseConfig = project.warehouse
  sensors = new Map((project.sensors ?? []).flatMap((sensor) => (sensor.kind === 'poll' ? [[sensor.name, sensor] as const] : [])))
  assets = new Map(project.assets.flatMap((def) => (def.type === 'asset' || def.type === 'sql' ? [[def.key, def as AssetDefinition | SqlAssetDefinition] as const] : [])))
} catch (error) {
  // Exit once the message is out, so the control plane learns why rather than only that it died.
  process.send!({ type: 'failed', error: toWire(error) } satisfies FromWorker, () => process.exit(1))
  await new Promise(() => {})
}
process.on('message', (message: ToWorker) => {
  if (message.type === 'run') void run(message.id, message.task)
  else if (message.type === 'abort') {
    if (current?.id === message.id) current.controller.abort(fromWire(message.reason))
  } else if (message.type === 'reply') {
    const waiting = current?.id === message.id ? current.pending.get(message.call) : undefined
    current?.pending.delete(message.call)
    if (message.ok) waiting?.resolve(message.value)
    else waiting?.reject(fromWire(message.error))
  }
})
send({ type: 'ready' })
// After 'ready', not before: its thread boots a whole Node environment, which would otherwise
// compete with loading the project for the CPU the first step is waiting on.
watchParent()

async function run(id: number, task: Extract<ToWorker, { type: 'run' }>['task']): Promise<void> {
  const controller = new AbortController()
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
  current = { id, controller, pending }
  // Tasks that may connect themselves: a step's code (writes go to its staging) and a custom check (reads only).
  const access = task.kind === 'sensor' ? undefined : task.warehouse
  const own = access?.type === 'connect' && warehouseConfig?.type === 'postgres' && task.kind !== 'sensor'
    ? ownSession(warehouseConfig, task.assetKey, access.staging) : undefined
  // The step's timeout or cancel stops its statement in the warehouse too.
  controller.signal.addEventListener('abort', () => void own?.interrupt(), { once: true })
  const host: StepHost = {
    warehouse: own ? own.call : (request) => new Promise((resolve, reject) => {
      const call = nextCall++
      pending.set(call, { resolve, reject })
      send({ type: 'call', id, call, request })
    }),
    log: (level, message) => send({ type: 'log', id, level, message, stream: 'log', at: new Date() }),
  }
  try {
    const value = task.kind === 'check' ? await runCheck(findCheck(task), task, host)
      : task.kind === 'sensor' ? await findSensor(task).poll(task.cursor)
        : await runMaterialize(findAsset(task), task, host, controller.signal)
    // Calls the code did not await land before the control plane reads the staging relation.
    await own?.close()
    flushLines(id)
    send({ type: 'done', id, ok: true, value })
  } catch (error) {
    await own?.close()
    flushLines(id)
    send({ type: 'done', id, ok: false, error: toWire(error) })
  } finally {
    if (current?.id === id) current = undefined
  }
}

// The worker's own connection to a PostgreSQL warehouse: one pool per worker (it runs one task at
// a time), opened on first use and named after the worker in pg_stat_activity.
let ownWarehouse: Promise<Warehouse> | undefined

/** A step's session on the worker's own connection, opened on its first call; refuses calls once closed. */
function ownSession(config: PostgresWarehouseConfig, assetKey: string, staging: Relation | null) {
  let session: Promise<WarehouseSession> | undefined
  let closed = false
  let interrupted = false
  return {
    async call(request: WarehouseCall): Promise<unknown> {
      if (closed) {
        throw new TributaryError(ErrorCode.InvalidOutput, `asset ${assetKey} used its context after its step ended`, { context: { assetKey }, hint: 'Await every ctx.warehouse / ctx.write* call before materialize returns.' })
      }
      ownWarehouse ??= import('../warehouse/postgres/postgres-warehouse.js').then(({ PostgresWarehouse }) => PostgresWarehouse.open(config, { applicationName: `tributary worker ${process.pid}`, poolSize: 2 }))
      // A failed open is tried again by the next step, not remembered.
      ownWarehouse.catch(() => (ownWarehouse = undefined))
      session ??= ownWarehouse.then(async (warehouse) => {
        const opened = await warehouse.session()
        if (interrupted) void opened.interrupt()
        return opened
      })
      return serveWarehouseCall(await session, request, staging)
    },
    /** Stops the session's statement (see WarehouseSession.interrupt); later calls are refused. */
    async interrupt(): Promise<void> {
      interrupted = true
      await session?.then((s) => s.interrupt(), () => undefined)
    },
    /** Waits for the session's queued work, then returns its connection. */
    async close(): Promise<void> {
      closed = true
      await session?.then((s) => s.close(), () => undefined)
    },
  }
}

// The definition a task names, as this worker loaded it; other code than the control plane planned with is refused.
// Each asset's code version, hashed once: its definition does not change while the process lives.
const codeVersions = new Map<string, string>()

function findAsset(task: MaterializeTask): AssetDefinition {
  const def = assets.get(task.assetKey)
  if (def?.type !== 'asset') throw workerStartError(`asset ${task.assetKey} is not a TypeScript asset in the project as this worker loaded it`)
  const codeVersion = codeVersions.get(task.assetKey) ?? assetCodeVersion(def)
  codeVersions.set(task.assetKey, codeVersion)
  if (codeVersion !== task.codeVersion) throw workerStartError(`the code of ${task.assetKey} changed since the control plane loaded the project`)
  return def
}

function findCheck(task: CheckTask): CheckDefinition {
  const check = assets.get(task.assetKey)?.checks?.find((c) => c.name === task.checkName)
  if (!check) throw workerStartError(`asset ${task.assetKey} has no check ${task.checkName} in the project as this worker loaded it`)
  return check
}

function findSensor(task: SensorTask): PollSensor {
  const sensor = sensors.get(task.sensorName)
  if (!sensor) throw workerStartError(`there is no polling sensor ${task.sensorName} in the project as this worker loaded it`)
  return sensor
}

function write(stream: 'stdout' | 'stderr', level: StepLogLevel, text: string): void {
  if (!current) return void original[stream](text)
  const lines = ((partial.get(stream) ?? '') + text).split('\n')
  partial.set(stream, lines.pop()!)
  for (const line of lines) send({ type: 'log', id: current.id, level, message: line, stream, at: new Date() })
}

function flushLines(id: number): void {
  for (const [stream, rest] of partial) if (rest) send({ type: 'log', id, level: stream === 'stdout' ? 'info' : 'error', message: rest, stream, at: new Date() })
  partial.clear()
}

// console.* and writes to stdout/stderr during a step become the step's log lines.
function captureOutput(): void {
  const methods: Record<string, ['stdout' | 'stderr', StepLogLevel]> = {
    log: ['stdout', 'info'], info: ['stdout', 'info'], debug: ['stdout', 'info'], warn: ['stderr', 'warn'], error: ['stderr', 'error'], trace: ['stderr', 'error'],
  }
  for (const [method, [stream, level]] of Object.entries(methods)) {
    ;(console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => write(stream, level, `${format(...args)}\n`)
  }
  const patch = (name: 'stdout' | 'stderr', level: StepLogLevel) => {
    const stream = process[name]
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      write(name, level, typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString())
      const done = typeof encoding === 'function' ? encoding : callback
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)())
      return true
    }) as typeof stream.write
  }
  patch('stdout', 'info')
  patch('stderr', 'error')
}

// A worker whose control plane died (kill -9) must not outlive it, even while its step spins in a
// loop that never reads the IPC channel: a thread of its own notices the new parent and ends it.
function watchParent(): void {
  const watchdog = `
    const parent = ${process.ppid}
    setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL') }, 500)
  `
  new Worker(watchdog, { eval: true }).unref()
}
