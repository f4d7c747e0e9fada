import type { WarehouseQueries } from './context.js'

/** How bad a failed check is. */
export type Severity = 'warn' | 'error'

/** What a check found: passed or not, how many rows fail, a few of them. */
export interface CheckOutcome {
  readonly passed: boolean
  readonly failingRows?: number
  readonly sample?: readonly Record<string, unknown>[]
  readonly message?: string
}

/** What a custom TypeScript check receives. */
export interface CheckContext {
  /** The quoted relation being checked (the staging table during write-audit-publish). */
  readonly relation: string
  readonly assetKey: string
  readonly warehouse: WarehouseQueries
  /** Row count of the previous published materialization, when there is one. */
  readonly previousRowCount: number | undefined
  readonly now: Date
}

/**
 * A check attached to an asset. Built by the functions in `tributary` (`unique`, `notNull`, …);
 * `problems` holds argument errors found when it was built, reported by validation.
 */
export interface CheckDefinition {
  /** Unique within the asset, e.g. `unique(opportunity_id)`. */
  readonly name: string
  readonly type: string
  readonly severity: Severity
  /** A failing blocking check stops publication. Default: true for 'error', false for 'warn'. */
  readonly blocking: boolean
  readonly args: Readonly<Record<string, unknown>>
  readonly problems: readonly string[]
  /** Asset keys the check reads besides the asset itself (relationships). */
  readonly references: readonly string[]
  readonly evaluate?: (ctx: CheckContext) => Promise<CheckOutcome>
}

/** Options every check accepts. */
export interface CheckOptions {
  /** Default: 'error'. */
  readonly severity?: Severity
  /** Default: true when severity is 'error'. */
  readonly blocking?: boolean
  /** Overrides the generated name. */
  readonly name?: string
}
