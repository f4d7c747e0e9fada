// Live updates: one EventSource on /api/events for the whole page, fanned out to the views.
import { useEffect, useRef, useSyncExternalStore } from 'react'
import { getToken, onAuthChange, type ApiEvent } from './api'

export type Connection = 'connecting' | 'live' | 'reconnecting'

const EVENT_TYPES: readonly ApiEvent['type'][] = ['run_started', 'step', 'log', 'run_pausing', 'run_finished', 'reload']
/** The id of the last event received: a stream reopened by hand resumes after it (the browser's own retries send it as Last-Event-ID). */
let lastEventId = ''
const listeners = new Set<(event: ApiEvent) => void>()
const connectionListeners = new Set<() => void>()
let connection: Connection = 'connecting'
let source: EventSource | null = null
let retryTimer: number | undefined
let retryDelay = 1_000
/** Events received so far; tests and the status bar read it. */
let received = 0

function setConnection(next: Connection): void {
  if (next === connection) return
  connection = next
  for (const listener of [...connectionListeners]) listener()
}

function eventsUrl(): string {
  // EventSource cannot send headers: the token rides along as ?token= (the server accepts it on this path only).
  const token = getToken()
  return token ? `/api/events?token=${encodeURIComponent(token)}` : '/api/events'
}

function open(): void {
  window.clearTimeout(retryTimer)
  source?.close()
  const url = eventsUrl()
  const current = new EventSource(lastEventId ? `${url}${url.includes('?') ? '&' : '?'}lastEventId=${encodeURIComponent(lastEventId)}` : url)
  source = current
  current.onopen = () => {
    retryDelay = 1_000
    setConnection('live')
  }
  current.onerror = () => {
    if (source !== current) return
    // The browser retries by itself unless the server refused (401) or closed for good.
    if (current.readyState === EventSource.CLOSED) {
      setConnection('reconnecting')
      retryTimer = window.setTimeout(open, retryDelay)
      retryDelay = Math.min(retryDelay * 2, 15_000)
    } else {
      setConnection('reconnecting')
    }
  }
  for (const type of EVENT_TYPES) {
    current.addEventListener(type, (message) => {
      let event: ApiEvent
      try {
        event = JSON.parse((message as MessageEvent<string>).data) as ApiEvent
      } catch {
        return
      }
      received++
      if ((message as MessageEvent<string>).lastEventId) lastEventId = (message as MessageEvent<string>).lastEventId
      setConnection('live')
      for (const listener of [...listeners]) listener(event)
    })
  }
}

/** Starts the stream (once) and reopens it when the token changes. */
export function startLive(): void {
  if (source) return
  open()
  onAuthChange(() => open())
  ;(window as unknown as { __tributaryLive: () => { connection: Connection; received: number } }).__tributaryLive = () => ({ connection, received })
}

export function subscribe(listener: (event: ApiEvent) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** The stream's state for the indicator in the top bar. */
export function useConnection(): Connection {
  return useSyncExternalStore(
    (notify) => {
      connectionListeners.add(notify)
      return () => connectionListeners.delete(notify)
    },
    () => connection,
  )
}

/** Calls `handler` for every live event while the component is mounted. */
export function useLiveEvents(handler: (event: ApiEvent) => void): void {
  const latest = useRef(handler)
  latest.current = handler
  useEffect(() => subscribe((event) => latest.current(event)), [])
}
