import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { statusLabel, style } from '../format.js'
import { ProgressDisplay } from '../progress-display.js'
import { stepId } from '../../engine/plan.js'
import { onStopSignals, signalExitCode, type StopSignal } from '../stop-signals.js'

/** `tributary materialize [selection]`: builds the selected assets in dependency order. */
export default defineCommand({
  name: 'materialize',
  summary: 'build the selected assets (default: all) in dependency order',
  usage: 'tributary materialize [selection…] [--partition <key> | --from <key> --to <key>] [--force] [--dry-run] [--json]',
  help: [
    'Each asset is written to staging, checked, then published atomically. A failed or',
    'blocked asset skips only its downstream. Ctrl-C, SIGTERM or SIGHUP cancels the run',
    'cleanly (recorded canceled; exit 1 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP).',
    '',
    '  --partition <key>      build this partition of the selected partitioned assets',
    '  --from <key> --to <key> build every partition in this range (inclusive)',
    '  --dry-run              print the plan without running it',
    '  --force                build every selected step, even those up to date',
    '',
    'A step whose code and input versions equal those of its last published materialization',
    'is skipped as up to date (nothing runs, nothing is published).',
    '',
    'Examples:',
    '  tributary materialize                      everything',
    '  tributary materialize +marts/revenue       marts/revenue and all it reads',
    '  tributary materialize tag:finance,kind:table',
    '  tributary materialize raw/payments+ --partition 2026-03-01',
  ].join('\n'),
  options: { 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, partition: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  async run(ctx) {
    const selection = ctx.positionals.join(' ')
    const partitions = {
      ...(typeof ctx.values.partition === 'string' ? { partition: ctx.values.partition } : {}),
      ...(typeof ctx.values.from === 'string' ? { from: ctx.values.from } : {}),
      ...(typeof ctx.values.to === 'string' ? { to: ctx.values.to } : {}),
    }
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
      if (ctx.values['dry-run']) {
        const plan = instance.plan(selection, partitions)
        if (ctx.json) ctx.out(JSON.stringify({ steps: plan.steps }, null, 2))
        else for (const step of plan.steps) ctx.out(`${stepId(step)}${step.upstreamInRun.length ? style.dim(`  after ${step.upstreamInRun.join(', ')}`) : ''}`)
        return Exit.Ok
      }
      const controller = new AbortController()
      // Ctrl-C, SIGTERM and SIGHUP cancel the run cleanly (it is recorded canceled); a second one quits at once.
      let stoppedBy: StopSignal | undefined
      const offSignals = onStopSignals((signal) => {
        if (controller.signal.aborted) process.exit(signalExitCode(signal))
        stoppedBy = signal
        ctx.err(style.yellow(signal === 'SIGINT' ? '\ncanceling the run… (Ctrl-C again to quit at once)' : `\n${signal}: canceling the run… (${signal} again to quit at once)`))
        controller.abort()
      })
      const display = ctx.json ? undefined : new ProgressDisplay((text) => process.stderr.write(text), ctx.isTty)
      try {
        const result = await instance.materialize(selection, { ...partitions, trigger: 'cli', force: ctx.values.force === true, signal: controller.signal, ...(display ? { onProgress: display.onEvent } : {}) })
        const steps = await instance.store.listSteps(result.runId)
        if (ctx.json) {
          ctx.out(JSON.stringify({ runId: result.runId, status: result.status, counts: result.counts, recovered: result.recovered, steps }, null, 2))
        } else {
          for (const run of result.recovered) ctx.out(style.yellow(`recovered run ${run.runId}: its process had died (${run.failed.length} step(s) marked failed, ${run.reconciled.length} publication(s) recorded)`))
          const parts = Object.entries(result.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`)
          ctx.out(`${statusLabel(result.status === 'succeeded' ? 'succeeded' : result.status === 'canceled' ? 'canceled' : 'failed')} run ${result.runId}: ${parts.join(', ')}`)
          if (result.status !== 'succeeded') ctx.out(style.dim(`details: tributary run ${result.runId}`))
        }
        // Stopped by a supervisor (SIGTERM, SIGHUP): say so with 128 + the signal's number.
        if (stoppedBy && stoppedBy !== 'SIGINT' && result.status === 'canceled') return signalExitCode(stoppedBy)
        return result.status === 'succeeded' ? Exit.Ok : Exit.NotOk
      } finally {
        offSignals()
      }
    } finally {
      await instance.close()
    }
  },
})
