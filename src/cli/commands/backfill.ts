import { stepId } from '../../engine/plan.js'
import { Tributary } from '../../instance/tributary.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { formatDuration } from '../../model/duration.js'
import { defineCommand, Exit, type CommandContext } from '../command.js'
import { ago, statusLabel, style, table } from '../format.js'
import { ProgressDisplay } from '../progress-display.js'
import { onStopSignals, signalExitCode, type StopSignal } from '../stop-signals.js'
import { findControlPlane } from '../../instance/control-plane.js'
import type { ApiBackfillStarted } from '../../server/api-types.js'
import type { RunStatus, StepStatus } from '../../store/records.js'
import { ControlPlaneClient } from '../control-plane-client.js'
import { reportLost, runRemotely } from '../remote-run.js'

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
      const live = await findControlPlane(instance.stateDir)
      if (live && ctx.values['dry-run']) return await planRemotely(ctx, new ControlPlaneClient(live), { selection, ...options, dryRun: true }).catch((error: unknown) => reportLost(ctx, error))
      if (ctx.values['dry-run']) {
        const planned = await instance.planBackfill(selection, options)
        if (ctx.json) ctx.out(JSON.stringify({ identity: planned.identity, alreadyDone: planned.alreadyDone, resumes: planned.resumes, steps: planned.plan.steps }, null, 2))
        else {
          for (const step of planned.plan.steps) ctx.out(`${stepId(step)}${step.upstreamInRun.length ? style.dim(`  after ${step.upstreamInRun.slice(0, 3).join(', ')}${step.upstreamInRun.length > 3 ? ` +${step.upstreamInRun.length - 3}` : ''}`) : ''}`)
          ctx.out(style.dim(`${planned.plan.steps.length} step(s)${planned.alreadyDone ? `; ${planned.alreadyDone} already published by run ${planned.resumes}` : ''}`))
        }
        return Exit.Ok
      }
      if (live) return await backfillRemotely(ctx, new ControlPlaneClient(live), { selection, ...options, ...(concurrency ? { concurrency } : {}) }).catch((error: unknown) => reportLost(ctx, error))
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
        // Another run of this project (a CLI without a control plane) holds the warehouse: wait for it, saying who.
        await instance.waitForWarehouse({ signal: controller.signal, onWait: (holder) => ctx.err(style.yellow(`waiting for the warehouse: ${holder}`)) })
        const result = await instance.backfill(selection, {
          ...options, ...(concurrency ? { concurrency } : {}), signal: controller.signal, pauseSignal: pauser.signal, ...(display ? { onProgress: display.onEvent } : {}),
        })
        return reportBackfill(ctx, result, stoppedBy)
      } finally {
        offSignals()
      }
    } finally {
      await instance.close()
    }
  },
})

/** How a backfill ended, wherever it ran. */
interface BackfillResult {
  readonly runId: string | null
  readonly status: RunStatus
  readonly counts: Readonly<Record<StepStatus, number>> | null
  readonly alreadyDone: number
  readonly resumes: string | null
}

/** Prints the end of a backfill (one JSON document with --json) and returns the exit code. */
function reportBackfill(ctx: CommandContext, result: BackfillResult, stoppedBy: StopSignal | undefined): number {
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
  if (stoppedBy && stoppedBy !== 'SIGINT' && result.status === 'canceled') return signalExitCode(stoppedBy)
  return result.status === 'succeeded' ? Exit.Ok : Exit.NotOk
}

/** Submits the backfill to the live control plane (POST /api/backfills) and follows it like a local one. */
async function backfillRemotely(ctx: CommandContext, client: ControlPlaneClient, body: Record<string, unknown>): Promise<number> {
  const display = ctx.json ? undefined : new ProgressDisplay((t) => process.stderr.write(t), ctx.isTty)
  let started: ApiBackfillStarted | undefined
  const remote = await runRemotely(ctx, client, async () => (started = await client.request<ApiBackfillStarted>('POST', '/api/backfills', body)), display, { pausable: true })
  const planned = { alreadyDone: started!.alreadyDone, resumes: started!.resumes }
  if (!remote) return reportBackfill(ctx, { runId: null, status: 'succeeded', counts: null, ...planned }, undefined)
  return reportBackfill(ctx, { runId: remote.outcome.runId, status: remote.outcome.status, counts: remote.outcome.counts, ...planned }, remote.stoppedBy)
}

/** The plan of a backfill from the live control plane (its warehouse settles dead runs first): steps per asset. */
async function planRemotely(ctx: CommandContext, client: ControlPlaneClient, body: Record<string, unknown>): Promise<number> {
  const planned = await client.request<ApiBackfillStarted>('POST', '/api/backfills', body)
  if (ctx.json) ctx.out(JSON.stringify(planned, null, 2))
  else {
    for (const asset of planned.assets) ctx.out(`${asset.key}${asset.first === null ? '' : ` [${asset.first === asset.last ? asset.first : `${asset.first} … ${asset.last}`}]`}${style.dim(`  ${asset.partitions} step(s)`)}`)
    ctx.out(style.dim(`${planned.total} step(s)${planned.alreadyDone ? `; ${planned.alreadyDone} already published by run ${planned.resumes}` : ''}`))
  }
  return Exit.Ok
}

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
