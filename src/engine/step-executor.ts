import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { GraphNode } from '../graph/asset-graph.js'
import { quoteRelation } from '../graph/asset-graph.js'
import { evaluateCheck } from '../checks/evaluate.js'
import type { AssetDefinition } from '../model/asset.js'
import type { CheckContext } from '../model/check.js'
import type { AssetInput, Row, SourceInput } from '../model/context.js'
import { parseDuration } from '../model/duration.js'
import { windowOf } from '../model/partitions.js'
import { bindPartitionParams } from '../sql/partition-params.js'
import { ErrorCode, TributaryError, serializeError } from '../model/errors.js'
import type { MaterializationRecord, NewCheckResult, StepStatus } from '../store/records.js'
import type { WarehouseSession } from '../warehouse/warehouse.js'
import type { EngineDeps } from './engine-deps.js'
import type { EngineEvent } from './engine-events.js'
import { fileOutputPaths, hashDirectory, prepareFileStaging, publishFileOutput } from './file-output.js'
import { CanceledError, StepTimeoutError } from './step-errors.js'
import { startTimer } from './clock.js'
import { InProcessExecutor } from '../execution/in-process-executor.js'
import type { MaterializeTask, StepHost, StepLogOrigin } from '../execution/executor.js'
import { serveWarehouseCall } from '../execution/warehouse-call.js'

// Steps of deps without an executor run here, in the calling process.
const IN_PROCESS = new InProcessExecutor()

/** What one attempt of a step ended with. */
export type AttemptOutcome =
  | { readonly status: 'succeeded'; readonly materialization: MaterializationRecord }
  | { readonly status: 'blocked'; readonly reason: string }
  | { readonly status: Extract<StepStatus, 'failed' | 'canceled'>; readonly error: unknown }

/** Upstream data as read at the start of the attempt: what the function receives and the versions recorded. */
export interface ResolvedInputs {
  readonly values: Readonly<Record<string, SourceInput | AssetInput>>
  readonly versions: Readonly<Record<string, string>>
}

/**
 * Runs one attempt of one step with write-audit-publish: write to staging, run the checks
 * there, and only if no blocking check failed publish atomically and record the
 * materialization. A blocked attempt keeps its staging data for inspection.
 */
export async function runAttempt(
  deps: EngineDeps,
  step: {
    readonly node: GraphNode; readonly runId: string; readonly partition: string | null; readonly attempt: number
    /** Called when a successful attempt has only its end left to store (no session, no files left to clean up). */
    readonly codeEnded?: () => void
  },
  inputs: ResolvedInputs,
  runSignal: AbortSignal,
  previousRowCount: number | undefined,
): Promise<AttemptOutcome> {
  const { node, runId, partition, attempt } = step
  const def = node.def
  if (def.type === 'source') throw new Error(`cannot materialize source ${node.key}`)
  const started = deps.clock.now().getTime()
  const controller = new AbortController()
  // Settles when the attempt is aborted; made before anything awaits, so an abort while the
  // session opens is not missed (an 'abort' event fires once, for listeners already there).
  const abortPromise = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
  })
  abortPromise.catch(() => undefined)
  const onRunAbort = () => controller.abort(new CanceledError(node.key))
  runSignal.addEventListener('abort', onRunAbort, { once: true })
  if (runSignal.aborted) onRunAbort()
  // Every attempt has a limit: the asset's own, else the project's (Default: 1h).
  const timeoutMs = def.timeout === undefined ? deps.settings.stepTimeoutMs : parseDuration(def.timeout, 'timeout')
  // Through the clock, so a test steps time past a timeout instead of waiting it out.
  const cancelTimer = timeoutMs === undefined ? undefined : startTimer(deps.clock, timeoutMs, () => controller.abort(new StepTimeoutError(node.key, timeoutMs)))
  let ended = false
  const logs: Promise<void>[] = []
  const log = (level: 'info' | 'warn' | 'error') => (message: string, origin: StepLogOrigin = {}) => {
    const record = { runId, assetKey: node.key, partition, attempt, level, message: String(message), at: origin.at ?? deps.clock.now(), stream: origin.stream ?? 'log' }
    logs.push(deps.store.appendLog(record).catch(() => undefined))
  }
  let session: WarehouseSession | undefined
  const staging = node.relation ? deps.warehouse.stagingRelation(node.relation, runId, partition) : undefined
  const files = def.io === 'files' ? fileOutputPaths(deps.stateDir, node.key, runId) : undefined
  let keepStaging = false
  let published = false
  const window = node.partitions && partition !== null ? windowOf(node.partitions, partition) ?? null : null
  const partitionColumn = def.partitionColumn ?? 'partition_key'
  try {
    // No-op and file assets that never touch the warehouse never pay for a session.
    let opening: Promise<WarehouseSession> | undefined
    const open = () => (opening ??= deps.warehouse.session().then((s) => {
      session = s
      if (controller.signal.aborted) void s.interrupt()
      return s
    }))
    // A timeout or cancel stops the session's statement in the warehouse too, not only the step's bookkeeping.
    controller.signal.addEventListener('abort', () => void session?.interrupt(), { once: true })
    if (staging) await open()
    if (files) await prepareFileStaging(files.staging)
    const guard = <T>(work: Promise<T>): Promise<T> => Promise.race([work, abortPromise])

    // The step's code (materialize, custom checks) runs where the executor puts it; its warehouse calls come back here.
    const host: StepHost = {
      warehouse: async (call) => {
        if (ended) throw new TributaryError(ErrorCode.InvalidOutput, `asset ${node.key} used its context after its step ended`, { context: { assetKey: node.key }, hint: 'Await every ctx.warehouse / ctx.write* call before materialize returns.' })
        const opened = await open()
        // Again after the await: the step may have ended (and queued its staging drop) meanwhile.
        if (ended) throw new TributaryError(ErrorCode.InvalidOutput, `asset ${node.key} used its context after its step ended`, { context: { assetKey: node.key }, hint: 'Await every ctx.warehouse / ctx.write* call before materialize returns.' })
        return serveWarehouseCall(opened, call, staging)
      },
      log: (level, message, origin) => log(level)(message, origin),
    }
    const executor = deps.executor ?? IN_PROCESS
    let returned: unknown
    if (def.type === 'sql') {
      const params = partition === null ? null : { key: partition, start: window?.start ?? null, end: window?.end ?? null }
      await guard(session!.createFromSelect(staging!, bindPartitionParams(def.sql, params)))
    } else {
      const task: MaterializeTask = {
        kind: 'materialize', assetKey: node.key, codeVersion: node.codeVersion, runId, partition, window, attempt, projectDir: deps.projectDir,
        staging: staging ? quoteRelation(staging) : '', io: def.io ?? 'table', outputDir: files?.staging ?? '',
        inputs: inputs.values,
        // PostgreSQL takes many connections: a worker opens its own and writes the staging relation itself.
        warehouse: deps.warehouse.dialect === 'postgres' ? { type: 'connect', staging: staging ?? null } : { type: 'host' },
      }
      returned = await executor.materialize(task, def as AssetDefinition, host, controller.signal)
      if (def.io === 'table') {
        if (Array.isArray(returned)) await guard(session!.createFromRows(staging!, returned as Row[]))
        else if (!(await session!.relationExists(staging!))) {
          throw new TributaryError(ErrorCode.InvalidOutput, `asset ${node.key} returned no rows and wrote nothing to staging`, {
            context: { assetKey: node.key },
            hint: 'Return an array of rows, or write with ctx.writeRows / ctx.writeSql / ctx.loadCsv.',
          })
        }
      }
    }

    if (staging && partition !== null && node.partitions) await guard(stampPartition(session!, staging, partitionColumn, partition, node.key))
    const ref = { runId, key: node.key, partition, attempt }
    announce(deps, { type: 'staging_written', ...ref, relation: staging ? quoteRelation(staging) : null, dir: files?.staging ?? null })

    // Audit: checks read the staging relation, never the published one.
    const relation = staging ? quoteRelation(staging) : ''
    const results: NewCheckResult[] = []
    for (const declared of def.checks ?? []) {
      // A custom check's function is user code: it runs on the executor, judged here as any check.
      const check = declared.type === 'custom' && declared.evaluate ? {
        ...declared,
        evaluate: (ctx: CheckContext) => executor.check({
          kind: 'check', assetKey: node.key, checkName: declared.name, relation: ctx.relation, previousRowCount: ctx.previousRowCount, now: ctx.now,
          ...(deps.warehouse.dialect === 'postgres' ? { warehouse: { type: 'connect', staging: null } as const } : {}),
        }, declared, host, controller.signal),
      } : declared
      const outcome = await guard(evaluateCheck(check, {
        relation, assetKey: node.key, warehouse: await open(), previousRowCount, now: deps.clock.now(),
        ...(partition !== null && node.partitions ? { partition: { column: partitionColumn, key: partition } } : {}),
        resolveRelation: (key) => {
          const target = deps.graph.nodes.get(key)?.relation
          return target ? quoteRelation(target) : undefined
        },
      }))
      results.push({
        assetKey: node.key, partition, runId, checkName: check.name, checkType: check.type, severity: check.severity,
        blocking: check.blocking, passed: outcome.passed, failingRows: outcome.failingRows ?? null,
        sample: outcome.sample ?? [], message: outcome.message ?? null, createdAt: deps.clock.now(),
      })
    }
    const failedBlocking = results.filter((r) => !r.passed && r.blocking)
    const checks = results.map((r) => ({ name: r.checkName, passed: r.passed, blocking: r.blocking, message: r.message }))
    announce(deps, { type: 'checks_done', ...ref, checks, blocked: failedBlocking.length > 0 })
    const durationMs = deps.clock.now().getTime() - started
    if (failedBlocking.length > 0) {
      keepStaging = true
      const reason = `blocking check${failedBlocking.length > 1 ? 's' : ''} failed: ${failedBlocking.map((r) => `${r.checkName}${r.message ? ` (${r.message})` : ''}`).join('; ')}${staging ? `; staged data kept in ${staging.schema}.${staging.name}` : ''}`
      const error = { code: ErrorCode.CheckFailed, message: reason, hint: 'Inspect the staged data, fix the source or the asset, then re-run; consumers still read the last good version.' }
      await deps.store.completeStep({ step: { runId, assetKey: node.key, partition, status: 'blocked', attempt, at: deps.clock.now(), reason, error, durationMs }, checks: results })
      return { status: 'blocked', reason }
    }

    // Publish: atomic in the warehouse (with its ledger entry), then recorded in the store.
    let dataVersion: string
    let rowCount: number | null = null
    let columns = null
    if (staging) {
      const warehouse = session!
      ;({ dataVersion, rowCount, columns } = await warehouse.inspect(staging))
      await warehouse.publish(staging, node.relation!, { assetKey: node.key, partition, runId, dataVersion, rowCount }, node.partitions ? { partitionColumn } : {})
      // Publishing dropped staging: nothing is left for the drop below.
      published = true
    } else if (files) {
      const hashed = await hashDirectory(files.staging)
      ;[dataVersion, rowCount] = [hashed.version, hashed.files]
      await publishFileOutput(files)
    } else {
      dataVersion = createHash('sha256').update(`${runId}\0${JSON.stringify(returned ?? null)}`).digest('hex').slice(0, 16)
    }
    await Promise.all(logs)
    if (!session && !files) step.codeEnded?.()
    const materialization = await deps.store.completeStep({
      step: { runId, assetKey: node.key, partition, status: 'succeeded', attempt, at: deps.clock.now(), durationMs, error: null, reason: null },
      materialization: {
        assetKey: node.key, partition, runId, codeVersion: node.codeVersion, dataVersion, inputVersions: inputs.versions,
        rowCount, columns, durationMs, createdAt: deps.clock.now(),
      },
      checks: results,
    })
    announce(deps, { type: 'published', ...ref, dataVersion, rowCount })
    return { status: 'succeeded', materialization: materialization! }
  } catch (error) {
    // A worker killed for overrunning its timeout says so with its own code (TRB3033).
    const killed = error instanceof TributaryError && error.code === ErrorCode.WorkerTimedOut
    const reason = controller.signal.aborted && !killed ? controller.signal.reason : error
    return { status: reason instanceof CanceledError ? 'canceled' : 'failed', error: reason }
  } finally {
    ended = true
    cancelTimer?.()
    runSignal.removeEventListener('abort', onRunAbort)
    await Promise.all(logs)
    if (session) {
      if (!keepStaging && !published && staging) await session.drop(staging).catch(() => undefined)
      await session.close().catch(() => undefined)
    }
    if (files && !keepStaging) await rm(files.staging, { recursive: true, force: true }).catch(() => undefined)
  }
}

// Listeners must not throw; one that does never fails the attempt.
function announce(deps: EngineDeps, event: EngineEvent): void {
  try {
    deps.onEvent?.(event)
  } catch {
    // ignored: see EngineEventListener
  }
}

// Every row of a partition's staging must carry its key: publishing deletes by that column,
// so a row with another key would overwrite, or later be deleted with, another partition.
async function stampPartition(session: WarehouseSession, staging: NonNullable<GraphNode['relation']>, column: string, partition: string, assetKey: string): Promise<void> {
  const columns = await session.columns(staging)
  const relation = quoteRelation(staging)
  const quoted = `"${column.replaceAll('"', '""')}"`
  if (!columns.some((c) => c.name.toLowerCase() === column.toLowerCase())) {
    await session.exec(`alter table ${relation} add column ${quoted} varchar default '${partition.replaceAll("'", "''")}'`)
    return
  }
  const [row] = await session.query<{ n: number }>(`select count(*)::int as n from ${relation} where cast(${quoted} as varchar) is distinct from $1`, [partition])
  if (row && row.n > 0) {
    throw new TributaryError(ErrorCode.InvalidOutput, `asset ${assetKey} wrote ${row.n} row(s) whose ${column} is not ${partition} into partition ${partition}`, {
      context: { assetKey },
      hint: `Write only rows of the partition being built (ctx.partition / {{ partition_key }}), or leave ${column} out and Tributary fills it in.`,
    })
  }
}

/** Turns an attempt's failure into the error stored with the step. */
export function stepError(error: unknown) {
  return serializeError(error)
}
