// A small router over the History API; the server answers every non-API path with index.html.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react'

const listeners = new Set<() => void>()
window.addEventListener('popstate', () => notify())

function notify(): void {
  for (const listener of [...listeners]) listener()
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search
  if (to === current) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  if (!options.replace) window.scrollTo(0, 0)
  notify()
}

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { path: string; query: URLSearchParams; href: string } {
  const href = useSyncExternalStore(
    (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    () => window.location.pathname + window.location.search,
  )
  const url = new URL(href, window.location.origin)
  return { path: decodeURI(url.pathname), query: url.searchParams, href }
}

/** Replaces one or more query parameters of the current page (empty values are removed). */
export function setQuery(changes: Record<string, string | null | undefined>): void {
  const url = new URL(window.location.href)
  for (const [name, value] of Object.entries(changes)) {
    if (value) url.searchParams.set(name, value)
    else url.searchParams.delete(name)
  }
  navigate(url.pathname + url.search, { replace: true })
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children?: ReactNode }

/** An anchor that navigates in-page on a plain click and behaves like a link otherwise. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(to)
  }
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  )
}

/** Where an asset's page lives. */
export const assetHref = (key: string) => `/assets/${key.split('/').map(encodeURIComponent).join('/')}`
export const runHref = (id: string) => `/runs/${encodeURIComponent(id)}`
export const backfillHref = (id: string) => `/backfills/${encodeURIComponent(id)}`
export const lineageHref = (key?: string) => (key ? `/lineage?focus=${encodeURIComponent(key)}` : '/lineage')
