import type { AnyNode } from './asset.js'
import type { AlertsConfig } from './alerts.js'
import type { ScheduleDefinition, SensorDefinition } from './automation.js'
import type { Duration } from './duration.js'
import { ErrorCode, TributaryError } from './errors.js'
import { unknownOption } from './unknown-fields.js'
import type { StoreConfig } from '../store/store-config.js'
import type { ExecutorConfig } from '../execution/executor-config.js'
import type { PostgresWarehouseConfig } from '../warehouse/warehouse-config.js'
import type { OpenLineageConfig } from '../lineage/openlineage.js'

/** Where asset data lives: duckdb() (default) or a PostgreSQL database (postgres({ url, schema })). */
export type WarehouseConfig =
  | { readonly type: 'duckdb'; readonly path?: string }
  | PostgresWarehouseConfig

/** DuckDB warehouse. `path` is relative to the project. Default: '.tributary/warehouse.duckdb'. */
export function duckdb(options: { path?: string } = {}): WarehouseConfig {
  const unknown = unknownOption('duckdb', options, { path: true })
  if (unknown) throw new TributaryError(ErrorCode.InvalidWarehouse, unknown.message, { hint: unknown.hint })
  return Object.freeze({ type: 'duckdb', ...options })
}

/** What `defineProject` accepts. */
export interface ProjectSpec {
  readonly name: string
  /** Every asset and source of the project. */
  readonly assets: readonly AnyNode[]
  /** Default: duckdb(). */
  readonly warehouse?: WarehouseConfig
  /** Where run history and state live: sqlite() or postgres({ url }). Default: sqlite(). */
  readonly store?: StoreConfig
  /**
   * Where steps run: pool() (worker processes of the process running the run) or queue()
   * (`tributary worker` processes on any machines; needs the PostgreSQL store). Default: pool().
   */
  readonly executor?: ExecutorConfig
  /** Steps running at once across the run. Default: 4. */
  readonly concurrency?: number
  /** Named pools and their limits: `{ warehouse: 2 }`. */
  readonly pools?: Readonly<Record<string, number>>
  /** How long a step waits for upstream data outside its run. Default: '1m'. */
  readonly readinessTimeout?: Duration
  /** How often a waiting step looks again. Default: '2s'. */
  readonly readinessPollInterval?: Duration
  /** Per-attempt time limit of every asset that sets no `timeout` of its own. Default: '1h'. */
  readonly stepTimeout?: Duration
  /** Where metadata and the default warehouse live, relative to the project. Default: '.tributary'. */
  readonly stateDir?: string
  /** Clock-driven runs (the daemon fires them). Default: none. */
  readonly schedules?: readonly ScheduleDefinition[]
  /** Event-driven runs: new files, polled systems, HTTP events. Default: none. */
  readonly sensors?: readonly SensorDefinition[]
  /** Alert rules and sinks. Default: every failure class to the log. */
  readonly alerts?: AlertsConfig
  /** Automatic re-materialization of failed or stale assets. Default: 3 attempts per asset per 24h. */
  readonly remediation?: { readonly maxAttempts?: number; readonly window?: Duration; readonly enabled?: boolean }
  /**
   * Worker processes that run TypeScript asset code (the CLI's and `serve`'s default).
   * `maxHeapMb`: each worker's heap limit (Default: Node's own); `killGrace`: how long a step
   * has to stop after its timeout or a cancel before its worker is killed (Default: '2s').
   */
  readonly workers?: { readonly maxHeapMb?: number; readonly killGrace?: Duration }
  /**
   * Sends each step's OpenLineage run events (START, COMPLETE, FAIL, ABORT, with inputs, outputs
   * and column lineage) to an OpenLineage endpoint: `{ url, endpoint?, namespace?, apiKey? }`
   * (see docs/openlineage.md). Default: none sent.
   */
  readonly openLineage?: OpenLineageConfig
}

/** A project definition, the default export of `tributary.config.ts`. */
export interface ProjectDefinition extends ProjectSpec {
  readonly type: 'project'
}

/** Declares the project. Identity plus freezing; `tributary validate` checks it. */
export function defineProject(spec: ProjectSpec): ProjectDefinition {
  return Object.freeze({ ...spec, type: 'project' as const })
}
