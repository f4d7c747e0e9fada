import type { DuckDBConnection } from '@duckdb/node-api'
import type { Clock } from '../../engine/clock.js'
import type { Row } from '../../model/context.js'
import { StatementGate } from '../statement-gate.js'
import { queryError } from './duckdb-errors.js'
import { toDuckDbParams, toJs } from './duckdb-values.js'

/** Statements on a connection the caller already holds exclusively. */
export interface Statements {
  /** Runs a query with `$1` parameters and returns plain JS rows. */
  read(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** Runs one or more statements (several only without parameters). */
  run(sql: string, params?: readonly unknown[]): Promise<void>
  /** The raw connection, for the appender. */
  readonly connection: DuckDBConnection
}

/**
 * One DuckDB connection whose work runs one piece at a time. A connection has a single
 * transaction, so a multi-statement transaction must not interleave with other callers'
 * statements (checks often run concurrently on one session).
 */
export class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  private readonly statements: Statements
  private readonly gate: StatementGate

  /** `clock` times the interrupt's resends (Default: the system clock). */
  constructor(connection: DuckDBConnection, clock?: Clock) {
    const gate = (this.gate = new StatementGate(() => connection.interrupt(), clock))
    this.statements = {
      connection,
      read: (sql, params = []) => gate.statement(sql, async () => {
        try {
          const reader = await connection.runAndReadAll(sql, params.length > 0 ? toDuckDbParams(params) : undefined)
          return reader.convertRowObjects(toJs)
        } catch (error) {
          throw queryError(error)
        }
      }),
      run: (sql, params = []) => gate.statement(sql, async () => {
        try {
          await connection.run(sql, params.length > 0 ? toDuckDbParams(params) : undefined)
        } catch (error) {
          throw queryError(error)
        }
      }),
    }
  }

  /**
   * Runs `work` with the connection to itself, after everything queued before it. Once the
   * connection is interrupted, work is refused (TRB5030) unless it is `cleanup`.
   */
  exclusive<T>(work: (statements: Statements) => Promise<T>, cleanup = false): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closed) throw new Error('this DuckDB connection is closed')
      return this.gate.run(() => work(this.statements), cleanup)
    })
    this.tail = result.catch(() => undefined)
    return result
  }

  /** Interrupts the statement running (its transaction rolls back) and refuses later work but cleanup; see StatementGate. */
  interrupt(): Promise<void> {
    return this.gate.interrupt()
  }

  /** Runs a query with `$1` parameters and returns plain JS rows. */
  read(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.exclusive((s) => s.read(sql, params))
  }

  /** Runs statements that return nothing. */
  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.exclusive((s) => s.run(sql, params))
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (statements: Statements) => Promise<T>): Promise<T> {
    return this.exclusive((s) => inTransaction(s, work))
  }

  /**
   * Stops taking work once queued work has finished, leaving the connection open for its owner:
   * true the first time, false when already released or closed.
   */
  release(): Promise<boolean> {
    return this.exclusive(async () => {
      this.closed = true
      return true
    }, true).catch(() => false)
  }

  /** Closes the connection once queued work has finished. Safe to call twice. */
  close(): Promise<void> {
    return this.exclusive(async (s) => {
      this.closed = true
      s.connection.closeSync()
    }, true).catch(() => undefined)
  }
}

/** Runs `work` in one transaction on statements already held exclusively (see SerialConnection.exclusive). */
export async function inTransaction<T>(s: Statements, work: (statements: Statements) => Promise<T>): Promise<T> {
  await s.run('begin transaction')
  try {
    const result = await work(s)
    await s.run('commit')
    return result
  } catch (error) {
    // A failed statement has already aborted the transaction; rollback ends it either way.
    await s.run('rollback').catch(() => undefined)
    throw error
  }
}
