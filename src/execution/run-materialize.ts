import type { AssetDefinition } from '../model/asset.js'
import type { AssetContext } from '../model/context.js'
import { AssetExecutionError, ErrorCode, TributaryError } from '../model/errors.js'
import type { CheckDefinition, CheckOutcome } from '../model/check.js'
import type { CheckTask, MaterializeTask, StepHost, WarehouseCall } from './executor.js'

/**
 * Builds the step's context over a host and calls the asset's materialize function. Runs in
 * whichever process holds the code (the control plane in-process, a worker in the pool), so
 * `retryOn` is asked there too. The user's error becomes an AssetExecutionError.
 */
export async function runMaterialize(def: AssetDefinition, task: MaterializeTask, host: StepHost, signal: AbortSignal): Promise<unknown> {
  const ctx = stepContext(task, host, signal)
  try {
    return await def.materialize(task.inputs as never, ctx)
  } catch (error) {
    if (error === signal.reason || isTributaryError(error)) throw error
    const retryOn = def.retry?.retryOn
    throw new AssetExecutionError(task.assetKey, error, retryOn ? retryOn(error) : true)
  }
}

// The user's config may import another copy of Tributary's modules (a worker loads it apart).
function isTributaryError(error: unknown): boolean {
  return error instanceof TributaryError || (error instanceof Error && /^TRB\d{4}$/.test(String((error as { code?: unknown }).code)) && 'retryable' in error)
}

/** The AssetContext a materialize function receives, every warehouse call going through `host`. */
export function stepContext(task: MaterializeTask, host: StepHost, signal: AbortSignal): AssetContext {
  const call = <T>(c: WarehouseCall) => host.warehouse(c) as Promise<T>
  const write = (c: WarehouseCall) => {
    if (task.io !== 'table') return Promise.reject(notATable(task))
    return call<void>(c)
  }
  const line = (level: 'info' | 'warn' | 'error') => (message: string) => host.log(level, String(message))
  return {
    assetKey: task.assetKey, runId: task.runId, partition: task.partition, window: task.window, attempt: task.attempt, signal,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    projectDir: task.projectDir,
    warehouse: { query: (sql, params) => call(params === undefined ? { op: 'query', sql } : { op: 'query', sql, params }), exec: (sql) => call({ op: 'exec', sql }) },
    staging: task.staging,
    writeRows: (rows) => write({ op: 'writeRows', rows }),
    writeSql: (select) => write({ op: 'writeSql', select }),
    loadCsv: (files) => write({ op: 'loadCsv', files }),
    rows: (input) => {
      if (!input.table) return Promise.reject(notATableInput(task, input.key))
      // Aliased: a partition-mapped input is a subquery, which PostgreSQL before 16 only reads with an alias.
      return call({ op: 'query', sql: `select * from ${input.table} as input_rows` })
    },
    outputDir: task.outputDir,
  }
}

function notATable(task: MaterializeTask): TributaryError {
  return new TributaryError(ErrorCode.InvalidOutput, `asset ${task.assetKey} has io '${task.io}' and cannot write a table`, {
    context: { assetKey: task.assetKey },
    hint: "Declare io: 'table' (the default) to write warehouse tables.",
  })
}

function notATableInput(task: MaterializeTask, key: string): TributaryError {
  return new TributaryError(ErrorCode.RowsOfNonTable, `${task.assetKey} read the rows of ${key}, which is not a table`, {
    context: { assetKey: task.assetKey, upstream: key },
    hint: `Read a files source through its .files (or ctx.loadCsv), and an io 'files' asset through its .dir; ctx.rows reads tables.`,
  })
}

/** Runs a custom check's evaluate function with its warehouse queries going through `host`. */
export async function runCheck(check: CheckDefinition, task: CheckTask, host: StepHost): Promise<CheckOutcome> {
  if (!check.evaluate) throw new TributaryError(ErrorCode.InvalidCheck, `custom check ${check.name} has no evaluate function`, { context: { assetKey: task.assetKey } })
  const call = <T>(c: WarehouseCall) => host.warehouse(c) as Promise<T>
  return check.evaluate({
    relation: task.relation, assetKey: task.assetKey, previousRowCount: task.previousRowCount, now: task.now,
    warehouse: { query: (sql, params) => call(params === undefined ? { op: 'query', sql } : { op: 'query', sql, params }), exec: (sql) => call({ op: 'exec', sql }) },
  })
}
