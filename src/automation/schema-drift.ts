import type { ObservationRecord } from '../store/records.js'

/** What changed between two observed schemas, in words, or undefined when nothing was removed or retyped. */
export function schemaDrift(previous: ObservationRecord | undefined, current: ObservationRecord): string | undefined {
  if (!previous?.columns || !current.columns || previous.schemaFingerprint === current.schemaFingerprint) return undefined
  const now = new Map(current.columns.map((c) => [c.name, c.type]))
  const before = new Map(previous.columns.map((c) => [c.name, c.type]))
  const removed = [...before.keys()].filter((name) => !now.has(name))
  const retyped = [...before].filter(([name, type]) => now.has(name) && now.get(name) !== type).map(([name, type]) => `${name} ${type} → ${now.get(name)}`)
  const added = [...now.keys()].filter((name) => !before.has(name))
  // Added columns alone break nobody; drift is what can break a reader.
  if (removed.length === 0 && retyped.length === 0) return undefined
  return [
    removed.length ? `removed ${removed.join(', ')}` : '',
    retyped.length ? `retyped ${retyped.join(', ')}` : '',
    added.length ? `added ${added.join(', ')}` : '',
  ].filter(Boolean).join('; ')
}
