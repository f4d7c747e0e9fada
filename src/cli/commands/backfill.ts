import { stepId } from '../../engine/plan.js'
import { Tributary } from '../../instance/tributary.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { defineCommand, Exit } from '../command.js'
import { statusLabel, style } from '../format.js'
import { ProgressDisplay } from '../progress-display.js'

/** `tributary backfill <selection> --from --to`: rebuilds a partition range and everything downstream of it. */
export default defineCommand({
  name: 'backfill',
  summary: 'rebuild a range of partitions and everything downstream of them',
  usage: 'tributary backfill [selection…] (--from <key> --to <key> | --partition <key> | --resume <runId>) [--only missing|failed|all] [--concurrency n] [--dry-run] [--json]',
  help: [
    'Plans every (asset, partition) of the selection in the range, plus every partition',
    'downstream of them, and runs them as one run in dependency order. Re-running the same',
    'backfill after a crash or Ctrl-C skips what it already published.',
    '',
    '  --from <key> --to <key>   the range, both ends included',
    '  --partition <key>         one partition',
    '  --only <scope>            missing (default): never published; failed: failed, blocked,',
    '                            skipped or canceled last time, or code changed; all: everything',
    '  --concurrency n           steps at once (default: the project\'s concurrency)',
    '  --resume <runId>          continue that backfill run',
    '  --dry-run                 print the plan without running it',
    '',
    'Examples:',
    '  tributary backfill raw/payments --from 2026-01-01 --to 2026-03-31',
    '  tributary backfill raw/payments --partition 2026-03-03 --only all',
  ].join('\n'),
  options: {
    from: { type: 'string' }, to: { type: 'string' }, partition: { type: 'string' }, only: { type: 'string' },
    concurrency: { type: 'string' }, resume: { type: 'string' }, 'dry-run': { type: 'boolean' },
  },
  async run(ctx) {
    const selection = ctx.positionals.join(' ')
    const concurrency = ctx.values.concurrency === undefined ? undefined : Number(ctx.values.concurrency)
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new TributaryError(ErrorCode.Usage, `--concurrency must be a whole number ≥ 1, got ${ctx.values.concurrency}`, { hint: 'e.g. --concurrency 4' })
    }
    const text = (name: string) => (typeof ctx.values[name] === 'string' ? { [name]: ctx.values[name] as string } : {})
    const options = { ...text('from'), ...text('to'), ...text('partition'), ...text('resume'), ...(ctx.values.only ? { only: ctx.values.only as 'missing' } : {}) }
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
      if (ctx.values['dry-run']) {
        const planned = await instance.planBackfill(selection, options)
        if (ctx.json) ctx.out(JSON.stringify({ identity: planned.identity, alreadyDone: planned.alreadyDone, resumes: planned.resumes, steps: planned.plan.steps }, null, 2))
        else {
          for (const step of planned.plan.steps) ctx.out(`${stepId(step)}${step.upstreamInRun.length ? style.dim(`  after ${step.upstreamInRun.slice(0, 3).join(', ')}${step.upstreamInRun.length > 3 ? ` +${step.upstreamInRun.length - 3}` : ''}`) : ''}`)
          ctx.out(style.dim(`${planned.plan.steps.length} step(s)${planned.alreadyDone ? `; ${planned.alreadyDone} already published by run ${planned.resumes}` : ''}`))
        }
        return Exit.Ok
      }
      const controller = new AbortController()
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130)
        ctx.err(style.yellow('\ncanceling the backfill… (Ctrl-C again to quit at once; re-run the same command to resume)'))
        controller.abort()
      }
      process.on('SIGINT', onSigint)
      const display = ctx.json ? undefined : new ProgressDisplay((t) => process.stderr.write(t), ctx.isTty)
      try {
        const result = await instance.backfill(selection, {
          ...options, ...(concurrency ? { concurrency } : {}), signal: controller.signal, ...(display ? { onProgress: display.onEvent } : {}),
        })
        if (ctx.json) ctx.out(JSON.stringify({ runId: result.runId, status: result.status, counts: result.counts, alreadyDone: result.alreadyDone, resumes: result.resumes }, null, 2))
        else {
          if (result.resumes) ctx.out(style.yellow(`resuming backfill run ${result.resumes}: ${result.alreadyDone} partition(s) already published`))
          if (!result.runId) ctx.out(`${statusLabel('succeeded')} nothing to backfill`)
          else {
            const parts = Object.entries(result.counts ?? {}).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`)
            ctx.out(`${statusLabel(result.status === 'succeeded' ? 'succeeded' : result.status === 'canceled' ? 'canceled' : 'failed')} backfill run ${result.runId}: ${parts.join(', ')}`)
            if (result.status !== 'succeeded') ctx.out(style.dim(`details: tributary run ${result.runId}; resume: tributary backfill --resume ${result.runId}`))
          }
        }
        return result.status === 'succeeded' ? Exit.Ok : Exit.NotOk
      } finally {
        process.off('SIGINT', onSigint)
      }
    } finally {
      await instance.close()
    }
  },
})
