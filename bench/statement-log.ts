// Records the statements a warehouse sends to its database during one Tributary run, at the
// driver (DuckDB's node API, pg), and replays them bare on one connection: the peer of the SQL
// graph benchmarks, doing exactly the database work Tributary did and nothing else.
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api'
import { performance } from 'node:perf_hooks'
import pg from 'pg'

/** One statement as the driver received it. */
export interface LoggedStatement {
  readonly sql: string
  readonly params: unknown
  /** Whether the caller read its rows (DuckDB's runAndReadAll; every pg query returns rows). */
  readonly reads: boolean
}

/** What a recording saw: the statements in an order a single connection can replay. */
export interface StatementLog {
  readonly statements: readonly LoggedStatement[]
  /** Statements that failed (a lost race on a new schema, say), left out of the replay. */
  readonly failed: number
  /** Transactions that rolled back, left out whole. */
  readonly rolledBack: number
  /** Connections the statements came from. */
  readonly connections: number
}

interface Entry extends LoggedStatement {
  readonly ok: boolean
  readonly endedAt: number
}

/**
 * Groups each connection's statements into units — a transaction from begin to commit, or one
 * statement outside a transaction — and orders the units by when they ended: a unit's effects
 * became visible to other connections then, so this order replays every read over the same
 * data. Failed statements and rolled-back transactions had no effect and are left out.
 */
function serialize(byConnection: ReadonlyMap<unknown, Entry[]>): StatementLog {
  const units: { endedAt: number; statements: LoggedStatement[] }[] = []
  let failed = 0
  let rolledBack = 0
  for (const entries of byConnection.values()) {
    let open: Entry[] | undefined
    for (const entry of entries) {
      const word = entry.sql.trim().toLowerCase()
      if (/^begin\b/.test(word)) open = [entry]
      else if (open && /^(commit|rollback)\b/.test(word)) {
        open.push(entry)
        if (word.startsWith('rollback') || open.some((e) => !e.ok)) rolledBack++
        else units.push({ endedAt: entry.endedAt, statements: open.map(({ sql, params, reads }) => ({ sql, params, reads })) })
        open = undefined
      } else if (open) open.push(entry)
      else if (!entry.ok) failed++
      else units.push({ endedAt: entry.endedAt, statements: [{ sql: entry.sql, params: entry.params, reads: entry.reads }] })
    }
    if (open) throw new Error(`a transaction was still open at the end of the recording: ${open[0]!.sql}`)
  }
  units.sort((a, b) => a.endedAt - b.endedAt)
  return { statements: units.flatMap((u) => u.statements), failed, rolledBack, connections: byConnection.size }
}

/** Runs `work` while recording every statement of every DuckDB connection in this process. */
export async function recordDuckDb(work: () => Promise<void>): Promise<StatementLog> {
  const byConnection = new Map<DuckDBConnection, Entry[]>()
  // runAndReadAll calls run: the statement is recorded once, by run, marked as read.
  const reading = new Set<DuckDBConnection>()
  const proto = DuckDBConnection.prototype
  const { run, runAndReadAll } = proto
  proto.run = async function (this: DuckDBConnection, sql: string, values?: DuckDBValue[]) {
    const entries = byConnection.get(this) ?? byConnection.set(this, []).get(this)!
    const record = (ok: boolean) => entries.push({ sql, params: values, reads: reading.has(this), ok, endedAt: performance.now() })
    try {
      const value = await run.call(this, sql, values)
      record(true)
      return value
    } catch (error) {
      record(false)
      throw error
    }
  } as typeof run
  proto.runAndReadAll = async function (this: DuckDBConnection, sql: string, values?: DuckDBValue[]) {
    reading.add(this)
    try {
      return await runAndReadAll.call(this, sql, values)
    } finally {
      reading.delete(this)
    }
  } as typeof runAndReadAll
  try {
    await work()
  } finally {
    proto.run = run
    proto.runAndReadAll = runAndReadAll
  }
  return serialize(byConnection)
}

/** Milliseconds one connection to a fresh DuckDB file takes to run `log`'s statements in order, after `setup`. */
export async function replayDuckDb(file: string, setup: string, log: StatementLog): Promise<number> {
  const instance = await DuckDBInstance.create(file)
  try {
    const connection = await instance.connect()
    await connection.run(setup)
    const started = performance.now()
    for (const { sql, params, reads } of log.statements) {
      const values = params as DuckDBValue[] | undefined
      if (reads) await connection.runAndReadAll(sql, values)
      else await connection.run(sql, values)
    }
    const ms = performance.now() - started
    connection.closeSync()
    return ms
  } finally {
    instance.closeSync()
  }
}

/** Runs `work` while recording every statement pg sends to `database` (other databases' clients are ignored). */
export async function recordPostgres(database: string, work: () => Promise<void>): Promise<StatementLog> {
  const byConnection = new Map<pg.Client, Entry[]>()
  const proto = pg.Client.prototype as unknown as { query: (this: pg.Client, ...args: unknown[]) => unknown }
  const { query } = proto
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    if (this.database !== database) return query.apply(this, args)
    const [sql, params] = args
    if (typeof sql !== 'string' || args.some((a) => typeof a === 'function')) {
      throw new Error(`the recording expects query(sql, values) on the warehouse's connections, got ${typeof sql}`)
    }
    const entries = byConnection.get(this) ?? byConnection.set(this, []).get(this)!
    const record = (ok: boolean) => entries.push({ sql, params, reads: true, ok, endedAt: performance.now() })
    return (query.apply(this, args) as Promise<unknown>).then(
      (value) => (record(true), value),
      (error: unknown) => {
        record(false)
        throw error
      },
    )
  }
  try {
    await work()
  } finally {
    proto.query = query
  }
  return serialize(byConnection)
}

/** Milliseconds one client on `url` (a fresh database) takes to run `log`'s statements in order, after `setup`. */
export async function replayPostgres(url: string, setup: string, log: StatementLog): Promise<number> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' })
  await client.connect()
  try {
    await client.query(setup)
    const started = performance.now()
    for (const { sql, params } of log.statements) await client.query(sql, params as unknown[] | undefined)
    return performance.now() - started
  } finally {
    await client.end()
  }
}
