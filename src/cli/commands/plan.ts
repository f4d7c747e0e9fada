import { Tributary } from '../../instance/tributary.js'
import type { ChangePlan } from '../../engine/change-plan.js'
import { formatDuration } from '../../model/duration.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

/** `tributary plan`: what the working tree changes against what is deployed, and what it breaks. */
export default defineCommand({
  name: 'plan',
  summary: 'compare the working tree with what is deployed: changes, broken readers, rebuilds',
  usage: 'tributary plan [--json | --markdown]',
  help: [
    'Compares each asset\'s code version and predicted columns with its last published',
    'materialization; names every downstream column (and its owner) that reads a removed',
    'column, every contract breach, and what must be rebuilt with its expected time.',
    'Exit 1 when a change breaks a reader or a contract; 0 otherwise.',
    '',
    '  --markdown   a summary for a CI comment',
  ].join('\n'),
  options: { markdown: { type: 'boolean' } },
  async run(ctx) {
    const instance = await Tributary.open({ projectDir: ctx.projectDir })
    try {
      const plan = await instance.changePlan()
      if (ctx.json) ctx.out(JSON.stringify(plan, null, 2))
      else ctx.out(ctx.values.markdown ? markdown(plan) : text(plan))
      return plan.breaking ? Exit.NotOk : Exit.Ok
    } finally {
      await instance.close()
    }
  },
})

const owned = (owner: string | null) => (owner ? ` (owner ${owner})` : '')

function text(plan: ChangePlan): string {
  const lines: string[] = []
  if (plan.added.length + plan.removed.length + plan.changed.length === 0) lines.push(style.green('✓ nothing changed against what is deployed'))
  for (const key of plan.added) lines.push(`${style.green('+')} ${key} ${style.dim('new')}`)
  for (const key of plan.removed) lines.push(`${style.red('-')} ${key} ${style.dim('removed (its published data stays)')}`)
  for (const change of plan.changed) {
    lines.push(`${style.yellow('~')} ${change.key} ${style.dim(`code changed ${change.deployedVersion.slice(0, 8)} → ${change.version.slice(0, 8)}`)}`)
    if (!change.columns) lines.push(style.dim('    columns known once built (TypeScript)'))
    else {
      for (const column of change.columns.removed) lines.push(`    ${style.red('-')} ${column}`)
      for (const column of change.columns.added) lines.push(`    ${style.green('+')} ${column}`)
    }
  }
  for (const broken of plan.breaks) {
    lines.push('', style.red(`✗ removing ${broken.asset}.${broken.column} breaks:`))
    for (const reader of broken.readers) lines.push(`    ${reader.asset}.${reader.column}${owned(reader.owner)} ${style.dim(reader.certain ? `(${reader.kind})` : '(may break: TypeScript reads the asset)')}`)
  }
  for (const breach of plan.contractBreaches) {
    lines.push('', style.red(`✗ contract of ${breach.asset}${owned(breach.owner)} breached:`))
    for (const reason of breach.reasons) lines.push(`    ${reason}`)
  }
  if (plan.rebuild.length > 0) {
    lines.push('', `rebuild ${plan.rebuild.length} asset${plan.rebuild.length === 1 ? '' : 's'} ${style.dim(`(~${formatDuration(plan.expectedMs)} from the last builds)`)}:`)
    for (const step of plan.rebuild) lines.push(`    ${step.key} ${style.dim(step.why)}`)
  }
  lines.push('', plan.breaking ? style.red('breaking: fix the readers or keep the columns before deploying') : style.green('no breaking change'))
  return lines.join('\n')
}

function markdown(plan: ChangePlan): string {
  const lines = [`### Tributary plan: ${plan.breaking ? '❌ breaking' : '✅ no breaking change'}`, '']
  if (plan.changed.length + plan.added.length + plan.removed.length > 0) {
    lines.push('| asset | change | columns |', '|---|---|---|')
    for (const key of plan.added) lines.push(`| \`${key}\` | new | |`)
    for (const key of plan.removed) lines.push(`| \`${key}\` | removed | |`)
    for (const c of plan.changed) {
      const columns = c.columns ? [...c.columns.removed.map((n) => `−${n}`), ...c.columns.added.map((n) => `+${n}`)].join(' ') : 'known once built'
      lines.push(`| \`${c.key}\` | code changed | ${columns} |`)
    }
    lines.push('')
  }
  for (const b of plan.breaks) {
    lines.push(`**Removing \`${b.asset}.${b.column}\` breaks:**`, '')
    for (const r of b.readers) lines.push(`- \`${r.asset}.${r.column}\`${owned(r.owner)}${r.certain ? '' : ' — may break (TypeScript)'}`)
    lines.push('')
  }
  for (const breach of plan.contractBreaches) lines.push(`**Contract of \`${breach.asset}\`${owned(breach.owner)} breached:** ${breach.reasons.join('; ')}`, '')
  if (plan.rebuild.length > 0) lines.push(`Rebuild: ${plan.rebuild.map((r) => `\`${r.key}\``).join(', ')} (~${formatDuration(plan.expectedMs)})`)
  return lines.join('\n')
}
