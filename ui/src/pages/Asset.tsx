// One asset: its status and why, what it is, its checks and history, and a button to run it.
import { Fragment, useState } from 'react'
import { api, ApiFailure, keyPath, withQuery, type ApiAssetDetail, type ApiCheck, type ApiCheckResult, type ApiEvent, type ApiLineage, type ApiMaterialization, type ApiPartitionStatus, type ApiRunStarted } from '../api'
import { useHealth } from '../App'
import { AssetColumns } from '../components/AssetColumns'
import { BackfillButton } from '../components/BackfillDialog'
import { TimeChart } from '../components/Chart'
import { Modal } from '../components/Modal'
import { PartitionHeatmap } from '../components/PartitionHeatmap'
import { AssetKey, Card, Empty, ErrorBox, Loading, PageHeader, Spinner, StatusPill, Tag } from '../components/ui'
import { useApi } from '../data'
import { clockTime, count, dateTime, duration, plural, relativeTime } from '../format'
import { assetHref, lineageHref, Link, runHref } from '../router'

export function AssetPage({ assetKey }: { assetKey: string }) {
  const key = decodeURIComponent(assetKey)
  const touches = (event: ApiEvent) => event.type === 'run_finished' || event.type === 'reload' || (event.type === 'step' && event.key === key)
  const detail = useApi<ApiAssetDetail>(`/api/assets/${keyPath(key)}`, (event) => touches(event) || event.type === 'step', 700)
  // The rest waits for the asset to exist: an unknown address costs one request, not five 404s.
  const known = detail.data?.key === key
  const history = useApi<ApiMaterialization[]>(known ? withQuery('/api/materializations', { key, limit: 60 }) : null, touches)
  const results = useApi<ApiCheckResult[]>(known ? withQuery('/api/check-results', { key, limit: 300 }) : null, touches)
  const partitions = useApi<ApiPartitionStatus>(known ? withQuery('/api/partitions', { key }) : null, touches)
  const neighbours = useApi<ApiLineage>(known ? withQuery('/api/lineage', { key, depth: 1 }) : null, (event) => event.type !== 'run_started', 1_500)

  if (detail.error instanceof ApiFailure && detail.error.status === 404) return <UnknownAsset assetKey={key} />

  return (
    <div className="page">
      <Loading data={detail.data} error={detail.error} what="the asset">
        {(asset) => (
          <>
            <PageHeader
              eyebrow={
                <>
                  <Link to="/">Catalog</Link>
                  <span className="crumb-sep">/</span>
                  <span>{asset.type === 'source' ? 'Source' : asset.type === 'sql' ? 'SQL asset' : 'TypeScript asset'}</span>
                </>
              }
              title={<AssetKey value={asset.key} />}
              subtitle={asset.description ?? undefined}
              actions={
                <>
                  <Link to={lineageHref(asset.key)} className="btn">View lineage</Link>
                  {asset.type !== 'source' && <MaterializeButton assetKey={asset.key} />}
                </>
              }
            />
            <StatusBanner asset={asset} />
            <div className="asset-grid">
              <div className="asset-main">
                {partitions.data?.partitioned && (
                  <Card
                    title="Partitions"
                    className="partitions-card"
                    actions={
                      <>
                        <span className="muted">{plural(partitions.data.total, `${partitions.data.cadence === 'static' ? '' : `${partitions.data.cadence} `}partition`)}</span>
                        {asset.type !== 'source' && <BackfillButton assetKey={asset.key} status={partitions.data} />}
                      </>
                    }
                  >
                    <PartitionHeatmap status={partitions.data} />
                  </Card>
                )}
                <Checks checks={asset.checks} results={results.data ?? []} />
                <History records={history.data} error={history.error} />
                {asset.code && (
                  <Card title={asset.codeLanguage === 'sql' ? 'SQL' : 'Code'} actions={<span className="muted mono small">version {asset.codeVersion.slice(0, 12)}</span>}>
                    <CodeBlock code={asset.code} language={asset.codeLanguage} />
                  </Card>
                )}
                <AssetColumns asset={asset} />
              </div>
              <aside className="asset-side">
                <Card title="About">
                  <dl className="facts">
                    <dt>Owner</dt><dd>{asset.owner ?? <span className="muted">No owner</span>}</dd>
                    <dt>Kind</dt><dd><Tag tone="kind">{asset.kind}</Tag></dd>
                    <dt>Group</dt><dd>{asset.group ?? <span className="muted">—</span>}</dd>
                    {asset.tags.length > 0 && (<><dt>Tags</dt><dd className="tag-list">{asset.tags.map((tag) => <Tag key={tag}>{tag}</Tag>)}</dd></>)}
                    <dt>Freshness</dt><dd>{asset.freshness ?? <span className="muted">No policy</span>}</dd>
                    <dt>Updated</dt><dd title={dateTime(asset.lastUpdated)}>{asset.lastUpdated ? `${relativeTime(asset.lastUpdated)} · ${clockTime(asset.lastUpdated)}` : 'Never'}</dd>
                    {asset.relation && (<><dt>Table</dt><dd className="mono">{asset.relation}</dd></>)}
                    {asset.io && asset.io !== 'table' && (<><dt>Output</dt><dd>{asset.io}</dd></>)}
                    {asset.lastRunId && (<><dt>Last run</dt><dd><Link to={runHref(asset.lastRunId)} className="mono small">{asset.lastRunId}</Link></dd></>)}
                  </dl>
                </Card>
                <Neighbours title="Upstream" empty="Nothing: this is where data enters." keys={asset.upstream} lineage={neighbours.data} />
                <Neighbours title="Downstream" empty="Nothing reads this yet." keys={asset.downstream} lineage={neighbours.data} />
              </aside>
            </div>
          </>
        )}
      </Loading>
    </div>
  )
}

/** An address that names no asset: said for a person, with the way back (the API's hint is for programs). */
function UnknownAsset({ assetKey }: { assetKey: string }) {
  return (
    <div className="page">
      <PageHeader title={<AssetKey value={assetKey} />} eyebrow={<Link to="/">Catalog</Link>} />
      <div className="empty-state" data-testid="unknown-asset">
        <strong>There is no asset called <span className="mono">{assetKey}</span> in this project.</strong>
        <p className="muted">It may have been renamed or removed, or the address has a typo.</p>
        <p><Link to={`/?q=${encodeURIComponent(assetKey.split('/').at(-1) ?? assetKey)}`} className="btn">Search the catalog</Link></p>
      </div>
    </div>
  )
}

function StatusBanner({ asset }: { asset: ApiAssetDetail }) {
  // The chain down to the root cause; nothing to show when the asset is its own root cause.
  const chain = asset.chain.some((link) => link.key !== asset.key) ? asset.chain : []
  return (
    <section className={`status-banner status-banner-${asset.ready ? 'ok' : asset.status}`} data-testid="status-banner">
      <div className="status-banner-head">
        <StatusPill status={asset.status} size="lg" />
        <div className="status-banner-text">
          {asset.ready ? (
            <strong>{asset.status === 'running' ? 'Being updated now' : 'Up to date and checked'}{asset.lastUpdated ? ` · updated ${relativeTime(asset.lastUpdated)}` : ''}</strong>
          ) : (
            <strong>{asset.reason || 'Not ready'}</strong>
          )}
          {asset.owner && <span className="muted"> Owner: {asset.owner}</span>}
        </div>
      </div>
      {!asset.ready && chain.length > 0 && (
        <ol className="chain" aria-label="Why: the chain down to the root cause">
          {chain.map((link, i) => (
            <li key={`${link.key}-${i}`} className="chain-link">
              <span className="chain-marker" aria-hidden>{i === chain.length - 1 ? 'Root cause' : i === 0 && link.key === asset.key ? 'This asset' : 'because'}</span>
              <StatusPill status={link.status} size="sm" />
              <Link to={assetHref(link.key)} className="mono chain-key">{link.key}</Link>
              <span className="chain-message">{link.message}</span>
              {link.owner && <span className="chain-owner">{link.owner}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

function MaterializeButton({ assetKey }: { assetKey: string }) {
  const health = useHealth()
  const [state, setState] = useState<
    | { step: 'idle' }
    | { step: 'planning' }
    | { step: 'confirm'; steps: readonly string[] }
    | { step: 'starting'; steps: readonly string[] }
    | { step: 'started'; runId: string; steps: readonly string[] }
    | { step: 'error'; error: Error }
  >({ step: 'idle' })
  // Up-to-date steps are skipped unless forced (as `materialize --force`).
  const [force, setForce] = useState(false)
  const readOnly = health?.role === 'read'

  const plan = async () => {
    setState({ step: 'planning' })
    try {
      const answer = await api.post<ApiRunStarted>('/api/runs', { selection: assetKey, dryRun: true })
      setState({ step: 'confirm', steps: answer.steps })
    } catch (error) {
      setState({ step: 'error', error: error as Error })
    }
  }
  const start = async (steps: readonly string[]) => {
    setState({ step: 'starting', steps })
    try {
      const answer = await api.post<ApiRunStarted>('/api/runs', force ? { selection: assetKey, force: true } : { selection: assetKey })
      if (answer.runId) setState({ step: 'started', runId: answer.runId, steps: answer.steps })
      else setState({ step: 'idle' })
    } catch (error) {
      setState({ step: 'error', error: error as Error })
    }
  }
  const close = () => {
    setState({ step: 'idle' })
    setForce(false)
  }

  return (
    <>
      <button className="btn btn-primary" onClick={plan} disabled={readOnly || state.step === 'planning' || state.step === 'starting'} title={readOnly ? 'Your token is read-only' : 'Run this asset now'}>
        {state.step === 'planning' ? <Spinner label="Planning…" /> : 'Materialize'}
      </button>
      {(state.step === 'confirm' || state.step === 'starting') && (
        <Modal
          title={`Materialize ${assetKey}?`}
          onClose={close}
          footer={
            <>
              <button className="btn" onClick={close}>Cancel</button>
              <button className="btn btn-primary" onClick={() => start(state.steps)} disabled={state.step === 'starting' || state.steps.length === 0} data-testid="confirm-run">
                {state.step === 'starting' ? <Spinner label="Starting…" /> : `Run ${plural(state.steps.length, 'step')}`}
              </button>
            </>
          }
        >
          {state.steps.length === 0 ? (
            <p>Nothing to run: the selection planned no steps.</p>
          ) : (
            <>
              <p>{state.steps.length === 1 ? 'This run will update exactly this asset. It is checked before anyone can read it.' : `This run will update exactly these ${count(state.steps.length)} assets, in this order. Each is checked before anyone can read it.`}</p>
              <ol className="plan-list" data-testid="plan-list">
                {state.steps.map((step) => <li key={step} className="mono">{step}</li>)}
              </ol>
              <label className="check-option" data-testid="force-option">
                <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} disabled={state.step === 'starting'} />
                <span>
                  <strong>Force rebuild (ignore up to date)</strong>
                  <span className="field-hint">{force ? 'Every step above runs, even if its code and inputs are unchanged since it was last built.' : 'Steps whose code and inputs are unchanged since their last build are skipped as up to date.'}</span>
                </span>
              </label>
            </>
          )}
        </Modal>
      )}
      {state.step === 'started' && (
        <div className="toast" role="status" data-testid="run-started">
          <span>Run started: {plural(state.steps.length, 'step')}.</span>
          <Link to={runHref(state.runId)} className="toast-link">View run →</Link>
          <button className="toast-close" onClick={close} aria-label="Dismiss">×</button>
        </div>
      )}
      {state.step === 'error' && (
        <Modal title="Could not start the run" onClose={close} footer={<button className="btn" onClick={close}>Close</button>}>
          <ErrorBox error={state.error} />
        </Modal>
      )}
    </>
  )
}

function Checks({ checks, results }: { checks: readonly ApiCheck[]; results: readonly ApiCheckResult[] }) {
  const byName = new Map<string, ApiCheckResult[]>()
  for (const result of results) {
    const list = byName.get(result.checkName) ?? []
    list.push(result)
    byName.set(result.checkName, list)
  }
  const failing = checks.filter((c) => c.lastResult && !c.lastResult.passed).length
  return (
    <Card title="Checks" actions={checks.length > 0 ? <span className="muted">{failing ? `${failing} of ${checks.length} failing` : `${plural(checks.length, 'check')}`}</span> : undefined}>
      {checks.length === 0 ? (
        <Empty>No checks declared. Checks are what make “succeeded” mean the data is right.</Empty>
      ) : (
        <ul className="checks">
          {checks.map((check) => {
            const history = (byName.get(check.name) ?? []).slice(0, 24).reverse()
            const last = check.lastResult
            return (
              <li key={check.name} className="check" data-check={check.name}>
                <div className="check-head">
                  <StatusPill status={!last ? 'missing' : last.passed ? 'fresh' : last.severity === 'warn' ? 'stale' : 'failed'} label={!last ? 'Not run' : last.passed ? 'Passed' : last.severity === 'warn' ? 'Warning' : 'Failed'} size="sm" />
                  <span className="check-name mono">{check.name}</span>
                  <span className="check-meta muted">{check.type} · {check.severity}{check.blocking ? ' · blocks publishing' : ''}</span>
                  <span className="check-history" aria-label="Recent results, oldest first">
                    {history.map((result, i) => (
                      <span key={i} className={`history-dot ${result.passed ? 'ok' : result.severity === 'warn' ? 'warn' : 'bad'}`} title={`${result.passed ? 'Passed' : 'Failed'} · ${dateTime(result.createdAt)}${result.message ? ` · ${result.message}` : ''}`} />
                    ))}
                  </span>
                </div>
                {last && !last.passed && (
                  <div className="check-failure">
                    <div>
                      {last.message ?? 'The check failed.'}
                      {last.failingRows !== null && <> · <strong>{plural(last.failingRows, 'failing row')}</strong></>}
                      <span className="muted"> · {relativeTime(last.createdAt)} in run </span>
                      <Link to={runHref(last.runId)} className="mono small">{last.runId}</Link>
                    </div>
                    {last.sample.length > 0 && <SampleRows rows={last.sample} />}
                  </div>
                )}
              </li>
            )
          })}
        </ul>
      )}
    </Card>
  )
}

function SampleRows({ rows }: { rows: readonly Record<string, unknown>[] }) {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  return (
    <div className="sample">
      <div className="sample-title">Sample of failing rows</div>
      <table className="table table-compact mono">
        <thead>
          <tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
        </thead>
        <tbody>
          {rows.slice(0, 10).map((row, i) => (
            <tr key={i}>{columns.map((c) => <td key={c}>{cell(row[c])}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function History({ records, error }: { records: readonly ApiMaterialization[] | undefined; error: Error | undefined }) {
  return (
    <Card title="Materializations" actions={records && records.length > 0 ? <span className="muted">last {plural(records.length, 'update')}</span> : undefined}>
      {error && <ErrorBox error={error} what="the history" />}
      {!records && !error && <Spinner label="Loading…" />}
      {records && records.length === 0 && <Empty>Not materialized yet.</Empty>}
      {records && records.length > 0 && (
        <>
          <div className="charts">
            <TimeChart label="Rows" color="#2563eb" format={(n) => compact(n)} points={records.filter((r) => r.rowCount !== null).map((r) => ({ at: r.createdAt, value: r.rowCount! }))} />
            <TimeChart label="Duration" color="#7c3aed" format={(n) => duration(n)} points={records.map((r) => ({ at: r.createdAt, value: r.durationMs }))} />
          </div>
          <table className="table table-compact">
            <thead>
              <tr><th>When</th><th>Run</th>{records.some((r) => r.partition) && <th>Partition</th>}<th className="num">Rows</th><th className="num">Duration</th><th>Data version</th></tr>
            </thead>
            <tbody>
              {records.slice(0, 8).map((record) => (
                <Fragment key={record.id}>
                  <tr>
                    <td title={dateTime(record.createdAt)} className="nowrap">{relativeTime(record.createdAt)}</td>
                    <td><Link to={runHref(record.runId)} className="mono small">{record.runId}</Link></td>
                    {records.some((r) => r.partition) && <td className="mono">{record.partition ?? '—'}</td>}
                    <td className="num">{count(record.rowCount)}</td>
                    <td className="num">{duration(record.durationMs)}</td>
                    <td className="mono muted small">{record.dataVersion.slice(0, 12)}</td>
                  </tr>
                </Fragment>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  )
}

function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`
  return count(Math.round(n))
}

function Neighbours({ title, empty, keys, lineage }: { title: string; empty: string; keys: readonly string[]; lineage: ApiLineage | undefined }) {
  const status = new Map(lineage?.nodes.map((n) => [n.key, n]) ?? [])
  return (
    <Card title={title} actions={keys.length > 0 ? <span className="muted">{keys.length}</span> : undefined}>
      {keys.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <ul className="neighbours">
          {keys.map((key) => {
            const node = status.get(key)
            return (
              <li key={key}>
                <Link to={assetHref(key)} className="neighbour">
                  <span className={`status-dot tone-${node ? node.status : 'missing'}`} title={node?.status} />
                  <AssetKey value={key} />
                  {node && <span className="muted small neighbour-kind">{node.kind}</span>}
                </Link>
              </li>
            )
          })}
        </ul>
      )}
    </Card>
  )
}

const SQL_WORDS = /\b(select|from|where|join|left|right|inner|outer|full|cross|on|using|group|by|order|having|limit|offset|as|and|or|not|in|is|null|case|when|then|else|end|with|union|all|distinct|insert|into|values|update|set|delete|create|table|view|over|partition|count|sum|avg|min|max|cast|coalesce|asc|desc|between|like|exists|true|false)\b/gi

/** SQL keywords, strings and comments lightly colored; other languages plain. */
function CodeBlock({ code, language }: { code: string; language: 'sql' | 'typescript' | null }) {
  const text = dedent(code)
  if (language !== 'sql') return <pre className="code"><code>{text}</code></pre>
  const parts: { text: string; kind: string }[] = []
  const token = /(--[^\n]*)|('(?:[^']|'')*')|(\b\d+(?:\.\d+)?\b)/g
  let last = 0
  for (let match = token.exec(text); match; match = token.exec(text)) {
    if (match.index > last) parts.push(...keywords(text.slice(last, match.index)))
    parts.push({ text: match[0], kind: match[1] ? 'comment' : match[2] ? 'string' : 'number' })
    last = match.index + match[0].length
  }
  parts.push(...keywords(text.slice(last)))
  return (
    <pre className="code code-sql">
      <code>{parts.map((part, i) => (part.kind === 'plain' ? part.text : <span key={i} className={`tok-${part.kind}`}>{part.text}</span>))}</code>
    </pre>
  )
}

function keywords(text: string): { text: string; kind: string }[] {
  const out: { text: string; kind: string }[] = []
  let last = 0
  for (const match of text.matchAll(SQL_WORDS)) {
    if (match.index! > last) out.push({ text: text.slice(last, match.index), kind: 'plain' })
    out.push({ text: match[0], kind: 'keyword' })
    last = match.index! + match[0].length
  }
  if (last < text.length) out.push({ text: text.slice(last), kind: 'plain' })
  return out
}

function dedent(code: string): string {
  const lines = code.replace(/\t/g, '  ').split('\n')
  while (lines.length && !lines[0]!.trim()) lines.shift()
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop()
  // The first line of a function's source carries no indentation; the rest share the body's.
  const rest = lines.slice(1).filter((l) => l.trim())
  const indent = Math.min(...rest.map((l) => l.length - l.trimStart().length), Infinity)
  if (!Number.isFinite(indent) || indent === 0) return lines.join('\n')
  return lines.map((l, i) => (i === 0 ? l : l.slice(Math.min(indent, l.length - l.trimStart().length)))).join('\n')
}
