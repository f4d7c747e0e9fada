import { kindOf } from '../../graph/selection.js'
import { Tributary } from '../../instance/tributary.js'
import { defineCommand, Exit } from '../command.js'
import { ago, statusLabel, style, table } from '../format.js'

/** `tributary status [selection]`: the health of every selected asset and source. */
export default defineCommand({
  name: 'status',
  summary: 'show whether each asset is fresh, stale, late, failed, blocked, missing or running',
  usage: 'tributary status [selection…] [--json]',
  help: 'Observes file sources now, then derives each status with its reason and the owner of the root cause.',
  options: {},
  async run(ctx) {
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
      const statuses = await instance.status(ctx.positionals.join(' '))
      if (ctx.json) {
        ctx.out(JSON.stringify(statuses.map((s) => ({ kind: kindOf(instance.graph.get(s.key)), ...s })), null, 2))
        return Exit.Ok
      }
      const now = instance.clock.now()
      ctx.out(table(['ASSET', 'KIND', 'STATUS', 'UPDATED', 'OWNER', 'WHY'], statuses.map((s) => [
        s.key, style.dim(kindOf(instance.graph.get(s.key))), statusLabel(s.status), ago(s.lastUpdated, now), s.owner ?? style.dim('—'),
        s.ready ? '' : s.rootCause && s.rootCause.key !== s.key ? `${s.reasons[0]?.message ?? ''} ${style.dim(`← root cause ${s.rootCause.key} (${s.rootCause.owner ?? 'no owner'})`)}` : (s.reasons[0]?.message ?? ''),
      ])))
      const notReady = statuses.filter((s) => !s.ready).length
      ctx.out(style.dim(`\n${statuses.length - notReady} ready, ${notReady} not ready`))
      return Exit.Ok
    } finally {
      await instance.close()
    }
  },
})
