// Workers: the fleet of `tributary worker` processes (executor: queue()), as each last reported.
import { useEffect } from 'react'
import type { ApiWorkers } from '../api'
import { ErrorBox, PageHeader, Spinner, StatusPill } from '../components/ui'
import { changesStatus, useApi } from '../data'
import { dateTime, relativeTime } from '../format'
import { Link, runHref } from '../router'

// Heartbeats write no events: the page also asks again on a timer (Default: every 5 s).
const REFRESH_MS = 5000

export function WorkersPage() {
  const { data, error, reload } = useApi<ApiWorkers>('/api/workers', changesStatus, 800)
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS)
    return () => window.clearInterval(timer)
  }, [reload])
  return (
    <div className="page">
      <PageHeader title="Workers" subtitle="Processes that take steps from the queue (executor: queue()): where they run, what code they run, what they are doing, when they last said they were alive." />
      {error && <ErrorBox error={error} what="the workers" />}
      {data && !data.queue && <p className="muted">This project runs steps in local worker processes of the process that runs each run. Add <code className="code-inline">executor: queue()</code> to its config to run them on a fleet (see docs/scale-out.md).</p>}
      <div className="table-card">
        <table className="table" data-testid="workers">
          <thead>
            <tr><th>Worker</th><th>State</th><th>Host</th><th className="num">PID</th><th>Version</th><th>Current steps</th><th>Last heartbeat</th></tr>
          </thead>
          <tbody>
            {!data && !error && <tr><td colSpan={7} className="table-message"><Spinner label="Loading workers…" /></td></tr>}
            {data?.workers.length === 0 && <tr><td colSpan={7} className="table-message">No workers yet. Start one with <code className="code-inline">tributary worker</code>.</td></tr>}
            {data?.workers.map((worker) => (
              <tr key={worker.id} data-worker={worker.id}>
                <td className="mono small">{worker.id}</td>
                <td><StatusPill status={worker.state === 'lost' ? 'failed' : worker.state === 'stopped' ? 'skipped' : 'running'} label={worker.state} size="sm" /></td>
                <td>{worker.host}</td>
                <td className="num mono small">{worker.pid}</td>
                <td className="mono small">{worker.version}</td>
                <td className="small">
                  {worker.currentSteps.length === 0 ? <span className="muted">idle</span> : worker.currentSteps.map((step) => (
                    <div key={`${step.runId}/${step.assetKey}/${step.partition ?? ''}`}>
                      <Link to={runHref(step.runId)} className="mono">{step.assetKey}{step.partition === null ? '' : ` [${step.partition}]`}</Link>
                      <span className="muted"> · attempt {step.attempt} · since {relativeTime(step.since)}</span>
                    </div>
                  ))}
                </td>
                <td className="nowrap" title={dateTime(worker.heartbeatAt)}>{relativeTime(worker.heartbeatAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
