import type { AssetGraph } from '../graph/asset-graph.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { AssetStateSummary, ObservationRecord } from '../store/records.js'
import type { Store } from '../store/store.js'
import { breakingChange, describeSchemaChange, type SchemaChange } from './schema-change.js'

/** A reader that would break on its source's new schema: a column it reads was removed or retyped. */
export interface SchemaBreak {
  readonly reader: string
  readonly source: string
  /** The source's owner: the root cause is theirs. */
  readonly owner: string | null
  /** What changed since the schema the reader was last built from. */
  readonly change: SchemaChange
  /** The removed or retyped columns the reader reads. */
  readonly columns: readonly string[]
  /** "removed amount, which marts/x reads". */
  readonly detail: string
  /** "upstream landing/crm changed its schema: removed amount, which marts/x reads (owner team:crm)". */
  readonly message: string
}

/** How many of a source's latest changes are searched for the version a reader was built from. Default: 200. */
const HISTORY_SEARCHED = 200

/**
 * The readers (of `readers`; default: every direct reader of a source observed with columns) that a source's observed schema breaks. A reader
 * breaks when its source's schema has changed since the version it was last built from, a
 * removed or retyped column is one it reads, and its own code is unchanged since (a changed
 * reader is its owner's answer to the change: it runs). Which columns a reader reads is
 * approximated: a SQL reader reads the columns its SQL text mentions (as a word); a TypeScript
 * reader (a loader) reads a column when its last published table had it and a SQL asset
 * reading that table mentions it. Partitioned readers are not judged. Reads history only for
 * readers built from an older version, so a settled project costs no query.
 */
export async function findSchemaBreaks(
  graph: AssetGraph, states: ReadonlyMap<string, AssetStateSummary>, observations: ReadonlyMap<string, ObservationRecord>, store: Pick<Store, 'listObservations' | 'listMaterializations'>,
  readers?: readonly string[],
): Promise<Map<string, SchemaBreak>> {
  const breaks = new Map<string, SchemaBreak>()
  const histories = new Map<string, Promise<ObservationRecord[]>>()
  const history = (source: string) => {
    let found = histories.get(source)
    if (!found) histories.set(source, (found = store.listObservations(source, { limit: HISTORY_SEARCHED })))
    return found
  }
  // Only direct readers of sources observed with columns can break: walk from those sources, not the whole graph.
  const keys = readers ?? [...new Set([...observations.values()].flatMap((o) => (o.columns ? graph.nodes.get(o.sourceKey)?.downstream ?? [] : [])))]
  for (const key of keys) {
    const node = graph.nodes.get(key)
    if (!node || node.def.type === 'source' || node.partitions) continue
    const def = node.def
    const built = states.get(key)?.lastMaterialization
    if (!built || built.codeVersion !== node.codeVersion) continue
    for (const source of node.upstream) {
      const current = observations.get(source)
      const used = built.inputVersions[source]
      if (graph.get(source).def.type !== 'source' || !current?.columns || used === undefined || used === current.dataVersion) continue
      const then = (await history(source)).find((o) => o.dataVersion === used)
      const change = breakingChange(then, current)
      if (!change) continue
      const changed = [...change.removed, ...change.retyped.map((r) => r.name)]
      const passedTo = def.type === 'sql' ? [] : await passedOn(graph, store, key, changed)
      const columns = def.type === 'sql' ? referencedColumns(def.sql, changed) : [...new Set(passedTo.flatMap((p) => p.columns))]
      if (columns.length === 0) continue
      const owner = graph.get(source).def.owner ?? null
      // Only what this reader reads is its problem: "removed amount, which marts/x reads".
      const read = describeSchemaChange({ removed: change.removed.filter((c) => columns.includes(c)), retyped: change.retyped.filter((r) => columns.includes(r.name)), added: [] })
      const detail = def.type === 'sql' ? `${read}, which ${key} reads` : `${read}, which ${key} passes on to ${passedTo.map((p) => p.reader).join(', ')}`
      breaks.set(key, { reader: key, source, owner, change, columns, detail, message: `upstream ${source} changed its schema: ${detail}${owner ? ` (owner ${owner})` : ''}` })
      break
    }
  }
  return breaks
}

/** Of `changed`, the columns a TypeScript reader published last time, per SQL asset reading its table that mentions them. */
async function passedOn(graph: AssetGraph, store: Pick<Store, 'listMaterializations'>, key: string, changed: readonly string[]): Promise<{ reader: string; columns: string[] }[]> {
  const sqlReaders = graph.get(key).downstream.map((k) => graph.get(k).def).flatMap((d) => (d.type === 'sql' ? [d] : []))
  if (sqlReaders.length === 0) return []
  const published = new Set(((await store.listMaterializations(key, { limit: 1 }))[0]?.columns ?? []).map((c) => c.name.toLowerCase()))
  const kept = changed.filter((c) => published.has(c.toLowerCase()))
  return sqlReaders.flatMap((d) => {
    const columns = referencedColumns(d.sql, kept)
    return columns.length > 0 ? [{ reader: d.key, columns }] : []
  })
}

/** The names in `columns` that `sql` mentions as a whole word (bare or quoted), case-insensitively. */
export function referencedColumns(sql: string, columns: readonly string[]): string[] {
  const text = sql.toLowerCase()
  return columns.filter((column) => {
    const name = column.toLowerCase()
    for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
      const before = text[at - 1] ?? ' '
      const after = text[at + name.length] ?? ' '
      if (!/[\w$]/.test(before) && !/[\w$]/.test(after)) return true
    }
    return false
  })
}

/** A step not run because a source's new schema breaks it (TRB3020): the source's problem, not the reader's. */
export class UpstreamSchemaChangedError extends TributaryError {
  override readonly name = 'UpstreamSchemaChangedError'
  constructor(found: SchemaBreak) {
    super(ErrorCode.UpstreamSchemaChanged, `${found.reader} not run: ${found.message}`, {
      context: { assetKey: found.reader, upstream: found.source },
      hint: `Ask ${found.owner ?? `the owner of ${found.source}`} to restore ${found.columns.join(', ')}, or change the SQL of ${found.reader} (or its version) for the new schema; a changed asset runs again.`,
    })
  }
}
