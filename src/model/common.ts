import type { AutomationCondition } from './automation.js'
import type { CheckDefinition } from './check.js'
import type { Contract } from './contract.js'
import type { Duration } from './duration.js'
import type { FreshnessPolicy } from './freshness.js'
import type { PartitionsDefinition } from './partitions.js'
import type { RetryPolicy } from './retry.js'

/** Fields every asset and source may carry. */
export interface NodeMetadata {
  /** `/`-separated path; for warehouse tables `schema/table` maps to `schema.table`. */
  readonly key: string
  /** Who fixes it: `team:crm`, `alice@example.com`. */
  readonly owner?: string
  readonly description?: string
  readonly group?: string
  readonly tags?: readonly string[]
  /** What it is to people: `table`, `model`, `dashboard`, `report`, `extract`, `file`. */
  readonly kind?: string
  readonly freshness?: FreshnessPolicy
  readonly checks?: readonly CheckDefinition[]
  /** Columns (types, nullability) it guarantees consumers; enforced before publish. Default: none. */
  readonly contract?: Contract
}

/** Fields of assets Tributary produces (not sources). */
export interface ProducedMetadata extends NodeMetadata {
  readonly retry?: RetryPolicy
  /** Per-attempt time limit. Default: none. */
  readonly timeout?: Duration
  /** A named concurrency pool from the project's `pools`. Default: none. */
  readonly pool?: string
  /** Explicit code version; bump it to mark the asset changed. Default: a hash of its code. */
  readonly version?: string
  /** How long to wait for upstream data outside the run to be ready. Default: the project's. */
  readonly readinessTimeout?: Duration
  /** When the daemon materializes it on its own: eager(), onCron(…), onMissing(), and/or/not. Default: never. */
  readonly automation?: AutomationCondition
  /** How the asset is sliced: dailyPartitions({ start }), staticPartitions([...]), … Default: unpartitioned. */
  readonly partitions?: PartitionsDefinition
  /** The column of a partitioned table asset that holds the partition key. Default: 'partition_key'. */
  readonly partitionColumn?: string
}
