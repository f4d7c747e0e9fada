import type { ColumnInfo } from '../store/records.js'

/** A schema as observation records and materializations carry it. */
export interface SchemaShape {
  readonly schemaFingerprint: string | null
  readonly columns: readonly ColumnInfo[] | null
}

/** What changed between two schemas: the columns removed, retyped and added. */
export interface SchemaChange {
  readonly removed: readonly string[]
  readonly retyped: readonly { readonly name: string; readonly from: string; readonly to: string }[]
  readonly added: readonly string[]
}

/**
 * The change from `before` to `after` that can break a reader (a column removed or retyped;
 * added columns alone break nobody), or undefined when there is none or either side is unknown.
 */
export function breakingChange(before: SchemaShape | undefined, after: SchemaShape): SchemaChange | undefined {
  if (!before?.columns || !after.columns || (before.schemaFingerprint !== null && before.schemaFingerprint === after.schemaFingerprint)) return undefined
  const now = new Map(after.columns.map((c) => [c.name, c.type]))
  const then = new Map(before.columns.map((c) => [c.name, c.type]))
  const removed = [...then.keys()].filter((name) => !now.has(name))
  const retyped = [...then].filter(([name, type]) => now.has(name) && now.get(name) !== type).map(([name, from]) => ({ name, from, to: now.get(name)! }))
  if (removed.length === 0 && retyped.length === 0) return undefined
  return { removed, retyped, added: [...now.keys()].filter((name) => !then.has(name)) }
}

/** "removed amount; retyped id INTEGER → VARCHAR; added amount_eur". */
export function describeSchemaChange(change: SchemaChange): string {
  return [
    change.removed.length ? `removed ${change.removed.join(', ')}` : '',
    change.retyped.length ? `retyped ${change.retyped.map((r) => `${r.name} ${r.from} → ${r.to}`).join(', ')}` : '',
    change.added.length ? `added ${change.added.join(', ')}` : '',
  ].filter(Boolean).join('; ')
}
