import { kindOf } from '../../graph/selection.js'
import type { Tributary } from '../../instance/tributary.js'
import { openProject } from '../open-project.js'
import { defineCommand, Exit, type CommandContext } from '../command.js'
import { ago, statusLabel, style, table } from '../format.js'

/** `tributary status [selection]`: the health of every selected asset and source. */
export default defineCommand({
  name: 'status',
  summary: 'show whether each asset is fresh, stale, late, failed, blocked, missing or running',
  usage: 'tributary status [selection…] [--partitions] [--json]',
  help: [
    'Observes file sources now, then derives each status with its reason and the owner of the root cause.',
    '',
    '  --partitions   per partitioned asset: how many partitions are fresh, stale, failed, missing, running',
  ].join('\n'),
  options: { partitions: { type: 'boolean' } },
  async run(ctx) {
    const instance = await openProject(ctx)
    try {
      if (ctx.values.partitions) return await showPartitions(instance, ctx.positionals.join(' '), ctx)
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

const few = (keys: readonly string[]) => (keys.length <= 4 ? keys.join(', ') : `${keys.slice(0, 3).join(', ')} … ${keys.at(-1)} (${keys.length})`)

async function showPartitions(instance: Tributary, selection: string, ctx: CommandContext): Promise<number> {
  const statuses = await instance.partitionStatus(selection)
  if (ctx.json) {
    ctx.out(JSON.stringify(statuses, null, 2))
    return Exit.Ok
  }
  if (statuses.length === 0) {
    ctx.out(style.dim('no partitioned assets in the selection'))
    return Exit.Ok
  }
  ctx.out(table(['ASSET', 'PARTITIONS', 'FRESH', 'STALE', 'FAILED', 'MISSING', 'RUNNING', 'LATEST', 'WHY'], statuses.map((s) => [
    s.key, String(s.total), String(s.counts.fresh), String(s.counts.stale), String(s.counts.failed), String(s.counts.missing), String(s.counts.running),
    s.latest ? `${s.latest.partition} ${statusLabel(s.latest.state)}` : style.dim('—'),
    s.late ?? [s.failed.length ? `failed: ${few(s.failed)}` : '', s.missing.length ? `missing: ${few(s.missing)}` : '', s.stale.length ? `stale: ${few(s.stale)}` : ''].filter(Boolean).join('; '),
  ])))
  // Why the latest attempts failed or were skipped, newest first, a few per asset.
  for (const s of statuses) {
    const failures = Object.entries(s.failures ?? {}).reverse()
    for (const [partition, why] of failures.slice(0, 3)) ctx.out(`  ${style.bold(s.key)} ${partition}: ${style.red(why)}`)
    if (failures.length > 3) ctx.out(style.dim(`  … and ${failures.length - 3} more of ${s.key}: tributary status ${s.key} --partitions --json`))
  }
  return Exit.Ok
}
