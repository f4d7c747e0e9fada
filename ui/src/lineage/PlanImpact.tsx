// The plan as an impact view on the lineage: what changed in the working tree against what is
// deployed (POST /api/plan), and which downstream assets and columns it breaks, with owners.
import { useCallback, useEffect, useState } from 'react'
import { api, type ApiPlan } from '../api'
import { ErrorBox, Spinner } from '../components/ui'
import { count, duration, plural } from '../format'
import { useLiveEvents } from '../live'
import { assetHref, Link } from '../router'
import type { GraphLayout } from './layout'

/** The plan of the project the server loaded, asked for while `enabled`, again when the project reloads. */
export function usePlan(enabled: boolean): { plan: ApiPlan | undefined; error: Error | undefined } {
  const [state, setState] = useState<{ plan: ApiPlan | undefined; error: Error | undefined }>({ plan: undefined, error: undefined })
  const [generation, setGeneration] = useState(0)
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  useEffect(() => {
    if (!enabled) return
    let live = true
    api.post<ApiPlan>('/api/plan', {}).then(
      (plan) => live && setState({ plan, error: undefined }),
      (error: Error) => live && setState((s) => ({ plan: s.plan, error })),
    )
    return () => {
      live = false
    }
  }, [enabled, generation])
  useLiveEvents((event) => {
    if (enabled && (event.type === 'reload' || event.type === 'run_finished')) reload()
  })
  return state
}

/** Changed assets marked; the paths from them to every reader they break, and those readers, highlighted. */
export function planImpact(plan: ApiPlan, layout: GraphLayout) {
  const n = layout.keys.length
  const edgeCount = layout.edges.length / 2
  const changed = new Set([...plan.changed.map((c) => c.key), ...plan.added])
  const broken = new Set([...plan.breaks.flatMap((b) => b.readers.map((r) => r.asset)), ...plan.contractBreaches.map((c) => c.asset)])
  const marked = new Uint8Array(n)
  const forward = new Uint8Array(n)
  const backward = new Uint8Array(n)
  const out: number[][] = Array.from({ length: n }, () => [])
  const into: number[][] = Array.from({ length: n }, () => [])
  for (let e = 0; e < edgeCount; e++) {
    out[layout.edges[e * 2]!]!.push(e)
    into[layout.edges[e * 2 + 1]!]!.push(e)
  }
  const walk = (starts: Set<string>, seen: Uint8Array, next: number[][], end: number) => {
    const stack: number[] = []
    for (const key of starts) {
      const i = layout.index.get(key)
      if (i !== undefined && !seen[i]) {
        seen[i] = 1
        stack.push(i)
      }
    }
    while (stack.length) {
      for (const e of next[stack.pop()!]!) {
        const j = layout.edges[e * 2 + end]!
        if (!seen[j]) {
          seen[j] = 1
          stack.push(j)
        }
      }
    }
  }
  walk(changed, forward, out, 1)
  walk(broken, backward, into, 0)
  for (const key of changed) {
    const i = layout.index.get(key)
    if (i !== undefined) marked[i] = 1
  }
  const impactedNodes = new Uint8Array(n)
  const impactedEdges = new Uint8Array(edgeCount)
  for (let i = 0; i < n; i++) if ((forward[i] && backward[i]) || broken.has(layout.keys[i]!)) impactedNodes[i] = 1
  for (let e = 0; e < edgeCount; e++) if (forward[layout.edges[e * 2]!] && backward[layout.edges[e * 2 + 1]!]) impactedEdges[e] = 1
  return { marked, impactedNodes, impactedEdges }
}

/** The side panel: changed assets with their column diffs, what breaks with owners, contract breaches, rebuilds. */
export function PlanImpactBox({ plan, error }: { plan: ApiPlan | undefined; error: Error | undefined }) {
  if (error && !plan) return <div className="impact-box"><ErrorBox error={error} what="the plan" /></div>
  if (!plan) return <div className="impact-box"><Spinner label="Comparing with what is deployed…" /></div>
  const nothing = plan.changed.length === 0 && plan.added.length === 0 && plan.removed.length === 0
  return (
    <div className="impact-box plan-impact" data-testid="plan-impact" data-breaking={plan.breaking ? '1' : '0'}>
      <h3>Impact of changes</h3>
      <p className={plan.breaking ? 'plan-verdict plan-verdict-bad' : 'plan-verdict'}>
        {nothing ? 'Nothing changed against what is deployed.' : plan.breaking ? 'Breaking: deploying this breaks what is listed below.' : 'Nothing breaks.'}
      </p>
      {(plan.changed.length > 0 || plan.added.length > 0 || plan.removed.length > 0) && (
        <>
          <h4><span className="plan-swatch" /> Changed</h4>
          <ul className="impact-list plan-list-changes">
            {plan.changed.map((change) => (
              <li key={change.key} data-changed={change.key}>
                <div>
                  <Link to={assetHref(change.key)} className="mono">{change.key}</Link>
                  {change.owner && <span className="muted small"> {change.owner}</span>}
                  {change.columns && (change.columns.added.length > 0 || change.columns.removed.length > 0) && (
                    <div className="plan-columns mono small">
                      {change.columns.removed.map((c) => <span key={`-${c}`} className="col-removed">− {c}</span>)}
                      {change.columns.added.map((c) => <span key={`+${c}`} className="col-added">+ {c}</span>)}
                    </div>
                  )}
                  {!change.columns && <div className="muted small">code changed; columns known after it runs (TypeScript)</div>}
                </div>
              </li>
            ))}
            {plan.added.map((key) => <li key={key} data-changed={key}><Link to={assetHref(key)} className="mono">{key}</Link><span className="muted small"> new</span></li>)}
            {plan.removed.map((key) => <li key={key}><span className="mono">{key}</span><span className="muted small"> removed</span></li>)}
          </ul>
        </>
      )}
      {plan.breaks.length > 0 && (
        <>
          <h4><span className="impact-line" /> Breaks</h4>
          <ul className="impact-list plan-breaks">
            {plan.breaks.map((item) => (
              <li key={`${item.asset}.${item.column}`} className="plan-break">
                <div>
                  <div className="small">removing <Link to={assetHref(item.asset)} className="mono">{item.asset}.{item.column}</Link> breaks</div>
                  <ul className="plan-readers">
                    {assetLevelOnce(item.readers).map((reader) => (
                      <li key={`${reader.asset}.${reader.column}`} data-broken-reader={`${reader.asset}.${reader.column}`}>
                        <Link to={assetHref(reader.asset)} className="mono">{reader.asset}.{reader.column === '*' ? '*' : reader.column}</Link>
                        <span className={`kind kind-${reader.kind}`}>{reader.kind === 'asset' ? 'asset level' : reader.kind}</span>
                        {!reader.certain && <span className="muted small" title="TypeScript code reads the asset; whether it uses this column is not known">may break</span>}
                        {reader.owner && <span className="plan-owner">{reader.owner}</span>}
                      </li>
                    ))}
                  </ul>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
      {plan.contractBreaches.length > 0 && (
        <>
          <h4>Contract breaches</h4>
          <ul className="impact-list">
            {plan.contractBreaches.map((breach) => (
              <li key={breach.asset} data-contract-breach={breach.asset}>
                <div>
                  <Link to={assetHref(breach.asset)} className="mono">{breach.asset}</Link>
                  {breach.owner && <> <span className="plan-owner">{breach.owner}</span></>}
                  <div className="small muted">{breach.reasons.join('; ')}</div>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
      {plan.rebuild.length > 0 && (
        <p className="small muted plan-rebuild">
          Rebuilds {plural(plan.rebuild.length, 'asset')}{plan.expectedMs > 0 ? `, about ${duration(plan.expectedMs)} by their last runs` : ''}.
          {plan.rebuild.length > 8 ? ` First: ${plan.rebuild.slice(0, 8).map((r) => r.key).join(', ')} and ${count(plan.rebuild.length - 8)} more.` : ` ${plan.rebuild.map((r) => r.key).join(', ')}.`}
        </p>
      )}
    </div>
  )
}

/** Readers with asset-level ones (a TypeScript asset: every column) shown once per asset, as `asset.*`. */
function assetLevelOnce<R extends { readonly asset: string; readonly column: string; readonly kind: string }>(readers: readonly R[]): R[] {
  const seen = new Set<string>()
  return readers.flatMap((reader) => {
    if (reader.kind !== 'asset') return [reader]
    if (seen.has(reader.asset)) return []
    seen.add(reader.asset)
    return [{ ...reader, column: '*' }]
  })
}
