import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { ago, statusLabel, style } from '../format.js'

/** `tributary ready <asset>`: is the data ready? Exit 0 when it is, 1 when not. */
export default defineCommand({
  name: 'ready',
  summary: 'answer "is the data ready?" for one asset (exit 0 ready, 1 not ready)',
  usage: 'tributary ready <asset> [--json]',
  help: 'Not ready comes with the reason chain down to the root cause and its owner.\n\nExample:\n  tributary ready dashboards/revenue && open .tributary/files/dashboards/revenue/current/index.html',
  options: {},
  async run(ctx) {
    const key = ctx.positionals[0]
    if (!key || ctx.positionals.length > 1) {
      ctx.err('usage: tributary ready <asset>')
      return Exit.Usage
    }
    const instance = await openProject(ctx)
    try {
      const status = await instance.ready(key)
      const { predictions, sla } = await instance.forecast([key])
      const prediction = predictions.get(key) ?? null
      const verdict = sla.get(key) ?? null
      if (ctx.json) {
        ctx.out(JSON.stringify({ ...status, prediction, sla: verdict }, null, 2))
      } else if (status.ready) {
        ctx.out(`${style.green('✓ ready')}  ${key} is fresh, updated ${ago(status.lastUpdated, instance.clock.now())}${status.owner ? style.dim(` · owner ${status.owner}`) : ''}`)
        if (verdict && verdict.state !== 'on_time') ctx.out(`  ${style.yellow(`SLA ${verdict.state.replace('_', ' ')}`)}: ${verdict.reason}`)
      } else {
        ctx.out(`${style.red('✗ not ready')}  ${key} is ${statusLabel(status.status)}${verdict && verdict.state !== 'on_time' ? `  ${style.yellow(`SLA ${verdict.state.replace('_', ' ')}`)}` : ''}`)
        for (const [index, link] of status.chain.entries()) {
          ctx.out(`${'  '.repeat(index + 1)}${index === 0 ? '' : '← '}${style.bold(link.key)} ${link.status}: ${link.message}${link.owner ? style.dim(` (owner ${link.owner})`) : ''}`)
        }
        if (status.rootCause) ctx.out(`\n  root cause: ${style.bold(status.rootCause.key)} — owner ${style.bold(status.rootCause.owner ?? 'not set')}`)
        if (prediction?.predictedAt) ctx.out(`  expected ready: ${style.bold(prediction.predictedAt.toISOString())} ${style.dim(`(${prediction.basis})`)}`)
        // Nothing will rebuild it until a person fixes something: say what and who, not a time.
        else if (prediction?.blockedBy) ctx.out(`  expected ready: ${style.yellow(prediction.basis)}`)
        else ctx.out(`  expected ready: ${style.yellow('unknown')} ${style.dim(`(${prediction?.basis ?? 'no history yet'})`)}`)
      }
      return status.ready ? Exit.Ok : Exit.NotOk
    } finally {
      await instance.close()
    }
  },
})
