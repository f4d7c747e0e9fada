// Backfills: each rebuild of a partition range, newest first, with its progress, ETA and the
// buttons that steer it; a row opens to show each asset's progress. Live.
import { useEffect, useRef, useState } from 'react'
import { withQuery, type ApiBackfill } from '../api'
import { useRepairs, useStepsByAsset, withRepairs } from '../backfill-repairs'
import { groupBackfills, type BackfillGroup } from '../backfills'
import { useBackfillActions } from '../components/BackfillActions'
import { AssetProgressTable, BackfillStatus, BackfillWhat, Eta } from '../components/BackfillParts'
import { ProgressBar, ProgressText } from '../components/ProgressBar'
import { ErrorBox, PageHeader, Spinner } from '../components/ui'
import { useApi, type Loaded } from '../data'
import { clockTime, dateTime, relativeTime } from '../format'
import { backfillHref, Link, navigate, setQuery, useLocation } from '../router'

const FILTERS = [
  { value: '', label: 'All' },
  { value: 'running', label: 'Running' },
  { value: 'paused', label: 'Paused' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'canceled', label: 'Canceled' },
] as const

/** The latest backfill runs, grouped into backfills; refetched on run events and steps of listed runs and, while one runs, every few seconds. */
export function useBackfills(limit = 100): Loaded<ApiBackfill[]> & { groups: BackfillGroup[] | undefined } {
  // Steps of runs not listed here (a daemon's, a plain materialize) change nothing on this page.
  const listed = useRef(new Set<string>())
  const loaded = useApi<ApiBackfill[]>(withQuery('/api/backfills', { limit }), (event) =>
    event.type === 'run_started' || event.type === 'run_pausing' || event.type === 'run_finished' || (event.type === 'step' && listed.current.has(event.runId)), 700)
  listed.current = new Set(loaded.data?.map((backfill) => backfill.run.id))
  const groups = loaded.data ? groupBackfills(loaded.data) : undefined
  const running = groups?.some((group) => group.latest.run.status === 'running') ?? false
  const { reload } = loaded
  // Backfills run by another process (a terminal, another server) send no events here: poll while one runs.
  useEffect(() => {
    if (!running) return
    const timer = window.setInterval(reload, 5_000)
    return () => window.clearInterval(timer)
  }, [running, reload])
  return { ...loaded, groups }
}

export function BackfillsPage() {
  const { query } = useLocation()
  const filter = query.get('status') ?? ''
  const { groups, error, reload } = useBackfills()
  const shown = groups?.filter((group) => !filter || group.latest.run.status === filter)
  return (
    <div className="page">
      <PageHeader
        title="Backfills"
        subtitle="Each backfill rebuilds a range of partitions and everything downstream of them. Pause one to let it finish what it is doing, and resume it later: it picks up where it stopped."
      />
      <div className="toolbar">
        <div className="segmented" role="tablist" aria-label="Filter by status">
          {FILTERS.map(({ value, label }) => (
            <button key={label} role="tab" aria-selected={filter === value} className={filter === value ? 'active' : ''} onClick={() => setQuery({ status: value || null })}>
              {label}
            </button>
          ))}
        </div>
      </div>
      {error && <ErrorBox error={error} what="the backfills" />}
      <div className="table-card backfill-list">
        <div className="backfill-grid backfill-head" aria-hidden>
          <span />
          <span>Backfill</span>
          <span>Status</span>
          <span>Progress</span>
          <span>Started</span>
          <span />
        </div>
        {!groups && !error && <div className="table-message"><Spinner label="Loading backfills…" /></div>}
        {shown?.length === 0 && (
          <div className="table-message">
            {filter ? `No ${filter} backfills.` : <>No backfills yet. Start one from a partitioned asset’s page (<b>Backfill…</b> beside its partitions), or with <code className="code-inline">tributary backfill</code>.</>}
          </div>
        )}
        {shown?.map((group) => <BackfillRow key={group.id} group={group} changed={reload} />)}
      </div>
    </div>
  )
}

function BackfillRow({ group: own, changed }: { group: BackfillGroup; changed: () => void }) {
  const [open, setOpen] = useState(false)
  // A backfill that stopped short may have been finished by later runs: the list says what its page says.
  const stopped = own.status === 'failed' || own.status === 'canceled' || own.status === 'paused'
  const steps = useStepsByAsset(own, stopped)
  const repairs = useRepairs(own, stopped ? steps : undefined)
  const group = stopped && steps ? withRepairs(own, steps, repairs) : own
  const { buttons, notice } = useBackfillActions(group, changed, 'small')
  const { run } = group.runs[0]!
  return (
    <article className="backfill-item" data-backfill={group.id} data-status={group.status}>
      <div className="backfill-grid backfill-row clickable" onClick={(event) => !(event.target as HTMLElement).closest('a, button') && navigate(backfillHref(group.id))}>
        <button className="expand" aria-expanded={open} aria-label={open ? 'Hide each asset’s progress' : 'Show each asset’s progress'} onClick={() => setOpen(!open)}>
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden><path d="M6 4l4 4-4 4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" /></svg>
        </button>
        <div className="backfill-what">
          <Link to={backfillHref(group.id)} className="row-link"><BackfillWhat group={group} /></Link>
        </div>
        <div><BackfillStatus group={group} /></div>
        <div className="backfill-progress">
          <ProgressBar progress={group.progress} />
          <div className="backfill-progress-line">
            <ProgressText progress={group.progress} />
            <Eta group={group} />
          </div>
        </div>
        <div className="nowrap" title={dateTime(run.startedAt)}>
          {clockTime(run.startedAt)} <span className="muted">· {relativeTime(run.startedAt)}</span>
          {group.runs.length > 1 && <div className="muted small">{group.runs.length} runs</div>}
        </div>
        <div>{buttons}</div>
      </div>
      {notice && <div className="backfill-notice">{notice}</div>}
      {open && (
        <div className="backfill-assets">
          <AssetProgressTable group={group} />
        </div>
      )}
    </article>
  )
}
