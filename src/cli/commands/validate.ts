import { resolve } from 'node:path'
import { buildGraph } from '../../graph/build-graph.js'
import { SQL_ANALYSIS_CACHE } from '../../sql/parse-cache.js'
import { loadAnalyzer } from '../../sql/referenced-tables.js'
import { loadProject } from '../../instance/load-project.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

/** `tributary validate`: checks every definition without running anything. */
export default defineCommand({
  name: 'validate',
  summary: 'check the project definitions without running anything',
  usage: 'tributary validate [--json]',
  help: 'Loads tributary.config.ts and reports every problem: duplicate keys, unknown dependencies,\ncycles, SQL that does not parse or reads unknown tables, bad durations, time zones and checks.',
  options: {},
  async run(ctx) {
    const { project } = await loadProject(ctx.projectDir)
    if (project?.warehouse?.type === 'postgres') await loadAnalyzer('postgres')
    const { graph, problems } = buildGraph(project, { cacheFile: resolve(ctx.projectDir, project.stateDir ?? '.tributary', SQL_ANALYSIS_CACHE) })
    if (ctx.json) {
      ctx.out(JSON.stringify({ valid: problems.length === 0, assets: graph?.nodes.size ?? 0, problems: problems.map((p) => ({ ...p.toJSON() })) }, null, 2))
    } else if (problems.length === 0) {
      ctx.out(`${style.green('✓')} ${project.name}: ${graph!.nodes.size} assets and sources, no problems`)
    } else {
      for (const problem of problems) {
        ctx.out(`${style.red(problem.code)} ${problem.context.assetKey ? style.bold(problem.context.assetKey) + ': ' : ''}${problem.detail}`)
        if (problem.hint) ctx.out(`        ${style.dim(`hint: ${problem.hint}`)}`)
      }
      ctx.out(style.red(`\n${problems.length} problem${problems.length === 1 ? '' : 's'}`))
    }
    return problems.length === 0 ? Exit.Ok : Exit.Usage
  },
})
