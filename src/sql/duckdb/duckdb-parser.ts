import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { ErrorCode, TributaryError } from '../../model/errors.js'

// Generous: a cold batch of 10,000 statements takes ~1 s on a busy 2-core machine.
const TIMEOUT_MS = 120_000

interface Bridge {
  readonly worker: Worker
  readonly port: MessagePort
  readonly signal: Int32Array
}

let bridge: Bridge | undefined

/**
 * Serializes statements with DuckDB's `json_serialize_sql`, synchronously: a worker thread owns an
 * in-memory DuckDB and the caller blocks on a shared counter until the reply is queued. Returns
 * one JSON document per statement (DuckDB's own error document for SQL it refuses).
 */
export function serializeWithDuckDb(statements: readonly string[]): string[] {
  if (statements.length === 0) return []
  const { port, signal } = (bridge ??= startBridge())
  const before = Atomics.load(signal, 0)
  port.postMessage(statements)
  if (Atomics.wait(signal, 0, before, TIMEOUT_MS) === 'timed-out') {
    stopDuckDbParser()
    throw new TributaryError(ErrorCode.SqlParserUnavailable, `DuckDB's SQL parser did not answer within ${TIMEOUT_MS / 1000} s`, { hint: 'Run `tributary validate` again; if it persists, check that @duckdb/node-api is installed.' })
  }
  const reply = receiveMessageOnPort(port)?.message as { ok: true; results: string[] } | { ok: false; message: string } | undefined
  if (!reply?.ok) {
    throw new TributaryError(ErrorCode.SqlParserUnavailable, `DuckDB's SQL parser failed: ${reply?.message ?? 'no reply'}`, { hint: 'Check that @duckdb/node-api is installed and loads on this machine.' })
  }
  return reply.results
}

/** Stops the parser's worker thread (it never keeps the process alive; tests call this to be tidy). */
export function stopDuckDbParser(): void {
  const current = bridge
  bridge = undefined
  if (current) {
    current.port.close()
    void current.worker.terminate()
  }
}

function startBridge(): Bridge {
  const shared = new SharedArrayBuffer(4)
  const { port1, port2 } = new MessageChannel()
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: { signal: shared, port: port2 }, transferList: [port2] })
  // Neither the worker nor its port may keep a finished CLI command alive.
  worker.unref()
  port1.unref()
  worker.on('error', () => stopDuckDbParser())
  return { worker, port: port1, signal: new Int32Array(shared) }
}
