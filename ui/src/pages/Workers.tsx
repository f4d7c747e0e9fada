// Workers: the fleet of `tributary worker` processes (executor: queue()), as each last reported.
import { useEffect } from 'react'
import type { ApiWorker, ApiWorkers } from '../api'
import { ErrorBox, PageHeader, Spinner, StatusPill } from '../components/ui'
import { changesStatus, useApi } from '../data'
import { dateTime, relativeTime } from '../format'
import { Link, runHref } from '../router'

// Heartbeats write no events: the page also asks again on a timer (Default: every 5 s).
const REFRESH_MS = 5000

// `0.1.0+3f2a9c01b7d4`: Tributary's version, then the fingerprint of the project's code.
const tributaryVersion = (version: string) => version.split('+')[0] ?? version
const codeVersion = (version: string) => version.split('+')[1] ?? '—'

// `up to 4 steps at once`, then one line per pool: `pool warehouse: at most 1`
function capacity(worker: ApiWorker): string[] {
  const pools = Object.entries(worker.pools).map(([pool, limit]) => `pool ${pool}: at most ${limit}`)
  return [`up to ${worker.concurrency} step${worker.concurrency === 1 ? '' : 's'} at once`, ...pools]
}

// What a state means, on hover: a business user should not need the docs to read "lost".
function stateMeaning(worker: ApiWorker): string {
  if (worker.state === 'running') return `Running since ${dateTime(worker.startedAt)}; takes steps from the queue`
  const since = worker.stoppedAt ? dateTime(worker.stoppedAt) : 'an unknown time'
  return worker.state === 'stopped'
    ? `Stopped cleanly at ${since}, after finishing its steps`
    : `Stopped checking in at ${since} (killed, stalled or cut off); the steps it was running went to other workers`
}

// How a worker's version differs from the project's, in the fewest words.
function difference(worker: string, project: string): string {
  return tributaryVersion(worker) === tributaryVersion(project)
    ? `other code than this project (${codeVersion(project)})`
    : `not this project's version (Tributary ${tributaryVersion(project)}, code ${codeVersion(project)})`
}

export function WorkersPage() {
  const { data, error, reload } = useApi<ApiWorkers>('/api/workers', changesStatus, 800)
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS)
    return () => window.clearInterval(timer)
  }, [reload])
  // Workers that no longer run are history: only running ones with other code need doing something.
  const stale = data?.workers.filter((w) => w.state === 'running' && w.version !== data.version) ?? []
  return (
    <div className="page">
      <PageHeader title="Workers" subtitle="The machines that run your assets: where each one runs, which version of the code it has, what it is working on now, and when it last checked in." />
      {error && <ErrorBox error={error} what="the workers" />}
      {stale.length > 0 && (
        <section className="status-banner status-banner-stale" data-testid="other-code">
          <div className="status-banner-text">
            <strong>{stale.length === 1 ? '1 running worker runs' : `${stale.length} running workers run`} another version than this project</strong>
            <span className="muted"> A step is refused there (TRB7002, not retried) when its asset's code version differs from the one the run was planned with; steps of the other assets run, and the Tributary version is not compared. Deploy this project's code, with the same Tributary version, to every worker, then restart them.</span>
          </div>
        </section>
      )}
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
                <td>
                  <div className="mono small">{worker.id}</div>
                  {capacity(worker).map((line) => <div key={line} className="muted small nowrap">{line}</div>)}
                </td>
                <td><StatusPill status={worker.state === 'lost' ? 'failed' : worker.state === 'stopped' ? 'skipped' : 'running'} label={worker.state} size="sm" title={stateMeaning(worker)} /></td>
                <td>{worker.host}</td>
                <td className="num mono small">{worker.pid}</td>
                <td className="small" title={`Tributary ${tributaryVersion(worker.version)}; code version ${codeVersion(worker.version)} (a fingerprint of every asset's code: workers with different fingerprints run different code)`}>
                  <div>Tributary {tributaryVersion(worker.version)}</div>
                  <div className="muted">code <span className="mono">{codeVersion(worker.version)}</span></div>
                  {data.version !== worker.version && <div className="tone-text-amber" data-testid="other-code-worker">{difference(worker.version, data.version)}</div>}
                </td>
                <td className="small">
                  {worker.currentSteps.length === 0 ? <span className="muted">idle</span> : worker.currentSteps.map((step) => (
                    <div key={`${step.runId}/${step.assetKey}/${step.partition ?? ''}`}>
                      <Link to={runHref(step.runId)} className="mono">{step.assetKey}{step.partition === null ? '' : ` [${step.partition}]`}</Link>
                      <span className="muted"> · attempt {step.attempt}{step.waitingForPool === undefined ? '' : ` · waiting for pool ${step.waitingForPool}`} · since {relativeTime(step.since)}</span>
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
