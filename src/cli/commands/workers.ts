import { fleetVersion } from '../../execution/queue/step-queue-of.js'
import { openProject } from '../open-project.js'
import { defineCommand, Exit } from '../command.js'
import { ago, style, table } from '../format.js'

/** `tributary workers`: the fleet's workers as they last reported. */
export default defineCommand({
  name: 'workers',
  summary: 'list the fleet\'s workers: host, pid, version, current steps, last heartbeat',
  usage: 'tributary workers [--json]',
  help: 'Workers that stopped or were lost stay listed with their state and when they were last seen.',
  options: {},
  async run(ctx) {
    const instance = await openProject(ctx)
    try {
      const workers = await instance.workers()
      if (ctx.json) {
        ctx.out(JSON.stringify(workers, null, 2))
        return Exit.Ok
      }
      if (workers.length === 0) {
        ctx.out(style.dim(instance.project.executor?.type === 'queue' ? 'no workers yet: tributary worker' : 'no fleet: the project runs steps locally (executor: queue() starts one; see docs/scale-out.md)'))
        return Exit.Ok
      }
      const now = new Date()
      const version = fleetVersion(instance.graph)
      ctx.out(table(['WORKER', 'STATE', 'HOST', 'PID', 'VERSION', 'STEPS', 'HEARTBEAT'], workers.map((w) => [
        w.id, w.state === 'running' ? style.green(w.state) : w.state === 'lost' ? style.red(w.state) : style.dim(w.state), w.host, String(w.pid),
        w.version === version ? w.version : style.yellow(w.version),
        w.currentSteps.length === 0 ? style.dim('idle') : w.currentSteps.map((s) => `${s.assetKey}${s.partition === null ? '' : `[${s.partition}]`}${s.waitingForPool === undefined ? '' : ` (waiting for pool ${s.waitingForPool})`}`).join(', '),
        ago(w.heartbeatAt, now),
      ])))
      // Workers that no longer run are history: only running ones with other code need doing something.
      const other = workers.filter((w) => w.state === 'running' && w.version !== version).length
      if (other > 0) {
        ctx.out(style.yellow(`${other} running worker${other === 1 ? ' runs' : 's run'} another version than this project (${version}): a step is refused there (TRB7002, not retried) when its asset's code version differs from the one the run was planned with; steps of the other assets run, and the Tributary version is not compared. Deploy this project's code, with the same Tributary version, to every worker, then restart them.`))
      }
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
