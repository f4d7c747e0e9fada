// One run: a timeline of its steps, their states, attempts and errors, and the logs; live.
import { useEffect, useMemo, useState } from 'react'
import { api, type ApiLogLine, type ApiRunCanceled, type ApiRunDetail, type ApiStep, type ApiStepStatus } from '../api'
import { useHealth } from '../App'
import { Card, Empty, ErrorBox, Loading, PageHeader, STATUS_LABEL, StatusPill, tone } from '../components/ui'
import { useApi } from '../data'
import { useLiveEvents } from '../live'
import { clockTime, dateTime, duration, plural } from '../format'
import { assetHref, backfillHref, Link } from '../router'

const ORDER: readonly ApiStepStatus[] = ['running', 'waiting', 'queued', 'succeeded', 'failed', 'blocked', 'skipped', 'canceled']

export function RunPage({ runId }: { runId: string }) {
  const id = decodeURIComponent(runId)
  // Log lines arrive as events and are added here; refetching the whole run for each would be heavy for a chatty step.
  const { data, error } = useApi<ApiRunDetail>(`/api/runs/${encodeURIComponent(id)}`, (event) => event.type !== 'reload' && event.type !== 'log' && 'runId' in event && event.runId === id, 400)
  return (
    <div className="page">
      <Loading data={data} error={error} what="the run">
        {(detail) => <RunView detail={detail} />}
      </Loading>
    </div>
  )
}

/** A log line's identity, for merging live lines with fetched ones (a truncated marker's text changes as it counts). */
const logKey = (log: ApiLogLine) => `${log.at}|${log.assetKey}|${log.partition ?? ''}|${log.attempt}|${log.stream}|${log.truncated === null ? log.message : 'truncated'}`

/** The run's fetched log lines, plus those that arrived live since, each once. */
function useLiveLogs(runId: string, fetched: readonly ApiLogLine[]): readonly ApiLogLine[] {
  const [live, setLive] = useState<ApiLogLine[]>([])
  useLiveEvents((event) => {
    if (event.type !== 'log' || event.runId !== runId) return
    const { type: _type, runId: _runId, key, ...line } = event
    setLive((lines) => [...lines, { assetKey: key, ...line }])
  })
  return useMemo(() => {
    const seen = new Set(fetched.map(logKey))
    return [...fetched, ...live.filter((line) => !seen.has(logKey(line)))]
  }, [fetched, live])
}

function RunView({ detail }: { detail: ApiRunDetail }) {
  const { run, steps } = detail
  const logs = useLiveLogs(run.id, detail.logs)
  const running = run.status === 'running'
  const now = useNow(running)
  const health = useHealth()
  const [cancel, setCancel] = useState<'idle' | 'asking' | 'sent' | Error>('idle')
  const [logFilter, setLogFilter] = useState('')
  const counts = useMemo(() => {
    const map = new Map<ApiStepStatus, number>()
    for (const step of steps) map.set(step.status, (map.get(step.status) ?? 0) + 1)
    return ORDER.filter((s) => map.get(s)).map((s) => [s, map.get(s)!] as const)
  }, [steps])
  const start = Date.parse(run.startedAt)
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Math.max(now, ...steps.map((s) => (s.finishedAt ? Date.parse(s.finishedAt) : 0)))
  const span = Math.max(end - start, 1)
  const shownLogs = logFilter ? logs.filter((log) => log.assetKey === logFilter) : logs
  // Attempt numbers only say something when a step of this run was tried more than once.
  const retried = steps.some((step) => step.attempt > 1)

  return (
    <>
      <PageHeader
        eyebrow={<><Link to="/runs">Runs</Link><span className="crumb-sep">/</span><span className="mono">{run.id}</span></>}
        title={
          <span className="run-title">
            {!run.selection ? 'Run of every asset' : run.selection.length <= 48 ? <>Run of <span className="mono">{run.selection}</span></> : `Run of ${plural(run.stepCount, 'asset')}`}
          </span>
        }
        subtitle={
          <>
            Started {clockTime(run.startedAt)} by <strong>{run.trigger}</strong>
            {' · '}
            {run.finishedAt ? `took ${duration(Date.parse(run.finishedAt) - start)}` : `running for ${duration(now - start)}`}
            {' · '}
            {plural(run.stepCount, 'step')}
            {run.trigger === 'backfill' && <>{' · '}<Link to={backfillHref(run.id)}>the backfill’s progress</Link></>}
            {run.selection.length > 48 && <div className="run-selection mono">{run.selection}</div>}
          </>
        }
        actions={
          <>
            <StatusPill status={run.status} size="lg" />
            {running && health?.role !== 'read' && (
              <button className="btn btn-danger" disabled={cancel === 'sent'} onClick={() => setCancel('asking')}>{cancel === 'sent' ? 'Canceling…' : 'Cancel run'}</button>
            )}
          </>
        }
      />
      {cancel === 'asking' && (
        <div className="confirm-strip">
          Cancel this run? Steps in progress stop and their staged data is dropped; published data stays as it was.
          <button className="btn btn-small" onClick={() => setCancel('idle')}>Keep running</button>
          <button className="btn btn-small btn-danger" onClick={() => {
            setCancel('sent')
            api.post<ApiRunCanceled>(`/api/runs/${encodeURIComponent(run.id)}/cancel`).catch((e: Error) => setCancel(e))
          }}>Cancel run</button>
        </div>
      )}
      {cancel instanceof Error && <ErrorBox error={cancel} what="the cancellation" />}
      {run.error && (
        <div className="error-box" role="alert">
          <strong>The run failed</strong>
          <div><code className="code-inline">{run.error.code}</code> {run.error.message}</div>
        </div>
      )}

      <div className="step-counts">
        {counts.map(([status, n]) => (
          <span key={status} className={`count-chip tone-${tone(status)}`}><b>{n}</b> {STATUS_LABEL[status].toLowerCase()}</span>
        ))}
      </div>

      <Card title="Timeline" actions={<span className="muted small">{clockTime(run.startedAt)} → {run.finishedAt ? clockTime(run.finishedAt) : 'now'}</span>}>
        {steps.length === 0 ? (
          <Empty>No steps.</Empty>
        ) : (
          <div className="gantt" data-testid="timeline">
            <div className="gantt-axis">
              <span />
              <div className="gantt-ticks">
                {[0, 0.25, 0.5, 0.75, 1].map((f) => (
                  <span key={f} style={{ left: `${f * 100}%` }}>{f === 0 ? '0' : duration(span * f)}</span>
                ))}
              </div>
              <span />
            </div>
            {steps.map((step) => (
              <StepRow key={`${step.assetKey}:${step.partition ?? ''}`} step={step} start={start} span={span} now={now} />
            ))}
          </div>
        )}
      </Card>

      <Card
        title="Logs"
        actions={
          logs.length > 0 && (
            <select className="select-small" value={logFilter} onChange={(event) => setLogFilter(event.target.value)} aria-label="Show logs of">
              <option value="">All steps</option>
              {[...new Set(logs.map((l) => l.assetKey))].map((key) => <option key={key} value={key}>{key}</option>)}
            </select>
          )
        }
      >
        {shownLogs.length === 0 ? (
          <Empty>{running ? 'No log lines yet.' : 'No log lines.'}</Empty>
        ) : (
          <div className="logs" role="log">
            {shownLogs.map((log, i) => (
              <div key={i} className={`log-line log-${log.level}${log.truncated !== null ? ' log-truncated' : ''}`} data-stream={log.stream} data-attempt={log.attempt}>
                <span className="log-time" title={dateTime(log.at)}>{new Date(log.at).toLocaleTimeString(undefined, { hour12: false })}</span>
                <span className="log-level">{log.level}</span>
                <span className="log-asset" title={`${log.assetKey}${log.partition ? ` [${log.partition}]` : ''}${log.attempt ? `, attempt ${log.attempt}` : ''}, ${log.stream}`}>
                  {log.assetKey}
                  {log.partition && <span className="log-meta"> [{log.partition}]</span>}
                  {retried && log.attempt > 0 && <span className="log-meta"> #{log.attempt}</span>}
                  {log.stream !== 'log' && <span className={`log-stream log-stream-${log.stream}`}>{log.stream}</span>}
                </span>
                <span className="log-message">{log.message}</span>
              </div>
            ))}
          </div>
        )}
      </Card>
    </>
  )
}

function StepRow({ step, start, span, now }: { step: ApiStep; start: number; span: number; now: number }) {
  const from = step.startedAt ? Date.parse(step.startedAt) : null
  const to = step.finishedAt ? Date.parse(step.finishedAt) : step.status === 'running' ? now : from
  const left = from !== null ? ((from - start) / span) * 100 : 0
  const width = from !== null && to !== null ? Math.max(((to - from) / span) * 100, 0.6) : 0
  const took = step.durationMs ?? (from !== null && to !== null ? to - from : null)
  return (
    <div className={`gantt-row step-${step.status}`} data-step={step.assetKey} data-status={step.status}>
      <div className="gantt-label">
        <span className={`status-dot tone-${tone(step.status)}`} />
        <Link to={assetHref(step.assetKey)} className="mono">{step.assetKey}</Link>
        {step.partition && <span className="muted small"> [{step.partition}]</span>}
      </div>
      <div className="gantt-track">
        {from !== null ? (
          <div className={`gantt-bar tone-bg-${tone(step.status)}${step.status === 'running' ? ' gantt-bar-live' : ''}`} style={{ left: `${Math.min(left, 99.4)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.4))}%` }} title={`${STATUS_LABEL[step.status]} · ${dateTime(step.startedAt)} → ${step.finishedAt ? dateTime(step.finishedAt) : 'now'}`} />
        ) : (
          <span className="gantt-none">{STATUS_LABEL[step.status].toLowerCase()}</span>
        )}
      </div>
      <div className="gantt-meta">
        <span className={`step-state tone-text-${tone(step.status)}`}>{STATUS_LABEL[step.status]}</span>
        <span className="muted">{took !== null && step.startedAt ? duration(took) : ''}</span>
        {step.attempt > 1 && <span className="attempts" title="Attempts">×{step.attempt}</span>}
      </div>
      {(step.error || step.reason) && (
        <div className={`gantt-note ${step.error && (step.status === 'failed' || step.status === 'blocked') ? 'gantt-error' : ''}`}>
          {step.error ? (
            <>
              <code className="code-inline">{step.error.code}</code> {step.error.message}
              {step.error.hint && <div className="muted">{step.error.hint}</div>}
            </>
          ) : (
            step.reason
          )}
        </div>
      )}
    </div>
  )
}

function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!ticking) return
    const timer = window.setInterval(() => setNow(Date.now()), 500)
    return () => window.clearInterval(timer)
  }, [ticking])
  return ticking ? now : Date.now()
}
