// The asset page's columns: each with its type, where it comes from (upstream asset.column and how)
// and who reads it, every end a link to that asset's page. Where only the asset is known (TypeScript
// code, or columns not recorded yet), it says so rather than guess.
import { withQuery, type ApiAssetColumns, type ApiAssetDetail, type ApiColumnEdge, type ApiEvent } from '../api'
import { useApi } from '../data'
import { plural } from '../format'
import { assetHref, Link } from '../router'
import { Card, Empty, ErrorBox, Spinner } from './ui'

const KIND_TITLE: Record<ApiColumnEdge['kind'], string> = {
  copy: 'copied as is',
  transform: 'computed from it',
  filter: 'decides which rows there are (WHERE, JOIN, GROUP BY, …)',
  asset: 'asset level: TypeScript code is not traced per column',
}

const SCHEMA_FROM: Record<NonNullable<ApiAssetColumns['schemaFrom']>, string> = {
  published: 'as last published', observed: 'as last observed', contract: 'declared by its contract (not published yet)', query: 'named by its SQL (types known after the first publish)',
}

export function AssetColumns({ asset }: { asset: ApiAssetDetail }) {
  const refresh = (event: ApiEvent) => event.type === 'run_finished' || event.type === 'reload'
  const { data, error } = useApi<ApiAssetColumns>(withQuery('/api/lineage/columns', { asset: asset.key }), refresh, 1_500)
  const recorded = new Map(asset.columns.map((c) => [c.name.toLowerCase(), c.type]))
  const columns = data?.columns.filter((c) => c.name !== '*') ?? []
  const assetLevel = columns.some((c) => [...c.upstream, ...c.downstream].some((e) => e.kind === 'asset'))
  return (
    <Card
      title="Columns"
      className="columns-card"
      actions={data?.columnsKnown ? <span className="muted">{plural(columns.length, 'column')}{data.schemaFrom ? ` · ${SCHEMA_FROM[data.schemaFrom]}` : ''}</span> : undefined}
    >
      {error && <ErrorBox error={error} what="the columns" />}
      {!data && !error && <Spinner label="Loading…" />}
      {data && !data.columnsKnown && (
        <div className="columns-unknown" data-testid="columns-unknown">
          <Empty>{data.note}</Empty>
          {data.readers.length > 0 && (
            <>
              <div className="columns-subhead">Read by, at asset level (which columns each reads is not known yet)</div>
              <ul className="column-ends">
                {data.readers.map((reader) => (
                  <li key={reader.asset}>
                    <Link to={assetHref(reader.asset)} className="mono column-end">{reader.asset}</Link>
                    {reader.owner && <span className="muted small"> {reader.owner}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {data?.columnsKnown && columns.length === 0 && <Empty>No columns.</Empty>}
      {data?.columnsKnown && columns.length > 0 && (
        <>
          {assetLevel && (
            <p className="columns-note muted small" data-testid="asset-level-note">
              Edges marked <span className="kind kind-asset">asset level</span> involve TypeScript code, which is traced per asset, not per column: the column may or may not depend on every column it names.
            </p>
          )}
          <table className="table table-compact columns-table">
            <thead>
              <tr><th>Column</th><th>Type</th><th>Comes from</th><th>Read by</th></tr>
            </thead>
            <tbody>
              {columns.map((column) => (
                <tr key={column.name} data-column={column.name}>
                  <td className="mono">{column.name}</td>
                  <td className="mono muted">
                    {column.type ?? recorded.get(column.name.toLowerCase()) ?? '—'}
                    {column.contract && (
                      <div className="column-contract" data-testid="contract" title={column.contract.description ?? 'guaranteed to readers by the contract'}>
                        contract: {column.contract.type}{column.contract.nullable ? '' : ', not null'}
                      </div>
                    )}
                  </td>
                  <td data-testid="comes-from"><Ends edges={column.upstream} end={(e) => e.from} none={asset.type === 'source' ? 'outside data (a source)' : 'no input column'} /></td>
                  <td data-testid="read-by"><Ends edges={column.downstream} end={(e) => e.to} none="nothing reads it" /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  )
}

/** One side of a column's edges: each other end as a link, with how it is used. */
function Ends({ edges, end, none }: { edges: readonly ApiColumnEdge[]; end: (edge: ApiColumnEdge) => { asset: string; column: string }; none: string }) {
  if (edges.length === 0) return <span className="muted small">{none}</span>
  // Asset-level edges name every column of a TypeScript asset: one line per asset says the same, honestly.
  const seen = new Set<string>()
  const shown = edges.flatMap((edge) => {
    if (edge.kind !== 'asset') return [edge]
    const other = end(edge)
    if (seen.has(other.asset)) return []
    seen.add(other.asset)
    return [edge.from === other ? { ...edge, from: { asset: other.asset, column: '*' } } : { ...edge, to: { asset: other.asset, column: '*' } }]
  })
  return (
    <ul className="column-ends">
      {shown.map((edge, i) => {
        const other = end(edge)
        return (
          <li key={`${other.asset}.${other.column}.${edge.kind}.${i}`} data-kind={edge.kind}>
            <Link to={assetHref(other.asset)} className="mono column-end" title={`${other.asset}.${other.column}`}>
              {other.asset}.{other.column === '*' ? <span className="muted">*</span> : other.column}
            </Link>
            <span className={`kind kind-${edge.kind}`} title={KIND_TITLE[edge.kind]}>{edge.kind === 'asset' ? 'asset level' : edge.kind}</span>
          </li>
        )
      })}
    </ul>
  )
}
