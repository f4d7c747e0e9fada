import { ErrorCode, TributaryError } from '../../model/errors.js'
import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

// How long a worker that stopped by itself waits for its connections to close before it exits.
const CLOSE_AFTER_FAILURE_MS = 5000

/** `tributary worker`: one worker of the fleet, taking the project's steps from the queue until stopped. */
export default defineCommand({
  name: 'worker',
  summary: 'take steps from the queue and run them (a fleet worker; needs executor: queue())',
  usage: 'tributary worker [--concurrency n] [--pools name=n,…]',
  help: [
    'Start any number of workers, on any machines with the project\'s code and the database URLs.',
    'Each takes steps from the job queue in the PostgreSQL store, runs their code in its own worker',
    'processes, publishes, and heartbeats; a worker silent for longer than the lease has its steps taken',
    'by others. SIGINT/SIGTERM: finish the running steps, then exit. A worker that cannot write its',
    'heartbeat to the store for longer than queue({ giveUp }) (default 2m) exits with 3 (TRB4020), so',
    'that its supervisor restarts it or alerts. See docs/scale-out.md.',
    '',
    '  --concurrency n     steps at once in this worker (default: 4)',
    '  --pools name=n,…    at most n steps of each named pool at once in this worker',
  ].join('\n'),
  options: { concurrency: { type: 'string' }, pools: { type: 'string' } },
  async run(ctx) {
    const concurrency = Number(ctx.values.concurrency ?? 4)
    const pools = parsePools(ctx.values.pools as string | undefined)
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
      throw new TributaryError(ErrorCode.InvalidQueueConfig, `--concurrency must be a whole number from 1 to 1000 (got ${String(ctx.values.concurrency)})`, { hint: 'Leave it out for 4.' })
    }
    const instance = await Tributary.open({ projectDir: ctx.projectDir, executor: 'pool', role: 'worker' })
    const log = (line: string) => ctx.err(`${style.dim(new Date().toISOString().slice(11, 19))} ${line}`)
    let failed = false
    try {
      const worker = await instance.startWorker({ concurrency, pools, onLine: log })
      const stop = () => {
        log('stopping: finishing running steps…')
        void worker.stop()
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      log(`worker ${worker.id} started for ${instance.project.name}: concurrency ${concurrency}${Object.keys(pools).length > 0 ? `, pools ${JSON.stringify(pools)}` : ''}`)
      await worker.done
      await worker.stop()
      // Stopped by itself (its store out of reach past queue({ giveUp }), its queue failed): exit 3 with why.
      if (worker.failure) {
        failed = true
        throw worker.failure
      }
      log('worker stopped')
      return Exit.Ok
    } finally {
      // A worker that gave up does not wait long on connections that may never answer.
      const closing = instance.close()
      await (failed ? Promise.race([closing.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_FAILURE_MS).unref())]) : closing)
    }
  },
})

function parsePools(text: string | undefined): Record<string, number> {
  const pools: Record<string, number> = {}
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(part)
    if (!match || Number(match[2]) < 1) {
      throw new TributaryError(ErrorCode.InvalidQueueConfig, `--pools takes name=n pairs separated by commas (got ${JSON.stringify(part)})`, { hint: 'For example: --pools warehouse=2,api=1' })
    }
    pools[match[1]!] = Number(match[2])
  }
  return pools
}
