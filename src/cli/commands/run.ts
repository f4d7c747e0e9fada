import { formatDuration } from '../../model/duration.js'
import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { statusLabel, style, table } from '../format.js'

/** `tributary run <id>`: one run's steps, durations, errors and logs. */
export default defineCommand({
  name: 'run',
  summary: "show one run: its steps, durations, errors and logs",
  usage: 'tributary run <run-id> [--json]',
  help: 'Run ids are listed by `tributary runs`.',
  options: {},
  async run(ctx) {
    const runId = ctx.positionals[0]
    if (!runId) {
      ctx.err('usage: tributary run <run-id>')
      return Exit.Usage
    }
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
      const detail = await instance.run(runId)
      if (ctx.json) {
        ctx.out(JSON.stringify(detail, null, 2))
        return Exit.Ok
      }
      const { run, steps, logs } = detail
      ctx.out(`${style.bold(`run ${run.id}`)}  ${statusLabel(run.status === 'failed' ? 'failed' : run.status)}  started ${run.startedAt.toISOString()}${run.finishedAt ? `, took ${formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())}` : ''}  ${style.dim(`trigger ${run.trigger}, pid ${run.pid}`)}`)
      if (run.error) ctx.out(style.red(`  ${run.error.code}: ${run.error.message}`))
      ctx.out('')
      ctx.out(table(['STEP', 'STATUS', 'ATTEMPT', 'DURATION', 'DETAIL'], steps.map((step) => [
        step.partition ? `${step.assetKey} [${step.partition}]` : step.assetKey, statusLabel(step.status), step.attempt ? String(step.attempt) : '—',
        step.durationMs === null ? '—' : formatDuration(step.durationMs), step.error ? style.red(`${step.error.code}: ${step.error.message}`) : (step.reason ?? ''),
      ])))
      if (logs.length > 0) {
        ctx.out(style.bold('\nlogs'))
        for (const log of logs) ctx.out(`  ${style.dim(log.at.toISOString().slice(11, 23))} ${log.level === 'info' ? '' : log.level === 'warn' ? style.yellow('warn ') : style.red('error ')}${style.cyan(log.assetKey)} ${log.message}`)
      }
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
