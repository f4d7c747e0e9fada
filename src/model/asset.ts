import { recordCallSite } from './call-site.js'
import type { AssetContext, AssetInput, Row, SourceInput } from './context.js'
import type { ProducedMetadata } from './common.js'
import type { CheckDefinition } from './check.js'
import { contractCheck, type Contract } from './contract.js'
import type { RowOf } from './contract-row.js'
import type { PartitionMapping } from './partitions.js'
import type { SourceDefinition } from './source.js'

/** Where an asset's output lives. 'table': a warehouse table (default); 'files': a directory; 'none': side effects only. */
export type AssetIo = 'table' | 'files' | 'none'

/** Any node of the graph: a TypeScript asset, a SQL asset or a source. */
export type AnyNode = AssetDefinition<any, any> | SqlAssetDefinition<any> | SourceDefinition<any>

/** The value a `materialize` function receives for one upstream, its rows typed by the upstream's contract. */
export type InputOf<N> = N extends SourceDefinition<any> ? SourceInput<RowOf<N>> : AssetInput<RowOf<N>>

/** The typed inputs object a `materialize` function receives. */
export type InputsOf<I extends Record<string, AnyNode>> = { readonly [K in keyof I]: InputOf<I[K]> }

/** What a TypeScript asset's function may return: rows to publish, or nothing when it wrote staging itself. */
export type MaterializeResult = readonly Row[] | void | undefined

/** What `defineAsset` accepts. */
export interface AssetSpec<I extends Record<string, AnyNode>> extends ProducedMetadata {
  /** Upstream assets and sources by reference: lineage comes from here. */
  readonly ins?: I
  /** Default: 'table'. */
  readonly io?: AssetIo
  /** Which upstream partitions each input reads, by input name. Default: see docs/partitions.md. */
  readonly partitionMappings?: { readonly [K in keyof I]?: PartitionMapping }
  readonly materialize: (inputs: InputsOf<I>, ctx: AssetContext) => Promise<MaterializeResult> | MaterializeResult
}

/** A TypeScript asset; `C`: its contract, whose columns type its readers' rows. */
export interface AssetDefinition<I extends Record<string, AnyNode> = Record<string, AnyNode>, C extends Contract = Contract> extends AssetSpec<I> {
  readonly contract?: C
  readonly type: 'asset'
  readonly io: AssetIo
  readonly ins: I
}

/** What `sqlAsset` accepts. */
export interface SqlAssetSpec extends ProducedMetadata {
  /** One SELECT; the tables it reads become this asset's upstream. */
  readonly sql: string
  /** Which upstream partitions it reads, by upstream asset key. Default: see docs/partitions.md. */
  readonly partitionMappings?: Readonly<Record<string, PartitionMapping>>
}

/** An asset defined by a SELECT; its upstream is parsed from the SQL. `C`: its contract, whose columns type its readers' rows. */
export interface SqlAssetDefinition<C extends Contract = Contract> extends SqlAssetSpec {
  readonly contract?: C
  readonly type: 'sql'
  readonly io: 'table'
}

/** Declares a TypeScript asset. Identity plus freezing: validation happens with the whole project. */
export function defineAsset<const I extends Record<string, AnyNode> = Record<string, never>, const C extends Contract = Contract>(spec: AssetSpec<I> & { readonly contract?: C }): AssetDefinition<I, C> {
  const definition = Object.freeze({ ...spec, ...withContractCheck(spec), ins: Object.freeze({ ...(spec.ins ?? ({} as I)) }), io: spec.io ?? 'table', type: 'asset' as const })
  // The UI shows the code as written: transpilers rewrite what materialize.toString() returns.
  recordCallSite(definition, defineAsset)
  return definition
}

/** Declares a SQL asset. */
export function sqlAsset<const C extends Contract = Contract>(spec: SqlAssetSpec & { readonly contract?: C }): SqlAssetDefinition<C> {
  return Object.freeze({ ...spec, ...withContractCheck(spec), io: 'table' as const, type: 'sql' as const })
}

// A contract is enforced like a blocking check named `contract`, after the asset's own checks.
function withContractCheck(spec: { readonly contract?: Contract; readonly checks?: readonly CheckDefinition[] }): { checks?: readonly CheckDefinition[] } {
  if (!spec.contract || !(spec.checks === undefined || Array.isArray(spec.checks))) return {}
  return { checks: Object.freeze([...(spec.checks ?? []), contractCheck(spec.contract)]) }
}

/** True for nodes Tributary produces (TypeScript and SQL assets). */
export function isProduced(node: AnyNode): node is AssetDefinition | SqlAssetDefinition {
  return node.type !== 'source'
}
