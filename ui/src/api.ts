// The only door to the server: JSON over /api, with the token as `Authorization: Bearer`.
// Types come from the server's contract and nothing else in src/.
export type * from '../../src/server/api-types'
import type { ApiError } from '../../src/server/api-types'

const TOKEN_KEY = 'tributary.token'

/** A failed API call, with the server's code, message and hint when it sent them. */
export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly hint?: string) {
    super(message)
  }
}

type Listener = () => void
const authListeners = new Set<Listener>()
let needsToken = false

// Where the token lives when localStorage cannot keep it (private mode): this page only.
let pageToken: string | null = null

/** The token: from localStorage, else the one given to this page (from `?token=` or the prompt). */
export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? pageToken
  } catch {
    return pageToken
  }
}

export function setToken(token: string | null): void {
  pageToken = token
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token)
    else localStorage.removeItem(TOKEN_KEY)
  } catch {
    // Private mode: the token lives for this page only.
  }
  needsToken = false
  emitAuth()
}

/**
 * Adopts `?token=` from the page address once, at start, then removes it from the address bar,
 * so it does not stay on screen, in the history, in bookmarks or in a copied link.
 */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href)
  const token = url.searchParams.get('token')
  if (token === null) return
  if (token) setToken(token)
  url.searchParams.delete('token')
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
}

/** True once a call answered 401 and no new token was given since. */
export function tokenRequired(): boolean {
  return needsToken
}

/** Called when the token is needed or changes; returns the unsubscribe function. */
export function onAuthChange(listener: Listener): () => void {
  authListeners.add(listener)
  return () => authListeners.delete(listener)
}

function emitAuth(): void {
  for (const listener of [...authListeners]) listener()
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = getToken()
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) })
  const text = await response.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (!response.ok) {
    if (response.status === 401 && !needsToken) {
      needsToken = true
      emitAuth()
    }
    const error = (json as ApiError | null)?.error
    throw new ApiFailure(response.status, error?.code ?? `HTTP ${response.status}`, error?.message ?? (response.statusText || 'request failed'), error?.hint)
  }
  return json as T
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => call<T>('GET', path, undefined, signal),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
}

/** `/api/assets/marts/revenue`: keys keep their slashes, each segment escaped. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/')
}

/** Builds `path?a=1&b=2`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value))
  const text = search.toString()
  return text ? `${path}?${text}` : path
}
