// Runs submitted to the live control plane, followed from its events, reported like local runs.
import type { RecoveredRun } from '../engine/recovery.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { ApiRunDetail, ApiStep } from '../server/api-types.js'
import type { RunStatus, StepStatus } from '../store/records.js'
import { Exit, type CommandContext } from './command.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { statusLabel, style } from './format.js'
import type { ProgressDisplay } from './progress-display.js'
import { reportError } from './report-error.js'
import { onStopSignals, signalExitCode, type StopSignal } from './stop-signals.js'

/** How a run ended, as `materialize` and `backfill` report it, wherever it ran. */
export interface RunOutcome {
  readonly runId: string
  readonly status: RunStatus
  readonly counts: Readonly<Record<StepStatus, number>>
  readonly recovered: readonly RecoveredRun[]
  /** The run's steps as stored (JSON output). */
  readonly steps: readonly unknown[]
}

/** Prints the end of a run (one JSON document with --json) and returns the exit code: 0 succeeded, 1 otherwise, 128+n when a stop signal canceled it. */
export function reportOutcome(ctx: CommandContext, outcome: RunOutcome, stoppedBy?: StopSignal): number {
  if (ctx.json) {
    ctx.out(JSON.stringify({ runId: outcome.runId, status: outcome.status, counts: outcome.counts, recovered: outcome.recovered, steps: outcome.steps }, null, 2))
  } else {
    for (const run of outcome.recovered) ctx.out(style.yellow(`recovered run ${run.runId}: its process had died (${run.failed.length} step(s) marked failed, ${run.reconciled.length} publication(s) recorded)`))
    const parts = Object.entries(outcome.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`)
    ctx.out(`${statusLabel(outcome.status === 'succeeded' ? 'succeeded' : outcome.status === 'canceled' ? 'canceled' : 'failed')} run ${outcome.runId}: ${parts.join(', ')}`)
    if (outcome.status !== 'succeeded') ctx.out(style.dim(`details: tributary run ${outcome.runId}`))
  }
  // Stopped by a supervisor (SIGTERM, SIGHUP): say so with 128 + the signal's number.
  if (stoppedBy && stoppedBy !== 'SIGINT' && outcome.status === 'canceled') return signalExitCode(stoppedBy)
  return outcome.status === 'succeeded' ? Exit.Ok : Exit.NotOk
}

/** Reports `error` like any failure; losing the control plane (TRB6050) is Tributary's failure: exit 3. Other errors are rethrown. */
export function reportLost(ctx: CommandContext, error: unknown): number {
  if (!(error instanceof TributaryError) || error.code !== ErrorCode.ControlPlaneLost) throw error
  reportError(error, ctx.json, ctx.out, ctx.err)
  return Exit.Internal
}

/**
 * Starts a run on the control plane with `start` and follows it to its end through the
 * control plane's events, feeding `display`. A stop signal asks the control plane to cancel
 * the run (a second one quits at once). Returns null when `start` started nothing.
 */
export async function runRemotely(
  ctx: CommandContext, client: ControlPlaneClient, start: () => Promise<{ runId: string | null }>, display: ProgressDisplay | undefined,
  options: { pausable?: boolean } = {},
): Promise<{ outcome: RunOutcome; stoppedBy: StopSignal | undefined } | null> {
  // Subscribed before the run starts, so none of its events can be missed.
  const events = await client.events()
  let runId: string | null = null
  let stoppedBy: StopSignal | undefined
  let asked: 'pause' | 'cancel' | undefined
  const ask = () => {
    const path = asked === 'pause' ? `/api/backfills/${encodeURIComponent(runId!)}/pause` : `/api/runs/${encodeURIComponent(runId!)}/cancel`
    void client.request('POST', path).catch(() => undefined)
  }
  // As for a local run: a backfill's first Ctrl-C pauses it, the next cancels; anything else cancels; once canceling, a signal quits at once.
  const offSignals = onStopSignals((signal) => {
    if (asked === 'cancel') process.exit(signalExitCode(signal))
    const pause = options.pausable === true && signal === 'SIGINT' && asked === undefined
    asked = pause ? 'pause' : 'cancel'
    if (signal !== 'SIGINT') stoppedBy = signal
    ctx.err(style.yellow(pause ? '\npausing the run: running steps finish, no more start… (Ctrl-C again to cancel them)'
      : signal === 'SIGINT' ? '\ncanceling the run… (Ctrl-C again to quit at once)' : `\n${signal}: canceling the run… (${signal} again to quit at once)`))
    if (runId) ask()
  })
  try {
    runId = (await start()).runId
    if (!runId) return null
    if (asked) ask()
    ctx.err(style.dim(`submitted to the control plane of this project (tributary ${client.info.command}, pid ${client.info.pid}, ${client.info.url})`))
    await client.follow(events, runId, (event) => display?.onEvent(event))
    const detail = await client.request<ApiRunDetail>('GET', `/api/runs/${encodeURIComponent(runId)}`)
    return { outcome: outcomeOf(detail), stoppedBy }
  } finally {
    offSignals()
    events.close()
  }
}

function outcomeOf(detail: ApiRunDetail): RunOutcome {
  const counts: Record<StepStatus, number> = { queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, blocked: 0, skipped: 0, canceled: 0 }
  for (const step of detail.steps) counts[step.status]++
  return { runId: detail.run.id, status: detail.run.status, counts, recovered: [], steps: detail.steps.map((step) => storedStep(detail.run.id, step)) }
}

/** A step in the shape of the store's StepRecord, as local runs print it. */
function storedStep(runId: string, step: ApiStep) {
  return {
    runId, assetKey: step.assetKey, partition: step.partition, status: step.status, attempt: step.attempt, startedAt: step.startedAt,
    finishedAt: step.finishedAt, durationMs: step.durationMs, error: step.error, reason: step.reason,
  }
}
