// Runs: every run, newest first, filtered by status; live.
import { withQuery, type ApiRun, type ApiRunStatus } from '../api'
import { ErrorBox, PageHeader, Spinner, STATUS_LABEL, StatusPill } from '../components/ui'
import { useApi } from '../data'
import { clockTime, count, dateTime, duration, relativeTime } from '../format'
import { Link, navigate, runHref, setQuery, useLocation } from '../router'

const FILTERS: readonly (ApiRunStatus | '')[] = ['', 'running', 'paused', 'succeeded', 'failed', 'canceled']

export function RunsPage() {
  const { query } = useLocation()
  const status = (query.get('status') ?? '') as ApiRunStatus | ''
  const { data, error } = useApi<ApiRun[]>(withQuery('/api/runs', { status, limit: 100 }), (event) => event.type !== 'reload', 800)
  return (
    <div className="page">
      <PageHeader title="Runs" subtitle="Each run updates a selection of assets. Open one to see its steps, timings, errors and logs." />
      <div className="toolbar">
        <div className="segmented" role="tablist" aria-label="Filter by status">
          {FILTERS.map((value) => (
            <button key={value || 'all'} role="tab" aria-selected={status === value} className={status === value ? 'active' : ''} onClick={() => setQuery({ status: value || null })}>
              {value ? STATUS_LABEL[value] : 'All'}
            </button>
          ))}
        </div>
      </div>
      {error && <ErrorBox error={error} what="the runs" />}
      <div className="table-card">
        <table className="table">
          <thead>
            <tr><th>Run</th><th>Status</th><th>What ran</th><th>Trigger</th><th>Started</th><th className="num">Duration</th><th className="num">Steps</th><th style={{ width: '28%' }}>Problem</th></tr>
          </thead>
          <tbody>
            {!data && !error && <tr><td colSpan={8} className="table-message"><Spinner label="Loading runs…" /></td></tr>}
            {data?.length === 0 && <tr><td colSpan={8} className="table-message">{status ? `No ${STATUS_LABEL[status].toLowerCase()} runs.` : 'No runs yet. Materialize an asset from its page to start one.'}</td></tr>}
            {data?.map((run) => (
              <tr key={run.id} className="clickable" data-run={run.id} onClick={(event) => !(event.target as HTMLElement).closest('a') && navigate(runHref(run.id))}>
                <td className="nowrap"><Link to={runHref(run.id)} className="mono small row-link">{run.id}</Link></td>
                <td><StatusPill status={run.status} size="sm" /></td>
                <td className="mono small selection-cell" title={run.selection || undefined}>{run.selection || <span className="muted">everything</span>}</td>
                <td>{run.trigger}</td>
                <td className="nowrap" title={dateTime(run.startedAt)}>{clockTime(run.startedAt)} <span className="muted">· {relativeTime(run.startedAt)}</span></td>
                <td className="num">{run.finishedAt ? duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : <span className="muted">running</span>}</td>
                <td className="num">{count(run.stepCount)}</td>
                <td className="reason-cell" title={run.error?.message}>{run.error ? <><code className="code-inline">{run.error.code}</code> {run.error.message}</> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
