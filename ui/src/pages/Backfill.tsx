// One backfill: what it covers, its progress and ETA, each asset's progress, its runs, and the
// buttons that steer it. Live.
import { ApiFailure, type ApiBackfill } from '../api'
import { useRepairs, useStepsByAsset, withRepairs } from '../backfill-repairs'
import { groupBackfills, type BackfillGroup } from '../backfills'
import { useBackfillActions } from '../components/BackfillActions'
import { AssetProgressTable, BackfillStatus, BackfillWhat, Eta, workingTime } from '../components/BackfillParts'
import { ProgressBar } from '../components/ProgressBar'
import { Card, ErrorBox, Loading, PageHeader, StatusPill } from '../components/ui'
import { useApi } from '../data'
import { clockTime, count, dateTime, duration, relativeTime } from '../format'
import { Link, runHref } from '../router'
import { useBackfills } from './Backfills'

export function BackfillPage({ runId }: { runId: string }) {
  const id = decodeURIComponent(runId)
  const list = useBackfills(200)
  const listed = list.groups?.find((group) => group.runs.some(({ run }) => run.id === id))
  // Older than the list reaches, or not a backfill at all: ask for the run alone (404 says which).
  const single = useApi<ApiBackfill>(list.data && !listed ? `/api/backfills/${encodeURIComponent(id)}` : null, (event) => 'runId' in event && event.runId === id)
  const group = listed ?? (single.data ? groupBackfills([single.data])[0] : undefined)
  return (
    <div className="page">
      <Loading data={group} error={list.error ?? single.error} what="the backfill">
        {(found) => <BackfillView group={found} changed={list.reload} />}
      </Loading>
    </div>
  )
}

function BackfillView({ group: own, changed }: { group: BackfillGroup; changed: () => void }) {
  const steps = useStepsByAsset(own)
  // What later runs (a repair of the failed day) published counts: the page says what is really left.
  const repairs = useRepairs(own, steps)
  const group = steps ? withRepairs(own, steps, repairs) : own
  const { buttons, notice } = useBackfillActions(group, changed)
  const { progress, latest } = group
  // One number for "left" everywhere on the page: every step that has not succeeded and is not running.
  const left = progress.total - progress.succeeded - progress.running
  const first = group.runs[0]!.run
  return (
    <div data-backfill={group.id} data-status={group.status}>
      <PageHeader
        eyebrow={<><Link to="/backfills">Backfills</Link><span className="crumb-sep">/</span><span className="mono">{group.id}</span></>}
        title={<BackfillWhat group={group} />}
        actions={<><BackfillStatus group={group} size="lg" />{buttons}</>}
      />
      {notice}
      {group.repaired ? (
        <div className="info-strip" data-testid="repaired">
          Later runs have since published {count(group.repaired)} of the steps this backfill did not finish
          {group.status === 'succeeded' ? ': it is complete, nothing is left to resume.' : '.'}
        </div>
      ) : null}
      {latest.run.error && group.status !== 'succeeded' && (latest.run.status === 'failed' || latest.run.status === 'canceled') && (
        <ErrorBox error={new ApiFailure(0, latest.run.error.code, latest.run.error.message)} title={latest.run.status === 'failed' ? 'The backfill failed' : 'The backfill was canceled'} />
      )}

      <Card title="Progress" actions={<Eta group={group} />}>
        <ProgressBar progress={progress} size="lg" />
        <dl className="progress-facts">
          <div><dt>Done</dt><dd data-testid="done"><b>{count(progress.succeeded)}</b> of {count(progress.total)} steps</dd></div>
          <div><dt>Succeeded</dt><dd className="tone-text-green">{count(progress.succeeded)}</dd></div>
          <div><dt>Failed</dt><dd className={progress.failed ? 'tone-text-red' : 'muted'}>{count(progress.failed)}</dd></div>
          <div><dt>Running</dt><dd className={progress.running ? 'tone-text-blue' : 'muted'}>{count(progress.running)}</dd></div>
          <div><dt>Skipped</dt><dd className="muted">{count(progress.skipped)}</dd></div>
          <div><dt>Left</dt><dd className={left ? '' : 'muted'} data-testid="left">{count(left)}</dd></div>
          <div><dt>Started</dt><dd title={dateTime(first.startedAt)}>{clockTime(first.startedAt)} <span className="muted">· {relativeTime(first.startedAt)}</span></dd></div>
          <div><dt>Working time</dt><dd>{duration(workingTime(group))}</dd></div>
        </dl>
        {group.scope && (
          <p className="muted small cli-hint">
            From a terminal: <code className="code-inline">tributary {group.identity}</code>
          </p>
        )}
      </Card>

      <Card title="Assets" actions={<span className="muted">in dependency order</span>}>
        <AssetProgressTable group={group} repaired={repairs} {...(steps ? { steps } : {})} />
      </Card>

      <Card title="Runs" actions={<span className="muted">a pause, cancel or failure ends a run; resuming starts the next</span>}>
        <table className="table table-compact" data-testid="backfill-runs">
          <thead>
            <tr><th>Run</th><th>Status</th><th>Started</th><th className="num">Duration</th><th className="num">Succeeded</th><th>Problem</th></tr>
          </thead>
          <tbody>
            {group.runs.map(({ run, counts, total }, i) => (
              <tr key={run.id} data-run={run.id}>
                <td className="nowrap"><Link to={runHref(run.id)} className="mono small">{run.id}</Link> <span className="muted small">{i === 0 ? 'started' : 'resumed'}</span></td>
                <td><StatusPill status={run.status} size="sm" /></td>
                <td className="nowrap" title={dateTime(run.startedAt)}>{clockTime(run.startedAt)}</td>
                <td className="num">{run.finishedAt ? duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : <span className="muted">running</span>}</td>
                <td className="num">{count(counts.succeeded ?? 0)} / {count(total)}</td>
                <td className="reason-cell" title={run.error?.message}>{run.error ? <><code className="code-inline">{run.error.code}</code> {run.error.message}</> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  )
}
