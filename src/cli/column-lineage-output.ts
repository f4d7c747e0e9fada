import type { ColumnEdge } from '../graph/column-lineage.js'
import type { Tributary } from '../instance/tributary.js'
import { Exit, type CommandContext } from './command.js'
import { style } from './format.js'

const KIND_LABEL: Record<ColumnEdge['kind'], string> = {
  copy: 'copy', transform: 'transform', filter: 'filter/join', asset: 'asset level: TypeScript code is not traced per column',
}

/** `tributary lineage <asset>.<column>`: the column's sources and readers, as trees or JSON. */
export async function columnLineage(ctx: CommandContext, instance: Tributary, ref: string, direction: 'upstream' | 'downstream' | 'both'): Promise<number> {
  const dot = ref.lastIndexOf('.')
  const [asset, column] = [ref.slice(0, dot), ref.slice(dot + 1)]
  instance.lineage(asset, 'upstream') // TRB2003 (with did-you-mean) for an unknown asset
  const lineage = await instance.columnLineage()
  const upstream = direction === 'downstream' ? [] : lineage.upstream(asset, column)
  const downstream = direction === 'upstream' ? [] : lineage.downstream(asset, column)
  const schema = lineage.schemaOf(asset)
  const known = schema?.columns.map((c) => c.name) ?? []
  // A non-exact contract guarantees some columns; the table may hold more, so only a recorded or exact schema refutes a name.
  const exact = schema !== undefined && (schema.from !== 'contract' || instance.graph.get(asset).def.contract?.exact === true)
  if (upstream.length === 0 && downstream.length === 0 && exact && !known.some((c) => c.toLowerCase() === column.toLowerCase())) {
    ctx.err(`${style.red('TRB2003')} ${asset} has no column ${column}\n        ${style.dim(`hint: its columns: ${known.join(', ')}`)}`)
    return Exit.Usage
  }
  // Columns not known yet: say so, and name who reads the asset (at asset granularity), rather than guess.
  const note = schema ? undefined : `the columns of ${asset} are not known yet: they are recorded when it is first ${instance.graph.get(asset).def.type === 'source' ? 'observed' : 'published'}, or declared by a contract`
  const readers = instance.graph.get(asset).downstream.map((key) => ({ asset: key, owner: instance.graph.get(key).def.owner ?? null }))
  if (ctx.json) {
    ctx.out(JSON.stringify({ asset, column, columnsKnown: schema !== undefined, ...(note ? { note, readers } : {}), upstream, downstream }, null, 2))
    return Exit.Ok
  }
  const label = (end: { asset: string; column: string }) => `${end.asset}.${end.column === '*' ? style.dim('*') : end.column}`
  const tree = (from: { asset: string; column: string }, edges: readonly ColumnEdge[], up: boolean, depth = 1, seen = new Set<string>()): string[] => {
    const next = edges.filter((e) => {
      const here = up ? e.to : e.from
      return here.asset === from.asset && (here.column.toLowerCase() === from.column.toLowerCase() || here.column === '*' || from.column === '*')
    })
    return next.flatMap((edge) => {
      const other = up ? edge.from : edge.to
      const id = `${other.asset}.${other.column}`
      const line = `${'  '.repeat(depth)}${up ? '←' : '→'} ${label(other)}  ${style.dim(`(${KIND_LABEL[edge.kind]})`)}`
      if (seen.has(id)) return [`${line} ${style.dim('(see above)')}`]
      seen.add(id)
      return [line, ...tree(other, edges, up, depth + 1, seen)]
    })
  }
  ctx.out(style.bold(`${asset}.${column}`))
  if (note) ctx.out(style.yellow(` ${note}`))
  if (direction !== 'downstream') {
    ctx.out(style.dim(' comes from (upstream):'))
    ctx.out(tree({ asset, column }, upstream, true).join('\n') || style.dim('  nothing traced'))
  }
  if (direction !== 'upstream') {
    ctx.out(style.dim(' read by (downstream):'))
    ctx.out(tree({ asset, column }, downstream, false).join('\n') || style.dim('  nothing'))
    if (note && readers.length > 0) {
      ctx.out(style.dim(' read by (asset level: which of its columns each reads is not known yet):'))
      ctx.out(readers.map((r) => `  → ${r.asset}${r.owner ? style.dim(` (owner ${r.owner})`) : ''}`).join('\n'))
    }
  }
  return Exit.Ok
}
