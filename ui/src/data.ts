// Fetching with live refresh: the previous answer stays on screen while a newer one loads.
import { useCallback, useEffect, useRef, useState } from 'react'
import { api, ApiFailure, onAuthChange, type ApiEvent } from './api'
import { useLiveEvents } from './live'

export interface Loaded<T> {
  readonly data: T | undefined
  readonly error: ApiFailure | Error | undefined
  readonly loading: boolean
  /** Fetches again now. */
  readonly reload: () => void
}

/**
 * GETs `path` (nothing when null), again whenever a live event passes `refreshOn`, at most once
 * per `throttleMs`, and again after a new token is given. With `keepPrevious`, a new path keeps
 * showing the last answer until its own arrives (search as you type without flashing).
 */
export function useApi<T>(path: string | null, refreshOn?: (event: ApiEvent) => boolean, throttleMs = 600, keepPrevious = false): Loaded<T> {
  const [state, setState] = useState<{ path: string | null; data: T | undefined; error: Error | undefined; loading: boolean }>({ path, data: undefined, error: undefined, loading: path !== null })
  const [generation, setGeneration] = useState(0)
  const lastFetch = useRef(0)
  const pending = useRef<number | undefined>(undefined)

  const reload = useCallback(() => setGeneration((g) => g + 1), [])

  useEffect(() => {
    if (path === null) return
    const controller = new AbortController()
    lastFetch.current = Date.now()
    setState((s) => (s.path === path || keepPrevious ? { ...s, loading: true } : { path, data: undefined, error: undefined, loading: true }))
    api.get<T>(path, controller.signal).then(
      (data) => setState({ path, data, error: undefined, loading: false }),
      (error: Error) => {
        if (controller.signal.aborted) return
        setState((s) => ({ path, data: s.path === path ? s.data : undefined, error, loading: false }))
      },
    )
    return () => controller.abort()
  }, [path, generation, keepPrevious])

  useEffect(() => onAuthChange(reload), [reload])
  useEffect(() => () => window.clearTimeout(pending.current), [])

  useLiveEvents((event) => {
    if (!refreshOn || !refreshOn(event) || pending.current !== undefined) return
    const wait = Math.max(0, lastFetch.current + throttleMs - Date.now())
    pending.current = window.setTimeout(() => {
      pending.current = undefined
      reload()
    }, wait === 0 ? 50 : wait)
  })

  const current = state.path === path || keepPrevious ? state : { data: undefined, error: undefined, loading: path !== null }
  return { data: current.data, error: current.error, loading: current.loading, reload }
}

/** A live event that can change statuses anywhere. */
export const changesStatus = (event: ApiEvent) => event.type === 'step' || event.type === 'run_finished' || event.type === 'reload' || event.type === 'run_started'
