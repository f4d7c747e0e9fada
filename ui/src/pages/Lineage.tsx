// Lineage: the whole graph (or one asset's upstream and downstream), laid out in a worker, drawn on a canvas.
import { useEffect, useMemo, useRef, useState } from 'react'
import { withQuery, type ApiAssetStatus, type ApiLineage } from '../api'
import { ASSET_STATUSES, ErrorBox, Spinner, STATUS_LABEL } from '../components/ui'
import { changesStatus, useApi } from '../data'
import { count, plural } from '../format'
import { GraphCanvas, STATUS_COLOR, type GraphHandle, type NodeInfo } from '../lineage/GraphCanvas'
import { layoutGraph, shapeOf, warmLayout, type GraphLayout } from '../lineage/layout'
import { planImpact, PlanImpactBox, usePlan } from '../lineage/PlanImpact'
import { assetHref, Link, navigate, setQuery, useLocation } from '../router'

declare global {
  interface Window {
    /** Timings of the last lineage drawn, for tests and benchmarks. */
    __tributaryLineage?: { nodes: number; edges: number; engine: string; cached: boolean; fetchMs: number; layoutMs: number; firstDrawMs: number; totalMs: number }
  }
}

export function LineagePage() {
  const { query } = useLocation()
  const focus = query.get('focus')
  // ?view=plan: the plan (working tree against what is deployed) drawn as an impact view.
  const planView = query.get('view') === 'plan'
  const { plan, error: planError } = usePlan(planView)
  const opened = useRef(performance.now())
  const path = focus ? withQuery('/api/lineage', { key: focus, direction: 'both' }) : '/api/lineage'
  const { data, error } = useApi<ApiLineage>(path, changesStatus, 2_000)
  useEffect(warmLayout, [])
  const fetchedAt = useRef<number | null>(null)
  if (data && fetchedAt.current === null) fetchedAt.current = performance.now()

  const shape = data ? shapeOf(data) : null
  const [layout, setLayout] = useState<{ shape: string; layout: GraphLayout } | null>(null)
  const [layoutError, setLayoutError] = useState<Error | null>(null)
  const [elapsed, setElapsed] = useState(0)
  const graph = useRef<GraphHandle>(null)

  useEffect(() => {
    if (!data || !shape || layout?.shape === shape) return
    let live = true
    setLayoutError(null)
    layoutGraph(data).then(
      (result) => live && setLayout({ shape, layout: result }),
      (failure: Error) => live && setLayoutError(failure),
    )
    return () => {
      live = false
    }
    // Only a change of shape needs a new layout; status changes only recolor.
  }, [shape])

  const laying = Boolean(data && (!layout || layout.shape !== shape) && !layoutError)
  useEffect(() => {
    if (!laying) return
    const started = performance.now()
    const timer = window.setInterval(() => setElapsed(performance.now() - started), 250)
    return () => {
      window.clearInterval(timer)
      setElapsed(0)
    }
  }, [laying])

  const current = layout && layout.shape === shape ? layout.layout : layout?.layout ?? null
  const view = useMemo(() => (data && current ? derive(data, current) : null), [data, current])
  // In the plan view, failures are not drawn: only the change and what it breaks (nothing until the plan arrives).
  const impact = useMemo(() => {
    if (!planView || !current) return null
    if (plan) return planImpact(plan, current)
    return { marked: new Uint8Array(current.keys.length), impactedNodes: new Uint8Array(current.keys.length), impactedEdges: new Uint8Array(current.edges.length / 2) }
  }, [planView, plan, current])
  const statusCounts = useMemo(() => {
    const counts = new Map<ApiAssetStatus, number>()
    for (const node of data?.nodes ?? []) counts.set(node.status, (counts.get(node.status) ?? 0) + 1)
    return counts
  }, [data])

  const [find, setFind] = useState('')
  // Suggestions: the first keys that contain what was typed, not thousands of options.
  const suggestions = useMemo(() => {
    const typed = find.trim().toLowerCase()
    if (!data) return []
    const out: string[] = []
    for (const node of data.nodes) {
      if (!typed || node.key.toLowerCase().includes(typed)) out.push(node.key)
      if (out.length >= 50) break
    }
    return out
  }, [data, find])

  return (
    <div className="lineage-page">
      <div className="lineage-bar">
        <div className="lineage-title">
          <h1>Lineage</h1>
          {focus ? (
            <span className="lineage-scope">
              Upstream and downstream of <Link to={assetHref(focus)} className="mono">{focus}</Link>
              <Link to="/lineage" className="btn btn-small btn-ghost">Show everything</Link>
            </span>
          ) : (
            <span className="lineage-scope muted">{data ? `${plural(data.nodes.length, 'asset')}, ${plural(data.edges.length, 'dependency', 'dependencies')}` : ' '}</span>
          )}
        </div>
        <form
          className="lineage-find"
          onSubmit={(event) => {
            event.preventDefault()
            const key = find.trim()
            if (key) navigate(`/lineage?focus=${encodeURIComponent(key)}`)
          }}
        >
          <input list="lineage-keys" placeholder="Focus on an asset…" value={find} onChange={(event) => setFind(event.target.value)} aria-label="Focus on an asset" />
          <datalist id="lineage-keys">
            {suggestions.map((key) => <option key={key} value={key} />)}
          </datalist>
          <button className="btn btn-small" type="submit" disabled={!find.trim()}>Focus</button>
        </form>
        <button
          className="btn btn-small btn-plan" aria-pressed={planView} data-testid="plan-toggle"
          onClick={() => setQuery({ view: planView ? null : 'plan' })}
          title="Compare the project as loaded with what is deployed, and show what the change breaks"
        >
          {planView ? 'Hide impact of changes' : 'Impact of changes'}
        </button>
      </div>

      <div className="lineage-body">
        <aside className="lineage-side">
          <div>
          <h3>Status</h3>
          <ul className="legend">
            {ASSET_STATUSES.filter((s) => s !== 'blocked').map((status) => {
              const n = (statusCounts.get(status) ?? 0) + (status === 'failed' ? statusCounts.get('blocked') ?? 0 : 0)
              return (
                <li key={status} className={n ? '' : 'legend-zero'}>
                  <span className="legend-swatch" style={{ background: STATUS_COLOR[status] }} />
                  {status === 'failed' ? 'Failed or blocked' : STATUS_LABEL[status]}
                  <span className="legend-count">{count(n)}</span>
                </li>
              )
            })}
          </ul>
          </div>
          {planView && <PlanImpactBox plan={plan} error={planError} />}
          {!planView && view && view.failures.length > 0 && (
            <div className="impact-box">
              <h3>Failure impact</h3>
              <p>
                <span className="impact-line" /> Red lines follow {view.failures.length === 1 ? 'the failure' : `the ${view.failures.length} failures`} down to {view.affectedOutputs.length === 0 ? 'what' : `the ${plural(view.affectedOutputs.length, 'output')}`} {view.failures.length === 1 ? 'it affects' : 'they affect'}.
              </p>
              <ul className="impact-list">
                {view.failures.slice(0, 5).map((key) => (
                  <li key={key}><span className="legend-swatch" style={{ background: STATUS_COLOR.failed }} /><Link to={assetHref(key)} className="mono">{key}</Link></li>
                ))}
              </ul>
              {view.affectedOutputs.length > 0 && (
                <>
                  <h4>Affected outputs</h4>
                  <ul className="impact-list">
                    {view.affectedOutputs.slice(0, 8).map((key) => (
                      <li key={key}><Link to={assetHref(key)} className="mono">{key}</Link></li>
                    ))}
                    {view.affectedOutputs.length > 8 && <li className="muted">and {count(view.affectedOutputs.length - 8)} more</li>}
                  </ul>
                </>
              )}
            </div>
          )}
          <div className="lineage-help muted">Drag to move · scroll to zoom · click an asset to open it</div>
        </aside>

        <div className="lineage-stage">
          {error && <div className="stage-message"><ErrorBox error={error} what="the lineage" /></div>}
          {layoutError && <div className="stage-message"><ErrorBox error={layoutError} what="the layout" /></div>}
          {!data && !error && <div className="stage-message"><Spinner label="Loading the lineage…" /></div>}
          {data && data.nodes.length === 0 && <div className="stage-message">This project has no assets yet.</div>}
          {current && view && data && data.nodes.length > 0 && (
            <>
              <GraphCanvas
                handle={graph}
                layout={current}
                info={view.info}
                impactedNodes={impact?.impactedNodes ?? view.impactedNodes}
                impactedEdges={impact?.impactedEdges ?? view.impactedEdges}
                {...(impact ? { marked: impact.marked } : {})}
                focusKey={focus}
                onOpen={(key) => navigate(assetHref(key))}
                onRendered={(drawMs) => {
                  const now = performance.now()
                  window.__tributaryLineage = {
                    nodes: current.keys.length, edges: current.edges.length / 2, engine: current.engine, cached: current.cached,
                    fetchMs: Math.round((fetchedAt.current ?? now) - opened.current), layoutMs: Math.round(current.ms),
                    firstDrawMs: Math.round(drawMs), totalMs: Math.round(now - opened.current),
                  }
                }}
              />
              <div className="zoom-controls">
                <button className="btn btn-icon" onClick={() => graph.current?.zoomBy(1.3)} aria-label="Zoom in" title="Zoom in">+</button>
                <button className="btn btn-icon" onClick={() => graph.current?.zoomBy(1 / 1.3)} aria-label="Zoom out" title="Zoom out">−</button>
                <button className="btn btn-icon btn-fit" onClick={() => graph.current?.fit()} aria-label="Fit to screen" title="Fit to screen">Fit</button>
              </div>
            </>
          )}
          {laying && (
            <div className="laying-out" role="status" data-testid="laying-out">
              <Spinner />
              <div>
                <strong>Laying out {plural(data!.nodes.length, 'asset')}…</strong>
                <div className="muted">{elapsed > 1_500 ? `${(elapsed / 1000).toFixed(0)} s — big graphs take a few seconds; the page stays usable.` : 'Arranging upstream on the left, downstream on the right.'}</div>
              </div>
            </div>
          )}
        </div>
      </div>
    </div>
  )
}

/** Statuses per laid-out node, and the paths from failures down to what they affect. */
function derive(data: ApiLineage, layout: GraphLayout) {
  const byKey = new Map(data.nodes.map((n) => [n.key, n]))
  const info: NodeInfo[] = layout.keys.map((key) => {
    const node = byKey.get(key)
    return { status: node?.status ?? 'missing', kind: node?.kind ?? '', owner: node?.owner ?? null }
  })
  const n = layout.keys.length
  const edgeCount = layout.edges.length / 2
  const out: number[][] = Array.from({ length: n }, () => [])
  for (let e = 0; e < edgeCount; e++) out[layout.edges[e * 2]!]!.push(e)
  const impactedNodes = new Uint8Array(n)
  const impactedEdges = new Uint8Array(edgeCount)
  const failures: string[] = []
  const stack: number[] = []
  info.forEach((node, i) => {
    if (node.status === 'failed' || node.status === 'blocked') {
      failures.push(layout.keys[i]!)
      if (!impactedNodes[i]) {
        impactedNodes[i] = 1
        stack.push(i)
      }
    }
  })
  while (stack.length) {
    const i = stack.pop()!
    for (const e of out[i]!) {
      impactedEdges[e] = 1
      const to = layout.edges[e * 2 + 1]!
      if (!impactedNodes[to]) {
        impactedNodes[to] = 1
        stack.push(to)
      }
    }
  }
  const affectedOutputs = layout.keys.filter((_, i) => impactedNodes[i] && out[i]!.length === 0 && info[i]!.status !== 'failed' && info[i]!.status !== 'blocked')
  // Root failures first: those with no failed or blocked ancestor are the causes.
  failures.sort((a, b) => a.localeCompare(b))
  return { info, impactedNodes, impactedEdges, failures, affectedOutputs }
}
