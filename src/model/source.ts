import type { NodeMetadata } from './common.js'
import type { Contract } from './contract.js'

/** How a source is observed: files matching a pattern, or a warehouse table. */
export type SourceObserver =
  | { readonly type: 'files'; readonly pattern: string; readonly delimiter?: string }
  | { readonly type: 'table'; readonly relation: string }

/** External data Tributary observes but does not produce. `C`: its contract, whose columns type its readers' rows. */
export interface SourceDefinition<C extends Contract = Contract> extends NodeMetadata {
  readonly contract?: C
  readonly type: 'source'
  readonly observe: SourceObserver
}

/** What `defineSource` accepts. */
export interface SourceSpec extends NodeMetadata {
  readonly observe: SourceObserver
}

/**
 * Observe files matching a glob relative to the project directory: `*`, `?`, `**` and braces,
 * e.g. `landing/crm/*.csv` or `landing/**\/*.{csv,tsv}` (at most 512 characters).
 */
export function files(pattern: string): SourceObserver {
  return Object.freeze({ type: 'files', pattern })
}

/** Observe a warehouse table Tributary does not produce: `table('replica.accounts')`. */
export function table(relation: string): SourceObserver {
  return Object.freeze({ type: 'table', relation })
}

/** Declares a source. Validation happens with the whole project (`tributary validate`). */
export function defineSource<const C extends Contract = Contract>(spec: SourceSpec & { readonly contract?: C }): SourceDefinition<C> {
  return Object.freeze({ ...spec, type: 'source' as const })
}
