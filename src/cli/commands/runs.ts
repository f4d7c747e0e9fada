import { formatDuration } from '../../model/duration.js'
import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { ago, statusLabel, style, table } from '../format.js'

/** `tributary runs`: recent runs, newest first. */
export default defineCommand({
  name: 'runs',
  summary: 'list recent runs, newest first',
  usage: 'tributary runs [--limit n] [--status running|succeeded|failed|canceled|paused] [--json]',
  help: '  --limit n    how many (default: 20)\n  --status s   only runs with this status',
  options: { limit: { type: 'string' }, status: { type: 'string' } },
  async run(ctx) {
    const limit = Number(ctx.values.limit ?? 20)
    const status = ctx.values.status as string | undefined
    if (!Number.isInteger(limit) || limit < 1 || (status && !['running', 'succeeded', 'failed', 'canceled', 'paused'].includes(status))) {
      ctx.err('usage: tributary runs [--limit n] [--status running|succeeded|failed|canceled|paused]')
      return Exit.Usage
    }
    const instance = await openProject(ctx)
    try {
      // A run whose process died is settled first, so it is not listed as running.
      await instance.settleDeadRuns()
      const runs = await instance.store.listRuns({ limit, ...(status ? { status: status as 'failed' } : {}) })
      if (ctx.json) {
        ctx.out(JSON.stringify(runs, null, 2))
        return Exit.Ok
      }
      if (runs.length === 0) ctx.out(style.dim('no runs yet: tributary materialize'))
      else ctx.out(table(['RUN', 'STATUS', 'STARTED', 'DURATION', 'STEPS', 'SELECTION'], runs.map((run) => [
        run.id, statusLabel(run.status === 'failed' ? 'failed' : run.status), ago(run.startedAt, instance.clock.now()),
        run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '—', String(run.stepCount), run.selection || style.dim('(all)'),
      ])))
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
