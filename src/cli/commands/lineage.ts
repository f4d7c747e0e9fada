import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

/** `tributary lineage <asset>`: what it reads and what reads it, derived from code. */
export default defineCommand({
  name: 'lineage',
  summary: 'show what an asset reads (upstream) and what reads it (downstream)',
  usage: 'tributary lineage <asset> [--upstream | --downstream] [--json]',
  help: '  --upstream     only what it reads, transitively\n  --downstream   only what reads it, transitively',
  options: { upstream: { type: 'boolean' }, downstream: { type: 'boolean' } },
  async run(ctx) {
    const key = ctx.positionals[0]
    if (!key) {
      ctx.err('usage: tributary lineage <asset> [--upstream | --downstream]')
      return Exit.Usage
    }
    const direction = ctx.values.upstream && !ctx.values.downstream ? 'upstream' : ctx.values.downstream && !ctx.values.upstream ? 'downstream' : 'both'
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
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
