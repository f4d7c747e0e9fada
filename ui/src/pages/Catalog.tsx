// Catalog: every asset and source, searched and filtered on the server, one page at a time.
import { useEffect, useState } from 'react'
import { withQuery, type ApiAssetList } from '../api'
import { ASSET_STATUSES, AssetKey, ErrorBox, PageHeader, Spinner, STATUS_LABEL, StatusPill, Tag } from '../components/ui'
import { changesStatus, useApi } from '../data'
import { count, dateTime, relativeTime } from '../format'
import { assetHref, Link, navigate, setQuery, useLocation } from '../router'

const PAGE_SIZE = 50
const FILTERS = ['owner', 'tag', 'group', 'kind', 'status'] as const

export function CatalogPage() {
  const { query } = useLocation()
  const q = query.get('q') ?? ''
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1)
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>
  const [search, setSearch] = useState(q)

  // Typing updates the address (and so the query) after a short pause.
  useEffect(() => {
    if (search === q) return
    const timer = window.setTimeout(() => setQuery({ q: search, page: null }), 250)
    return () => window.clearTimeout(timer)
  }, [search, q])
  useEffect(() => setSearch(q), [q])

  const path = withQuery('/api/assets', { q, ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })
  const { data, error, loading } = useApi<ApiAssetList>(path, changesStatus, 1_000, true)
  const active = FILTERS.filter((name) => filters[name])
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1

  return (
    <div className="page">
      <PageHeader
        title="Catalog"
        subtitle="Every table, model, report and source the team produces or depends on, with whether it can be trusted right now."
      />
      <div className="toolbar">
        <div className="search">
          <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden>
            <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="M13 13l4 4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <input type="search" placeholder="Search assets, descriptions, owners…" value={search} onChange={(event) => setSearch(event.target.value)} aria-label="Search the catalog" />
          {loading && data && <Spinner />}
        </div>
        <FilterSelect name="status" label="Status" value={filters.status} options={ASSET_STATUSES} render={(s) => STATUS_LABEL[s as keyof typeof STATUS_LABEL]} />
        <FilterSelect name="owner" label="Owner" value={filters.owner} options={data?.facets.owners ?? []} />
        <FilterSelect name="group" label="Group" value={filters.group} options={data?.facets.groups ?? []} />
        <FilterSelect name="kind" label="Kind" value={filters.kind} options={data?.facets.kinds ?? []} />
        <FilterSelect name="tag" label="Tag" value={filters.tag} options={data?.facets.tags ?? []} />
        {(active.length > 0 || q) && (
          <button className="btn btn-ghost" onClick={() => { setSearch(''); setQuery({ q: null, page: null, ...Object.fromEntries(FILTERS.map((f) => [f, null])) }) }}>
            Clear
          </button>
        )}
      </div>

      {error && <ErrorBox error={error} what="the catalog" />}
      <div className="table-card">
        <table className="table catalog-table">
          <thead>
            <tr>
              {/* Fixed widths (table-layout: fixed): the Why column takes what is left and wraps. */}
              <th style={{ width: '21%' }}>Asset</th>
              <th style={{ width: '7.5rem' }}>Status</th>
              <th style={{ width: '6.5rem' }}>Kind</th>
              <th style={{ width: '10.5rem' }}>Owner</th>
              <th style={{ width: '6rem' }}>Group</th>
              <th style={{ width: '7rem' }}>Updated</th>
              <th style={{ width: '7.5rem' }}>Freshness</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {!data && !error && (
              <tr>
                <td colSpan={8} className="table-message"><Spinner label="Loading the catalog…" /></td>
              </tr>
            )}
            {data?.items.length === 0 && (
              <tr>
                <td colSpan={8} className="table-message">No asset matches{q ? <> “{q}”</> : ''}{active.length ? ' with these filters' : ''}.</td>
              </tr>
            )}
            {data?.items.map((item) => (
              <tr key={item.key} className="clickable" data-key={item.key} onClick={(event) => {
                if ((event.target as HTMLElement).closest('a')) return
                navigate(assetHref(item.key))
              }}>
                <td>
                  <Link to={assetHref(item.key)} className="row-link"><AssetKey value={item.key} /></Link>
                  {item.description && <div className="row-sub" title={item.description}>{item.description}</div>}
                </td>
                <td><StatusPill status={item.status} size="sm" /></td>
                <td><Tag tone="kind">{item.kind}</Tag></td>
                <td>{item.owner ?? <span className="muted">—</span>}</td>
                <td>{item.group ?? <span className="muted">—</span>}</td>
                <td className="nowrap" title={dateTime(item.lastUpdated)}>{relativeTime(item.lastUpdated)}</td>
                <td className="muted">{item.freshness ?? '—'}</td>
                <td className="reason-cell" title={item.reason || undefined}>{item.reason ? item.reason : <span className="muted">Ready</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data && (
        <div className="pager">
          <span className="muted">
            {data.total === 0 ? 'No assets' : `${count((page - 1) * PAGE_SIZE + 1)}–${count(Math.min(page * PAGE_SIZE, data.total))} of ${count(data.total)} assets`}
          </span>
          {pages > 1 && (
            <span className="pager-buttons">
              <button className="btn btn-small" disabled={page <= 1} onClick={() => setQuery({ page: page - 1 > 1 ? String(page - 1) : null })}>← Previous</button>
              <span className="muted">Page {count(page)} of {count(pages)}</span>
              <button className="btn btn-small" disabled={page >= pages} onClick={() => setQuery({ page: String(page + 1) })}>Next →</button>
            </span>
          )}
        </div>
      )}
    </div>
  )
}

function FilterSelect({ name, label, value, options, render }: { name: string; label: string; value: string; options: readonly string[]; render?: (value: string) => string }) {
  const all = value && !options.includes(value) ? [value, ...options] : options
  return (
    <label className={`filter${value ? ' filter-active' : ''}`}>
      <span className="sr-only">{label}</span>
      <select value={value} onChange={(event) => setQuery({ [name]: event.target.value, page: null })} aria-label={label}>
        <option value="">{label}: all</option>
        {all.map((option) => (
          <option key={option} value={option}>{label}: {render ? render(option) : option}</option>
        ))}
      </select>
    </label>
  )
}
