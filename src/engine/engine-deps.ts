import type { AssetGraph } from '../graph/asset-graph.js'
import type { Store } from '../store/store.js'
import type { Warehouse } from '../warehouse/warehouse.js'
import type { Clock } from './clock.js'
import type { Executor } from '../execution/executor.js'
import type { EngineEventListener } from './engine-events.js'

/** Limits and waits the engine applies, resolved from the project with defaults filled in. */
export interface EngineSettings {
  /** Default: 4. */
  readonly concurrency: number
  readonly pools: Readonly<Record<string, number>>
  /** Default: 60 000 (1m). */
  readonly readinessTimeoutMs: number
  /** Default: 2 000. */
  readonly readinessPollMs: number
  /** How long a run's lease on an asset lasts without a heartbeat. Default: 60 000. */
  readonly leaseTtlMs: number
  /** Default: 1 000. Also how soon a pause or cancel asked by another process takes effect. */
  readonly heartbeatMs: number
  /** Per-attempt time limit of a step whose asset sets no `timeout`, so a hung asset never holds a run forever. Default: 3 600 000 (1h). */
  readonly stepTimeoutMs: number
}

/** What the engine works with: the graph, where state and data live, and time. */
export interface EngineDeps {
  readonly graph: AssetGraph
  readonly store: Store
  readonly warehouse: Warehouse
  readonly clock: Clock
  /** Absolute path of the project (sources' file patterns are relative to it). */
  readonly projectDir: string
  /** Absolute path of the state directory (file outputs live under it). */
  readonly stateDir: string
  readonly settings: EngineSettings
  /** Random numbers for retry jitter. Default: Math.random. */
  readonly random?: () => number
  /** Where steps' TypeScript code runs. Default: in this process (an InProcessExecutor). */
  readonly executor?: Executor
  /** Receives the moments of each step attempt run here (staging written, checks done, published). Default: none. */
  readonly onEvent?: EngineEventListener
}
