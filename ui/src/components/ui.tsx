// The small design system: status pills, cards, empty and error states.
import type { ReactNode } from 'react'
import type { ApiAssetStatus, ApiRunStatus, ApiStepStatus } from '../api'
import { ApiFailure } from '../api'

/** Words a business reader understands, per status. */
export const STATUS_LABEL: Record<ApiAssetStatus | ApiStepStatus | ApiRunStatus, string> = {
  fresh: 'Fresh', stale: 'Stale', late: 'Late', failed: 'Failed', blocked: 'Blocked', missing: 'Missing', running: 'Running',
  queued: 'Queued', waiting: 'Waiting', succeeded: 'Succeeded', skipped: 'Skipped', canceled: 'Canceled', paused: 'Paused',
}

export const ASSET_STATUSES: readonly ApiAssetStatus[] = ['fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running']

/** The color family of a status: one of the design system's six. */
export function tone(status: string): 'green' | 'amber' | 'purple' | 'red' | 'grey' | 'blue' {
  switch (status) {
    case 'fresh': case 'succeeded': case 'passed': return 'green'
    case 'stale': case 'warn': case 'paused': case 'pausing': return 'amber'
    case 'late': return 'purple'
    case 'failed': case 'blocked': case 'error': return 'red'
    case 'running': case 'queued': case 'waiting': return 'blue'
    default: return 'grey'
  }
}

export function StatusPill({ status, label, size = 'md', title }: { status: string; label?: string; size?: 'sm' | 'md' | 'lg'; title?: string }) {
  return (
    <span className={`pill pill-${tone(status)} pill-${size}`} data-status={status} title={title}>
      <span className={`dot${status === 'running' || status === 'pausing' || status === 'canceling' ? ' dot-pulse' : ''}`} aria-hidden />
      {label ?? STATUS_LABEL[status as ApiAssetStatus] ?? status}
    </span>
  )
}

export function Tag({ children, tone: t = 'plain' }: { children: ReactNode; tone?: 'plain' | 'kind' | 'owner' }) {
  return <span className={`tag tag-${t}`}>{children}</span>
}

export function Card({ title, actions, children, className = '', id }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; id?: string }) {
  return (
    <section className={`card ${className}`} id={id}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden />
      {label && <span>{label}</span>}
    </span>
  )
}

/** An error with its code, message and hint. `what` says what could not load; `title` replaces that headline. */
export function ErrorBox({ error, what, title, onDismiss }: { error: Error; what?: string; title?: string; onDismiss?: () => void }) {
  const failure = error instanceof ApiFailure ? error : undefined
  // A missing or wrong token is asked for by the token prompt, not reported on every panel.
  if (failure?.status === 401) return null
  return (
    <div className="error-box" role="alert">
      {onDismiss && <button className="error-dismiss" onClick={onDismiss} aria-label="Dismiss">×</button>}
      <strong>{title ?? (what ? `Could not load ${what}` : 'Something went wrong')}</strong>
      <div>
        {failure?.code && <code className="code-inline">{failure.code}</code>} {error.message}
      </div>
      {failure?.hint && <div className="muted">{failure.hint}</div>}
    </div>
  )
}

/** Loading, error or content, in the same place on the page. */
export function Loading<T>({ data, error, what, children }: { data: T | undefined; error: Error | undefined; what: string; children: (data: T) => ReactNode }) {
  if (data !== undefined) return <>{children(data)}</>
  if (error) return <ErrorBox error={error} what={what} />
  return (
    <div className="loading-block">
      <Spinner label={`Loading ${what}…`} />
    </div>
  )
}

export function PageHeader({ title, subtitle, actions, eyebrow }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; eyebrow?: ReactNode }) {
  return (
    <div className="page-header">
      <div className="page-header-text">
        {eyebrow && <div className="eyebrow">{eyebrow}</div>}
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  )
}

/** An asset key with its folder part muted: raw/<b>accounts</b>. */
export function AssetKey({ value }: { value: string }) {
  const cut = value.lastIndexOf('/')
  if (cut < 0) return <span className="asset-key"><b>{value}</b></span>
  return (
    <span className="asset-key">
      <span className="asset-key-prefix">{value.slice(0, cut + 1)}</span>
      <b>{value.slice(cut + 1)}</b>
    </span>
  )
}
