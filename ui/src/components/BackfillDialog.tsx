// The asset page's "Backfill…": pick a range and which partitions, preview the plan (a dry run),
// start it, and follow the link to its progress.
import { useState } from 'react'
import { useHealth } from '../App'
import { api, type ApiBackfillStarted, type ApiPartitionState, type ApiPartitionStatus, type ApiStartBackfill } from '../api'
import { partitionLabel, rangeLabel } from '../backfills'
import { count, plural } from '../format'
import { backfillHref, Link } from '../router'
import { Modal } from './Modal'
import { AssetKey, ErrorBox, Spinner } from './ui'

type Only = NonNullable<ApiStartBackfill['only']>
type Phase =
  | { readonly step: 'edit' }
  | { readonly step: 'previewing' }
  | { readonly step: 'preview'; readonly plan: ApiBackfillStarted }
  | { readonly step: 'starting'; readonly plan?: ApiBackfillStarted }
  | { readonly step: 'started'; readonly result: ApiBackfillStarted }

const ONLY_CHOICES: readonly { readonly value: Only; readonly label: string; readonly help: string }[] = [
  { value: 'missing', label: 'Missing', help: 'never built' },
  { value: 'failed', label: 'Failed or outdated', help: 'the latest attempt failed, or built from older code or older upstream data' },
  { value: 'all', label: 'All', help: 'every partition in the range, fresh ones too' },
]
const NOTHING: Record<Only, string> = {
  missing: 'No partition in this range is missing',
  failed: 'No partition in this range failed or is outdated',
  all: 'This range has no partitions',
}
const SUMMARY_STATES: readonly ApiPartitionState[] = ['missing', 'failed', 'stale', 'running', 'fresh']

/** A sensible first range: the span of missing partitions, else of failed or stale ones, else the newest partition. */
export function defaultRange(status: ApiPartitionStatus): { from: string; to: string; only: Only } {
  const { partitions } = status
  const missing = partitions.filter((p) => p.status === 'missing')
  if (missing.length > 0) return { from: missing[0]!.key, to: missing.at(-1)!.key, only: 'missing' }
  const failed = partitions.filter((p) => p.status === 'failed' || p.status === 'stale')
  if (failed.length > 0) return { from: failed[0]!.key, to: failed.at(-1)!.key, only: 'failed' }
  const newest = partitions.at(-1)?.key ?? ''
  return { from: newest, to: newest, only: 'all' }
}

export function BackfillDialog({ assetKey, status, onClose }: { assetKey: string; status: ApiPartitionStatus; onClose: () => void }) {
  const initial = defaultRange(status)
  const [from, setFrom] = useState(initial.from)
  const [to, setTo] = useState(initial.to)
  const [only, setOnly] = useState<Only>(initial.only)
  const [phase, setPhase] = useState<Phase>({ step: 'edit' })
  const [error, setError] = useState<{ readonly action: 'preview' | 'start'; readonly error: Error } | null>(null)
  const keys = status.partitions.map((p) => p.key)
  const dates = status.cadence === 'daily'

  const edit = (change: () => void) => {
    change()
    setPhase({ step: 'edit' })
    setError(null)
  }
  const body = (dryRun: boolean): ApiStartBackfill => ({ selection: assetKey, from, to, only, ...(dryRun ? { dryRun } : {}) })
  const preview = async () => {
    setPhase({ step: 'previewing' })
    setError(null)
    try {
      setPhase({ step: 'preview', plan: await api.post<ApiBackfillStarted>('/api/backfills', body(true)) })
    } catch (failure) {
      setError({ action: 'preview', error: failure as Error })
      setPhase({ step: 'edit' })
    }
  }
  const start = async () => {
    const plan = phase.step === 'preview' ? phase.plan : undefined
    setPhase({ step: 'starting', ...(plan ? { plan } : {}) })
    setError(null)
    try {
      setPhase({ step: 'started', result: await api.post<ApiBackfillStarted>('/api/backfills', body(false)) })
    } catch (failure) {
      setError({ action: 'start', error: failure as Error })
      setPhase(plan ? { step: 'preview', plan } : { step: 'edit' })
    }
  }

  if (phase.step === 'started') {
    const { result } = phase
    return (
      <Modal
        title={result.runId ? 'Backfill started' : 'Nothing to backfill'}
        onClose={onClose}
        labelledBy="backfill-title"
        footer={
          <>
            <button className="btn" onClick={onClose}>Close</button>
            {result.runId && <Link to={backfillHref(result.runId)} className="btn btn-primary" data-testid="view-backfill">View progress</Link>}
          </>
        }
      >
        <div data-testid="backfill-started">
          {result.runId ? (
            <p>
              <b>{plural(result.total, 'step')}</b> across {plural(result.assets.length, 'asset')} are running now
              {result.resumes ? <>, continuing an interrupted attempt of the same backfill</> : null}. You can pause it at any time and resume it later.
            </p>
          ) : (
            <p>{NOTHING[only]} ({rangeLabel(from, to)}), so there is nothing to do.</p>
          )}
        </div>
      </Modal>
    )
  }

  const plan = phase.step === 'preview' || phase.step === 'starting' ? phase.plan : undefined
  const busy = phase.step === 'previewing' || phase.step === 'starting'
  const inRange = summary(status, from, to)
  return (
    <Modal
      title={<>Backfill <AssetKey value={assetKey} /></>}
      onClose={onClose}
      labelledBy="backfill-title"
      className="modal-wide"
      footer={
        <>
          <button className="btn" onClick={onClose}>Close</button>
          <button className="btn" onClick={preview} disabled={busy || !from || !to} data-testid="preview-backfill">
            {phase.step === 'previewing' ? <Spinner label="Planning…" /> : 'Preview'}
          </button>
          <button className="btn btn-primary" onClick={start} disabled={busy || !from || !to || plan?.total === 0} data-testid="start-backfill">
            {phase.step === 'starting' ? <Spinner label="Starting…" /> : plan && plan.total > 0 ? `Start backfill · ${plural(plan.total, 'step')}` : 'Start backfill'}
          </button>
        </>
      }
    >
      <div data-testid="backfill-dialog">
        <p>Rebuild a range of partitions of this asset, and everything downstream of them, in dependency order. Each step is checked before it is published.</p>
        <div className="form-row">
          <label className="field">
            <span>From</span>
            <input type={dates ? 'date' : 'text'} value={from} min={dates ? keys[0] : undefined} max={dates ? keys.at(-1) : undefined} list={dates ? undefined : 'backfill-keys'} onChange={(event) => edit(() => setFrom(event.target.value))} aria-label="From" />
            {dates && <span className="field-hint">{dayLabel(from)}</span>}
          </label>
          <label className="field">
            <span>To</span>
            <input type={dates ? 'date' : 'text'} value={to} min={dates ? keys[0] : undefined} max={dates ? keys.at(-1) : undefined} list={dates ? undefined : 'backfill-keys'} onChange={(event) => edit(() => setTo(event.target.value))} aria-label="To" />
            {dates && <span className="field-hint">{dayLabel(to)}</span>}
          </label>
          {!dates && <datalist id="backfill-keys">{keys.map((key) => <option key={key} value={key} />)}</datalist>}
        </div>
        {inRange && (
          <p className="range-summary" data-testid="range-summary">
            {inRange.total === 1 ? 'This partition is ' : `In this range, ${count(inRange.total)} partitions: `}
            {SUMMARY_STATES.filter((state) => inRange.counts[state] > 0).map((state, i) => (
              <span key={state}>{i > 0 && ' · '}<span className={`heat-swatch tone-${state}`} aria-hidden /> {count(inRange.counts[state])} {state}</span>
            ))}
          </p>
        )}
        <fieldset className="choice-group">
          <legend>Which partitions</legend>
          {ONLY_CHOICES.map((choice) => (
            <label key={choice.value} className={`choice${only === choice.value ? ' choice-active' : ''}`}>
              <input type="radio" name="only" value={choice.value} checked={only === choice.value} onChange={() => edit(() => setOnly(choice.value))} />
              <span><b>{choice.label}</b> <span className="muted">— {choice.help}</span></span>
            </label>
          ))}
        </fieldset>
        {error && <ErrorBox error={error.error} title={error.action === 'preview' ? 'Could not plan this backfill' : 'Could not start the backfill'} />}
        {plan && <Plan plan={plan} only={only} />}
      </div>
    </Modal>
  )
}

function Plan({ plan, only }: { plan: ApiBackfillStarted; only: Only }) {
  if (plan.total === 0) {
    return <p className="plan-empty" data-testid="backfill-preview">Nothing to do: {NOTHING[only].toLowerCase()}{plan.alreadyDone ? `, and ${plural(plan.alreadyDone, 'step')} an interrupted attempt of this backfill already published ${plan.alreadyDone === 1 ? 'is' : 'are'} left out` : ''}. Choose another range or “All” to rebuild fresh partitions.</p>
  }
  return (
    <div className="backfill-plan" data-testid="backfill-preview">
      <p>
        <b>{plural(plan.total, 'step')}</b> in {plural(plan.assets.length, 'asset')}, in this order:
      </p>
      <table className="table table-compact">
        <thead>
          <tr><th>Asset</th><th className="num">Steps</th><th>Partitions</th></tr>
        </thead>
        <tbody>
          {plan.assets.map((asset) => (
            <tr key={asset.key} data-asset={asset.key}>
              <td><AssetKey value={asset.key} /></td>
              <td className="num">{count(asset.partitions)}</td>
              <td className="muted">{asset.first && asset.last ? (asset.first === asset.last ? partitionLabel(asset.first) : rangeLabel(asset.first, asset.last)) : 'not partitioned: once'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.resumes && <p className="muted small">This continues an interrupted attempt of the same backfill (run <span className="mono">{plan.resumes}</span>){plan.alreadyDone ? `: ${plural(plan.alreadyDone, 'step')} it already published ${plan.alreadyDone === 1 ? 'is' : 'are'} left out` : ''}.</p>}
    </div>
  )
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** "Thursday 12 Nov 2026" under a date field, whatever format the browser shows the date in. */
function dayLabel(key: string): string {
  const at = Date.parse(`${key}T00:00:00Z`)
  return Number.isNaN(at) ? '\u00a0' : `${WEEKDAYS[new Date(at).getUTCDay()]} ${partitionLabel(key)}`
}

/** The loaded partitions from `from` to `to`, by state; null when either end is not among them. */
function summary(status: ApiPartitionStatus, from: string, to: string): { total: number; counts: Record<ApiPartitionState, number> } | null {
  const keys = status.partitions.map((p) => p.key)
  const start = keys.indexOf(from)
  const end = keys.indexOf(to)
  if (start < 0 || end < start) return null
  const counts: Record<ApiPartitionState, number> = { fresh: 0, stale: 0, failed: 0, missing: 0, running: 0 }
  for (const partition of status.partitions.slice(start, end + 1)) counts[partition.status]++
  return { total: end - start + 1, counts }
}

/** "Backfill…" beside the partitions; disabled for a read-only token. */
export function BackfillButton({ assetKey, status }: { assetKey: string; status: ApiPartitionStatus }) {
  const health = useHealth()
  const [open, setOpen] = useState(false)
  const readOnly = health?.role === 'read'
  return (
    <>
      <button className="btn btn-small" onClick={() => setOpen(true)} disabled={readOnly} title={readOnly ? 'Your token is read-only' : 'Rebuild a range of partitions'}>
        Backfill…
      </button>
      {open && <BackfillDialog assetKey={assetKey} status={status} onClose={() => setOpen(false)} />}
    </>
  )
}
