import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'
import { columnLineage } from '../column-lineage-output.js'

/** `tributary lineage <asset>`: what it reads and what reads it, derived from code. */
export default defineCommand({
  name: 'lineage',
  summary: 'show what an asset reads (upstream) and what reads it (downstream)',
  usage: 'tributary lineage <asset>[.<column>] [--upstream | --downstream] [--json]',
  help: [
    '  --upstream     only what it reads, transitively',
    '  --downstream   only what reads it, transitively',
    '',
    'With .<column> (marts/revenue.amount): column lineage, each edge marked copy, transform,',
    'filter (used to filter, join or group) or asset (TypeScript code, traced only per asset).',
  ].join('\n'),
  options: { upstream: { type: 'boolean' }, downstream: { type: 'boolean' } },
  async run(ctx) {
    const key = ctx.positionals[0]
    if (!key) {
      ctx.err('usage: tributary lineage <asset> [--upstream | --downstream]')
      return Exit.Usage
    }
    const direction = ctx.values.upstream && !ctx.values.downstream ? 'upstream' : ctx.values.downstream && !ctx.values.upstream ? 'downstream' : 'both'
    const instance = await openProject(ctx)
    try {
      // Asset keys hold no '.', so `marts/revenue.amount` is a column of marts/revenue.
      if (key.includes('.')) return await columnLineage(ctx, instance, key, direction)
      const lineage = instance.lineage(key, direction)
      if (ctx.json) {
        ctx.out(JSON.stringify({ key, ...lineage, edges: [...lineage.upstream, key, ...lineage.downstream].flatMap((k) => instance.graph.get(k).upstream.map((u) => ({ from: u, to: k }))) }, null, 2))
        return Exit.Ok
      }
      const tree = (start: string, next: (k: string) => readonly string[], arrow: string, depth = 1, seen = new Set<string>()): string[] =>
        next(start).flatMap((child) => (seen.has(child) ? [`${'  '.repeat(depth)}${arrow} ${child} ${style.dim('(see above)')}`] : (seen.add(child), [`${'  '.repeat(depth)}${arrow} ${child}`, ...tree(child, next, arrow, depth + 1, seen)])))
      ctx.out(style.bold(key))
      if (direction !== 'downstream') {
        ctx.out(style.dim(' reads (upstream):'))
        ctx.out(tree(key, (k) => instance.graph.get(k).upstream, '←').join('\n') || style.dim('  nothing'))
      }
      if (direction !== 'upstream') {
        ctx.out(style.dim(' read by (downstream):'))
        ctx.out(tree(key, (k) => instance.graph.get(k).downstream, '→').join('\n') || style.dim('  nothing'))
      }
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
