// Worker thread: serializes SQL statements with DuckDB's own parser (json_serialize_sql) on an
// in-memory database, so no table has to exist. Plain JavaScript on purpose: a worker does not
// inherit the TypeScript loader the CLI registers. Protocol: see duckdb-parser.ts.
import { workerData } from 'node:worker_threads'

const signal = new Int32Array(workerData.signal)
// Loaded here, not by a static import, so a failure to load becomes a reply instead of a silent worker exit.
const api = import('@duckdb/node-api').then((module) => module.default ?? module)
const connection = api.then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:')).then((instance) => instance.connect())
connection.catch(() => {})

workerData.port.on('message', async (statements) => {
  let reply
  try {
    const { listValue, LIST, VARCHAR } = await api
    const con = await connection
    // One query for the whole batch: json_serialize_sql accepts a column, so the cost is one round trip.
    const reader = await con.runAndReadAll('select json_serialize_sql(s) as j from unnest($1) with ordinality as u(s, i) order by i', { 1: listValue(statements) }, { 1: LIST(VARCHAR) })
    reply = { ok: true, results: reader.getColumns()[0].map(String) }
  } catch (error) {
    reply = { ok: false, message: error instanceof Error ? error.message : String(error) }
  }
  workerData.port.postMessage(reply)
  // Wakes the caller blocked in Atomics.wait; the reply is already queued on the port.
  Atomics.add(signal, 0, 1)
  Atomics.notify(signal, 0)
})
