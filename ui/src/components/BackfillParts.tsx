// The pieces every backfill view shares: what it covers, its status, time left, each asset's bar.
import type { ApiStep } from '../api'
import { stepKey } from '../backfill-repairs'
import { etaText, ONLY_LABEL, partitionLabel, rangeLabel, type BackfillGroup } from '../backfills'
import { count, duration, plural } from '../format'
import { assetHref, Link } from '../router'
import { ProgressBar } from './ProgressBar'
import { AssetKey, STATUS_LABEL, StatusPill } from './ui'

const SINGLE_KEY = /^[\w.-]+(\/[\w.-]+)*$/

/** "raw/payments + 2 downstream" over "1 Mar → 31 Mar 2026 · missing partitions". */
export function BackfillWhat({ group }: { group: BackfillGroup }) {
  const { scope } = group
  if (!scope) return <span className="backfill-title mono">{group.identity}</span>
  const single = SINGLE_KEY.test(scope.selection) && group.assets.some((asset) => asset.key === scope.selection)
  const downstream = single ? group.assets.length - 1 : 0
  return (
    <span className="backfill-what-text">
      <span className="backfill-title">
        {!scope.selection ? 'Every asset' : single ? <AssetKey value={scope.selection} /> : <span className="mono">{scope.selection}</span>}
        {downstream > 0 && <span className="muted"> + {count(downstream)} downstream</span>}
        {!single && scope.selection && <span className="muted"> · {plural(group.assets.length, 'asset')}</span>}
      </span>
      <span className="backfill-range">
        {rangeLabel(scope.from, scope.to)} <span className="muted">· {ONLY_LABEL[scope.only]}</span>
      </span>
    </span>
  )
}

const WAITING_LABEL = { pausing: 'Pausing…', canceling: 'Canceling…' } as const

export function BackfillStatus({ group, size = 'sm' }: { group: BackfillGroup; size?: 'sm' | 'lg' }) {
  const label = group.status === 'pausing' || group.status === 'canceling' ? WAITING_LABEL[group.status] : undefined
  const title = group.status === 'pausing' ? 'The running steps finish and publish; nothing more starts.' : group.status === 'canceling' ? 'The running steps are being stopped.' : undefined
  return <StatusPill status={group.status} size={size} {...(label ? { label } : {})} {...(title ? { title } : {})} />
}

/** Time left while it runs, what is left once it stopped short, how long it took once done. */
export function Eta({ group }: { group: BackfillGroup }) {
  const { latest, progress, status } = group
  // A resume redoes whatever did not succeed: failed and skipped steps too.
  const left = progress.total - progress.succeeded
  if (status === 'running') {
    return <span className="eta" data-testid="eta">{latest.etaMs !== null ? `${etaText(latest.etaMs)} left` : 'estimating time left…'}</span>
  }
  if (status === 'pausing') return <span className="eta">finishing the running {progress.running === 1 ? 'step' : 'steps'}…</span>
  if (status === 'canceling') return <span className="eta">stopping…</span>
  if (status === 'succeeded') return <span className="eta muted">took {duration(workingTime(group))}</span>
  return left > 0 ? <span className="eta eta-stopped">{count(left)} left to resume</span> : null
}

/** Time spent running, over every run (a pause's gap left out). */
export function workingTime(group: BackfillGroup, now = Date.now()): number {
  return group.runs.reduce((sum, { run }) => sum + ((run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt)), 0)
}

/** Each asset of a backfill with its own bar, in dependency order; with `steps`, each partition too. */
export function AssetProgressTable({ group, steps, repaired }: { group: BackfillGroup; steps?: ReadonlyMap<string, readonly ApiStep[]>; repaired?: ReadonlySet<string> }) {
  return (
    <table className="table table-compact asset-progress" data-testid="asset-progress">
      <thead>
        <tr>
          <th>Asset</th>
          <th style={{ width: steps ? '22%' : '45%' }}>Progress</th>
          {steps && <th style={{ width: '36%' }}>Partitions</th>}
          <th className="num">Done</th>
          <th className="num">Failed</th>
        </tr>
      </thead>
      <tbody>
        {group.assets.map((asset) => (
          <tr key={asset.key} data-asset={asset.key}>
            <td><Link to={assetHref(asset.key)}><AssetKey value={asset.key} /></Link></td>
            <td><ProgressBar progress={asset} size="sm" /></td>
            {steps && <td><StepStrip steps={steps.get(asset.key) ?? []} {...(repaired ? { repaired } : {})} /></td>}
            <td className="num">{count(asset.succeeded)} / {count(asset.total)}</td>
            <td className={`num${asset.failed ? ' tone-text-red' : ' muted'}`}>{asset.failed ? count(asset.failed) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** One square per partition (one for an unpartitioned asset), colored by its step's state. */
function StepStrip({ steps, repaired }: { steps: readonly ApiStep[]; repaired?: ReadonlySet<string> }) {
  return (
    <div className="step-strip" aria-label="Each partition, oldest first">
      {steps.map((step) => {
        // Published by a later run since: shown as it stands now, and what happened here in the title.
        const fixed = repaired?.has(stepKey(step.assetKey, step.partition)) ?? false
        const status = fixed ? 'succeeded' : step.status
        const label = `${step.partition ? partitionLabel(step.partition) : 'Not partitioned'} · ${fixed ? `published by a later run (${STATUS_LABEL[step.status].toLowerCase()} here)` : STATUS_LABEL[step.status]}`
        return (
          <span
            key={step.partition ?? ''}
            className={`strip-cell strip-${status}`}
            data-partition={step.partition ?? ''}
            data-status={status}
            {...(fixed ? { 'data-repaired': '' } : {})}
            title={`${label}${step.reason ? ` · ${step.reason}` : ''}${step.error ? ` · ${step.error.message}` : ''}`}
          />
        )
      })}
    </div>
  )
}
