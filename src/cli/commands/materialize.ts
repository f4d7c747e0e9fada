import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'
import { findControlPlane } from '../../instance/control-plane.js'
import type { ApiRunStarted } from '../../server/api-types.js'
import { reportOutcome } from '../remote-run.js'
import { ProgressDisplay } from '../progress-display.js'
import { coalescedOutput } from '../coalesced-output.js'
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
    'While `tributary serve` or `dev` runs on the project, the run is submitted to it and',
    'followed there; otherwise, when another run holds the warehouse, this one waits for it.',
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
    // Progress lines go out in pieces (see coalescedOutput); whatever else the command prints sends them first, so the order holds.
    const progress = coalescedOutput((text) => process.stderr.write(text))
    const io = {
      ...ctx,
      out: (text: string) => {
        progress.flush()
        ctx.out(text)
      },
      err: (text: string) => {
        progress.flush()
        ctx.err(text)
      },
    }
    const instance = await openProject(io)
    try {
      if (ctx.values['dry-run']) {
        const plan = instance.plan(selection, partitions)
        if (ctx.json) ctx.out(JSON.stringify({ steps: plan.steps }, null, 2))
        else for (const step of plan.steps) ctx.out(`${stepId(step)}${step.upstreamInRun.length ? style.dim(`  after ${step.upstreamInRun.join(', ')}`) : ''}`)
        return Exit.Ok
      }
      const display = ctx.json ? undefined : new ProgressDisplay(progress.write, ctx.isTty)
      // A live control plane (serve, dev) owns the warehouse: submit to it and follow its events.
      const live = await findControlPlane(instance.stateDir)
      if (live) {
        instance.plan(selection, partitions)
        // Only for a live control plane: a run of its own never loads the HTTP client.
        const [{ ControlPlaneClient }, { reportLost, runRemotely }] = await Promise.all([import('../control-plane-client.js'), import('../remote-run.js')])
        const client = new ControlPlaneClient(live)
        const body = { selection, ...partitions, ...(ctx.values.force === true ? { force: true } : {}) }
        const remote = await runRemotely(io, client, () => client.request<ApiRunStarted>('POST', '/api/runs', body), display).catch((error: unknown) => reportLost(io, error))
        return typeof remote === 'number' ? remote : reportOutcome(io, remote!.outcome, remote!.stoppedBy)
      }
      const controller = new AbortController()
      // Ctrl-C, SIGTERM and SIGHUP cancel the run cleanly (it is recorded canceled); a second one quits at once.
      let stoppedBy: StopSignal | undefined
      const offSignals = onStopSignals((signal) => {
        if (controller.signal.aborted) {
          progress.flush()
          process.exit(signalExitCode(signal))
        }
        stoppedBy = signal
        io.err(style.yellow(signal === 'SIGINT' ? '\ncanceling the run… (Ctrl-C again to quit at once)' : `\n${signal}: canceling the run… (${signal} again to quit at once)`))
        controller.abort()
      })
      try {
        // Another run of this project (a CLI without a control plane) holds the warehouse: wait for it, saying who.
        // A run that writes no table and runs no check (io: 'none' assets) opens it only if its code asks.
        const onWait = (holder: string) => io.err(style.yellow(`waiting for the warehouse: ${holder}`))
        if (instance.needsWarehouse(instance.plan(selection, partitions))) await instance.waitForWarehouse({ signal: controller.signal, onWait })
        const result = await instance.materialize(selection, { ...partitions, trigger: 'cli', force: ctx.values.force === true, signal: controller.signal, ...(display ? { onProgress: display.onEvent } : {}) })
        const steps = await instance.store.listSteps(result.runId)
        return reportOutcome(io, { ...result, steps }, stoppedBy)
      } finally {
        offSignals()
      }
    } finally {
      progress.flush()
      await instance.close()
    }
  },
})
