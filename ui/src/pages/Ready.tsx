// "Is the data ready?": one big card per business-facing output, in plain words.
import type { ApiReadyItem } from '../api'
import { Empty, ErrorBox, PageHeader, Spinner, STATUS_LABEL, tone } from '../components/ui'
import { changesStatus, useApi } from '../data'
import { clockTime, dateTime, relativeTime } from '../format'
import { assetHref, Link } from '../router'

export function ReadyPage() {
  const { data, error } = useApi<ApiReadyItem[]>('/api/ready', changesStatus, 1_000)
  const ready = data?.filter((item) => item.ready).length ?? 0
  const sorted = data ? [...data].sort((a, b) => Number(a.ready) - Number(b.ready) || a.key.localeCompare(b.key)) : []
  return (
    <div className="page">
      <PageHeader
        title="Is the data ready?"
        subtitle="The dashboards, reports and extracts people rely on. Green means it is up to date and passed its checks."
      />
      {error && <ErrorBox error={error} what="the board" />}
      {!data && !error && <Spinner label="Loading…" />}
      {data && data.length === 0 && (
        <Empty>
          Nothing on the board yet. Outputs of kind <code className="code-inline">dashboard</code>, <code className="code-inline">report</code> or <code className="code-inline">extract</code>, or tagged <code className="code-inline">business</code>, appear here.
        </Empty>
      )}
      {data && data.length > 0 && (
        <>
          <div className={`ready-summary ${ready === data.length ? 'all-ready' : 'some-not'}`}>
            <span className="ready-summary-big">{ready === data.length ? 'Everything is ready' : `${data.length - ready} of ${data.length} not ready`}</span>
            <span className="muted">{ready} ready · checked live</span>
          </div>
          <div className="ready-grid">
            {sorted.map((item) => <ReadyCard key={item.key} item={item} />)}
          </div>
        </>
      )}
    </div>
  )
}

function ReadyCard({ item }: { item: ApiReadyItem }) {
  const colour = item.ready ? 'green' : tone(item.status)
  const headline = item.ready
    ? item.since ? `Ready since ${clockTime(item.since)}` : 'Ready'
    : item.status === 'running' ? 'Updating now' : 'Not ready'
  const explanation = item.ready ? null : item.explanation.replace(/^Not ready:\s*/i, '')
  return (
    <Link to={assetHref(item.key)} className={`ready-card ready-${colour}`} data-key={item.key} data-ready={item.ready}>
      <div className="ready-top">
        <span className="ready-kind">{item.kind}</span>
        <span className={`ready-badge tone-${colour}`}>{item.ready ? '✓' : item.status === 'running' ? '…' : '!'}</span>
      </div>
      <div className="ready-name">{item.description ?? item.key}</div>
      {item.description && <div className="ready-key mono">{item.key}</div>}
      <div className={`ready-headline tone-text-${colour}`} title={item.since ? dateTime(item.since) : undefined}>{headline}</div>
      {item.ready && item.since && <div className="ready-detail muted">Updated {relativeTime(item.since)}</div>}
      {explanation && <div className="ready-detail">{explanation}</div>}
      {!item.ready && item.rootCause && item.rootCause.key !== item.key && (
        <div className="ready-cause">
          Waiting on <span className="mono">{item.rootCause.key}</span> ({STATUS_LABEL[item.rootCause.status].toLowerCase()}){item.rootCause.owner ? ` · ask ${item.rootCause.owner}` : ''}
        </div>
      )}
      <div className="ready-foot">
        <span>{item.owner ? `Owner ${item.owner}` : 'No owner'}</span>
        {item.expectedAt && !item.ready && <span className="ready-expected">Expected {clockTime(item.expectedAt)}</span>}
      </div>
    </Link>
  )
}
