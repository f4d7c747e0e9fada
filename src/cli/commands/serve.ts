import { createDaemon } from '../../instance/daemon.js'
import type { Tributary } from '../../instance/tributary.js'
import { openProject } from '../open-project.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { RunningServer } from '../../server/server.js'
import { startControlPlane } from '../control-plane-server.js'
import { defineCommand, Exit, type CommandContext } from '../command.js'
import { style } from '../format.js'

/** The options `serve` and `dev` share. */
export const LISTEN_OPTIONS = { port: { type: 'string' }, host: { type: 'string' }, 'no-daemon': { type: 'boolean' } } as const

/** Help lines for LISTEN_OPTIONS. */
export const LISTEN_HELP = [
  '  --port <n>   the port (default: 3000; 0 picks a free one)',
  '  --host <h>   the address to listen on (default: 127.0.0.1). Any other than',
  '               127.0.0.1, ::1 or localhost needs TRIBUTARY_TOKEN.',
  '  --no-daemon  do not run the automation daemon (schedules, sensors, conditions,',
  '               SLAs and alerts tick every 30s by default)',
  '',
  'Tokens: TRIBUTARY_TOKEN (operator: may start and cancel runs) and TRIBUTARY_READ_TOKEN',
  '(read-only). When either is set, every /api request needs `Authorization: Bearer <token>`.',
].join('\n')

/** The host and port from --host and --port; a bad port is a usage error. */
export function listenAddress(ctx: CommandContext): { host: string; port: number } {
  const text = ctx.values.port
  const port = typeof text === 'string' ? Number(text) : 3000
  if (typeof text === 'string' && (!/^\d+$/.test(text) || port > 65_535)) {
    throw new TributaryError(ErrorCode.Usage, `--port must be a number from 0 to 65535, not ${JSON.stringify(text)}`, { hint: 'Leave it out for 3000.' })
  }
  return { host: typeof ctx.values.host === 'string' ? ctx.values.host : '127.0.0.1', port }
}

/** Resolves with the first SIGINT or SIGTERM; a second one quits at once. */
export function untilSignal(ctx: CommandContext): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
      process.once('SIGINT', () => process.exit(130))
      ctx.err(style.dim(`\n${signal}: canceling active runs and shutting down… (Ctrl-C again to quit at once)`))
      resolve(signal)
    }
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  })
}

/** A running automation daemon and how to stop it. */
export interface RunningDaemon {
  /** Stops ticking and waits for the tick in progress to end. */
  stop(): Promise<void>
}

/**
 * Starts the automation daemon over `instance` (a getter, so dev reloads reach it), ticking
 * every 30 s, unless --no-daemon. Ticks and incidents are logged dimmed to stderr.
 */
export async function startDaemon(ctx: CommandContext, instance: () => Tributary): Promise<RunningDaemon> {
  if (ctx.values['no-daemon'] === true) return { stop: async () => undefined }
  const log = (line: string) => ctx.err(style.dim(`daemon: ${line}`))
  const daemon = await createDaemon(instance, { log })
  const controller = new AbortController()
  const loop = daemon.start({ interval: '30s', signal: controller.signal }).catch((error: unknown) => log(`stopped: ${error instanceof Error ? error.message : String(error)}`))
  return {
    async stop() {
      controller.abort()
      await loop
    },
  }
}

/** How long canceled runs get to record their end before the store closes under them. */
const SETTLE_MS = 10_000

/** Cancels the instance's active runs and waits (bounded) until they have recorded their end. */
export async function cancelActiveRuns(instance: () => Tributary): Promise<void> {
  await Promise.all(instance().activeRuns().map((runId) => instance().cancel(runId).catch(() => undefined)))
  const deadline = Date.now() + SETTLE_MS
  while (instance().activeRuns().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

/** Cancels the instance's active runs and waits (bounded) until they have settled, then closes the server. */
export async function shutDown(instance: () => Tributary, server: RunningServer): Promise<void> {
  await cancelActiveRuns(instance)
  await server.close()
}

/** `tributary serve`: the HTTP API and the web UI over this project. */
export default defineCommand({
  name: 'serve',
  summary: 'serve the HTTP API and the web UI (http://127.0.0.1:3000)',
  usage: 'tributary serve [--port <n>] [--host <h>] [--no-daemon]',
  help: `${LISTEN_HELP}\n\nCtrl-C (or SIGTERM) cancels active runs and stops cleanly. The API is described in docs/api.md.\nWhile it runs it is the project's control plane: materialize and backfill in a terminal\nsubmit to it (see .tributary/control-plane.json); a second serve or dev is refused (TRB6051).`,
  options: LISTEN_OPTIONS,
  async run(ctx) {
    const { host, port } = listenAddress(ctx)
    const instance = await openProject(ctx)
    try {
      const server = await startControlPlane(() => instance, 'serve', { host, port })
      const daemon = await startDaemon(ctx, () => instance)
      ctx.out(`${style.green('✓')} serving ${style.bold(instance.project.name)} (${instance.graph.nodes.size} assets) at ${style.bold(server.url)}${ctx.values['no-daemon'] === true ? '' : style.dim(' · automation daemon ticking every 30s')}`)
      await untilSignal(ctx)
      // The daemon stops first, so it starts nothing while the runs are canceled.
      await daemon.stop()
      await shutDown(() => instance, server)
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
