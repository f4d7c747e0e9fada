import { stepId } from '../../engine/plan.js'
import { Tributary } from '../../instance/tributary.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { formatDuration } from '../../model/duration.js'
import { defineCommand, Exit, type CommandContext } from '../command.js'
import { ago, statusLabel, style, table } from '../format.js'
import { ProgressDisplay } from '../progress-display.js'
import { onStopSignals, signalExitCode, type StopSignal } from '../stop-signals.js'

/** `tributary backfill <selection> --from --to`: rebuilds a partition range and everything downstream of it. */
export default defineCommand({
  name: 'backfill',
  summary: 'rebuild a range of partitions and everything downstream of them',
  usage: 'tributary backfill [selection…] (--from <key> --to <key> | --partition <key> | --resume <runId>) [--only missing|failed|all] [--concurrency n] [--dry-run] [--json]\n       tributary backfill --list | --pause <runId> | --cancel <runId> [--json]',
  help: [
    'Plans every (asset, partition) of the selection in the range, plus every partition',
    'downstream of them, and runs them as one run in dependency order. Re-running the same',
    'backfill after a crash or Ctrl-C skips what it already published.',
    '',
    '  --from <key> --to <key>   the range, both ends included',
    '  --partition <key>         one partition',
    '  --only <scope>            missing (default): never published; failed: failed, blocked,',
    '                            skipped or canceled last time, or stale (code or upstream data',
    '                            changed since); all: everything',
    '  --concurrency n           steps at once (default: the project\'s concurrency)',
    '  --resume <runId>          continue that backfill run (paused, canceled, failed or crashed)',
    '  --dry-run                 print the plan without running it',
    '',
    'Watching and steering backfills (also those another process runs):',
    '  --list                    the latest backfills with their progress and ETA',
    '  --pause <runId>           running steps finish and publish, no more start; the run ends paused',
    '  --cancel <runId>          running steps stop now',
    '',
    'Ctrl-C while a backfill runs pauses it; a second Ctrl-C cancels it; a third quits at once.',
    'SIGTERM or SIGHUP cancels it at once (exit 143 or 129); resume it later with --resume.',
    '',
    'Examples:',
    '  tributary backfill raw/payments --from 2026-01-01 --to 2026-03-31',
    '  tributary backfill raw/payments --partition 2026-03-03 --only all',
    '  tributary backfill --pause 20261122-053012-a1b2c3 && tributary backfill --resume 20261122-053012-a1b2c3',
  ].join('\n'),
  options: {
    from: { type: 'string' }, to: { type: 'string' }, partition: { type: 'string' }, only: { type: 'string' },
    concurrency: { type: 'string' }, resume: { type: 'string' }, 'dry-run': { type: 'boolean' },
    list: { type: 'boolean' }, pause: { type: 'string' }, cancel: { type: 'string' },
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
      if (ctx.values.list) return await listBackfills(ctx, instance)
      for (const request of ['pause', 'cancel'] as const) {
        const runId = ctx.values[request]
        if (typeof runId !== 'string') continue
        const run = await (request === 'pause' ? instance.pause(runId) : instance.cancel(runId))
        if (ctx.json) ctx.out(JSON.stringify(run, null, 2))
        else ctx.out(`${request === 'pause' ? 'pause' : 'cancel'} requested for backfill run ${run.id}: ${request === 'pause' ? 'its running steps finish and publish, no more start' : 'its running steps stop'}. The process running it acts within a second.${request === 'pause' ? `\nresume: tributary backfill --resume ${run.id}` : ''}`)
        return Exit.Ok
      }
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
      const pauser = new AbortController()
      // First Ctrl-C pauses (running steps finish), the second cancels, the third quits. SIGTERM and
      // SIGHUP come from supervisors that kill soon after: they cancel at once (the run stays resumable).
      let stoppedBy: StopSignal | undefined
      const offSignals = onStopSignals((signal) => {
        if (controller.signal.aborted) process.exit(signalExitCode(signal))
        if (signal !== 'SIGINT') {
          stoppedBy = signal
          ctx.err(style.yellow(`\n${signal}: canceling the backfill… (${signal} again to quit at once; resume: tributary backfill --resume <runId>)`))
          controller.abort()
          return
        }
        if (pauser.signal.aborted) {
          ctx.err(style.yellow('\ncanceling the backfill… (Ctrl-C again to quit at once; re-run the same command to resume)'))
          controller.abort()
          return
        }
        ctx.err(style.yellow('\npausing the backfill: running steps finish, no more start… (Ctrl-C again to cancel them)'))
        pauser.abort()
      })
      const display = ctx.json ? undefined : new ProgressDisplay((t) => process.stderr.write(t), ctx.isTty)
      try {
        const result = await instance.backfill(selection, {
          ...options, ...(concurrency ? { concurrency } : {}), signal: controller.signal, pauseSignal: pauser.signal, ...(display ? { onProgress: display.onEvent } : {}),
        })
        if (ctx.json) ctx.out(JSON.stringify({ runId: result.runId, status: result.status, counts: result.counts, alreadyDone: result.alreadyDone, resumes: result.resumes }, null, 2))
        else {
          if (result.resumes) ctx.out(style.yellow(`resuming backfill run ${result.resumes}: ${result.alreadyDone} partition(s) already published`))
          if (!result.runId) ctx.out(`${statusLabel('succeeded')} nothing to backfill`)
          else {
            const parts = Object.entries(result.counts ?? {}).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`)
            ctx.out(`${statusLabel(result.status)} backfill run ${result.runId}: ${parts.join(', ')}`)
            if (result.status !== 'succeeded') ctx.out(style.dim(`details: tributary run ${result.runId}; resume: tributary backfill --resume ${result.runId}`))
          }
        }
        if (stoppedBy && result.status === 'canceled') return signalExitCode(stoppedBy)
        return result.status === 'succeeded' ? Exit.Ok : Exit.NotOk
      } finally {
        offSignals()
      }
    } finally {
      await instance.close()
    }
  },
})

async function listBackfills(ctx: CommandContext, instance: Tributary): Promise<number> {
  const backfills = await instance.listBackfills({ limit: 20 })
  if (ctx.json) {
    ctx.out(JSON.stringify(backfills, null, 2))
    return Exit.Ok
  }
  if (backfills.length === 0) {
    ctx.out(style.dim('no backfills yet: tributary backfill <selection> --from <key> --to <key>'))
    return Exit.Ok
  }
  const now = instance.clock.now()
  ctx.out(table(['RUN', 'STATUS', 'PROGRESS', 'ETA', 'STARTED', 'BACKFILL'], backfills.map(({ run, done, total, counts, etaMs }) => {
    const failed = counts.failed + counts.blocked + counts.skipped
    return [
      run.id, statusLabel(run.status) + (run.requested ? style.yellow(` (${run.requested} requested)`) : ''),
      `${bar(done, total)} ${done}/${total}${failed ? style.red(` ${failed} not ok`) : ''}`,
      etaMs === null ? '—' : formatDuration(etaMs), ago(run.startedAt, now), run.selection.replace(/^backfill /, ''),
    ]
  })))
  return Exit.Ok
}

function bar(done: number, total: number, width = 12): string {
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `${style.cyan('█'.repeat(filled))}${style.dim('░'.repeat(width - filled))}`
}
