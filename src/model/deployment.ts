// Whether the parts a project's config chose can work together across machines. Checked with the
// definitions (`tributary validate`, and every command that opens the project), so a setup that
// cannot work is refused before anything runs, with what to choose instead.
import { ErrorCode, type ErrorCodeValue } from './errors.js'
import type { ProjectDefinition } from './project.js'

type Problem = (code: ErrorCodeValue, assetKey: string | undefined, message: string, hint: string) => void

/**
 * Refuses combinations that need more than one machine on a part that lives on one:
 * TRB7020, a DuckDB warehouse with queue workers; TRB7021, a SQLite store with queue workers.
 * Also TRB1060: a store's postgres() given the warehouse-only `schema`.
 */
export function validateDeployment(project: ProjectDefinition, problem: Problem): void {
  if (project.store?.type === 'postgres' && project.store.schema !== undefined) {
    problem(ErrorCode.StoreSchema, undefined,
      `store: postgres({ schema: ${JSON.stringify(project.store.schema)} }): schema names the warehouse's ledger schema; the store keeps its tables in the login's default schema`,
      "Drop schema from the store's postgres(); to keep the store apart, give it its own database (or a login whose search_path starts with the schema).")
  }
  // Read loosely: the executor is optional and a hand-written config may give anything.
  const executor = (project as { executor?: { type?: unknown } }).executor
  if (executor?.type !== 'queue') return
  if ((project.warehouse?.type ?? 'duckdb') === 'duckdb') {
    problem(ErrorCode.DuckDbWithRemoteWorkers, undefined,
      'executor: queue() sends steps to `tributary worker` processes on any machine, but the warehouse is DuckDB: one file on one machine, which only one process may write',
      'Put the warehouse in PostgreSQL (warehouse: postgres({ url: process.env.TRIBUTARY_WAREHOUSE_URL })), or leave executor out to run steps in worker processes on this machine. See docs/scale-out.md#refusals.')
  }
  if ((project.store?.type ?? 'sqlite') === 'sqlite') {
    problem(ErrorCode.SqliteWithManyMachines, undefined,
      'executor: queue() has machines share the run history, but the store is SQLite: a file on this machine that processes elsewhere cannot open',
      'Use store: postgres({ url: process.env.TRIBUTARY_DATABASE_URL }) and move the history there with `tributary migrate-store --to postgres://…`, or leave executor out. See docs/scale-out.md#refusals.')
  }
}
