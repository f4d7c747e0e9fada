import { formatDuration } from '../../model/duration.js'
import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { statusLabel, style, table } from '../format.js'
import { followRun } from '../follow-run.js'
import { formatLogLine } from '../log-lines.js'
import type { RunStatus } from '../../store/records.js'

/** `tributary run <id>`: one run's steps, durations, errors and logs. */
export default defineCommand({
  name: 'run',
  summary: "show one run: its steps, durations, errors and logs",
  usage: 'tributary run <run-id> [--follow] [--json]',
  help: [
    'Run ids are listed by `tributary runs`. Logs are each step\'s ctx.log lines and its stdout and',
    'stderr, with timestamps, kept per step attempt up to a limit (a [log truncated] line says so).',
    '',
    '  --follow   print the run\'s progress and logs as they happen, whichever process runs it,',
    '             until it ends; exits 0 when it succeeded, 1 otherwise (Ctrl-C stops following,',
    '             not the run). With --json: one document once it ends.',
  ].join('\n'),
  options: { follow: { type: 'boolean', short: 'f' } },
  async run(ctx) {
    const runId = ctx.positionals[0]
    if (!runId) {
      ctx.err('usage: tributary run <run-id>')
      return Exit.Usage
    }
    const instance = await openProject(ctx)
    try {
      let status: RunStatus | undefined
      if (ctx.values.follow) {
        await instance.run(runId)
        status = await followRun(instance.store, runId, ctx.json ? undefined : (text) => process.stdout.write(text))
        if (!ctx.json) ctx.out('')
      }
      const detail = await instance.run(runId)
      const code = status === undefined || status === 'succeeded' ? Exit.Ok : Exit.NotOk
      if (ctx.json) {
        ctx.out(JSON.stringify(detail, null, 2))
        return code
      }
      const { run, steps, logs } = detail
      ctx.out(`${style.bold(`run ${run.id}`)}  ${statusLabel(run.status === 'failed' ? 'failed' : run.status)}  started ${run.startedAt.toISOString()}${run.finishedAt ? `, took ${formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())}` : ''}  ${style.dim(`trigger ${run.trigger}, pid ${run.pid}`)}`)
      if (run.error) ctx.out(style.red(`  ${run.error.code}: ${run.error.message}`))
      ctx.out('')
      ctx.out(table(['STEP', 'STATUS', 'ATTEMPT', 'DURATION', 'DETAIL'], steps.map((step) => [
        step.partition ? `${step.assetKey} [${step.partition}]` : step.assetKey, statusLabel(step.status), step.attempt ? String(step.attempt) : '—',
        step.durationMs === null ? '—' : formatDuration(step.durationMs), step.error ? style.red(`${step.error.code}: ${step.error.message}`) : (step.reason ?? ''),
      ])))
      // Logs were printed as they came when following.
      if (logs.length > 0 && status === undefined) {
        ctx.out(style.bold('\nlogs'))
        const retried = steps.some((step) => step.attempt > 1)
        for (const log of logs) ctx.out(formatLogLine(log, retried))
      }
      return code
    } finally {
      await instance.close()
    }
  },
})
