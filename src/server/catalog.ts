// Search, filters and facets of the asset catalog (GET /api/assets). Pure.
import type { ApiAssetList, ApiAssetStatus, ApiAssetSummary } from './api-types.js'

/** The catalog's filters; every one given must match. */
export interface CatalogQuery {
  /** Case-insensitive substring of the key, description or owner. */
  readonly q?: string | undefined
  readonly owner?: string | undefined
  readonly tag?: string | undefined
  readonly group?: string | undefined
  readonly kind?: string | undefined
  readonly status?: ApiAssetStatus | undefined
  /** Default: 100. */
  readonly limit?: number
  /** Default: 0. */
  readonly offset?: number
}

/** Filters, sorts by key and pages the catalog; facets are taken from every item, so menus never shrink. */
export function searchCatalog(items: readonly ApiAssetSummary[], query: CatalogQuery): ApiAssetList {
  const needle = query.q?.trim().toLowerCase()
  const matched = items.filter((item) =>
    (!needle || [item.key, item.description, item.owner].some((text) => text?.toLowerCase().includes(needle)))
    && (!query.owner || item.owner === query.owner)
    && (!query.tag || item.tags.includes(query.tag))
    && (!query.group || item.group === query.group)
    && (!query.kind || item.kind === query.kind)
    && (!query.status || item.status === query.status))
  matched.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const offset = query.offset ?? 0
  return {
    total: matched.length,
    items: matched.slice(offset, offset + (query.limit ?? 100)),
    facets: {
      owners: distinct(items.map((item) => item.owner)),
      tags: distinct(items.flatMap((item) => item.tags)),
      groups: distinct(items.map((item) => item.group)),
      kinds: distinct(items.map((item) => item.kind)),
    },
  }
}

function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== null))].sort()
}
