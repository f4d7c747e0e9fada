import type { EventListeners } from '../../src/engine/engine-events.js'

/** How long nextEvent waits, and what its failure says it waited for. */
export interface NextEventOptions {
  /** Wall-clock bound: a missing event fails the test instead of hanging it. Default: 30 000. */
  readonly timeoutMs?: number
  /** Names the awaited event in the failure, e.g. 'raw/slow staged'. Default: the event type. */
  readonly what?: string
}

/**
 * Resolves with the next event of `type` on `events` (an instance's `events`) that `match`
 * accepts. Call it before the action that causes the event, then await it: the listener is in
 * place at once, so the event cannot come first. Rejects after `timeoutMs`, naming what it waited
 * for and the last events of that type it saw instead.
 */
export function nextEvent<E extends { readonly type: string }, T extends E['type']>(
  events: EventListeners<E>,
  type: T,
  match: (event: Extract<E, { readonly type: T }>) => boolean = () => true,
  options: NextEventOptions = {},
): Promise<Extract<E, { readonly type: T }>> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const seen: unknown[] = []
  let stop = () => {}
  const next = new Promise<Extract<E, { readonly type: T }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`no ${options.what ?? type} event within ${timeoutMs} ms; ${type} events seen meanwhile: ${seen.length === 0 ? 'none' : JSON.stringify(seen.slice(-5))}`))
    }, timeoutMs)
    const off = events.on(type, (event) => {
      if (!match(event)) {
        seen.push(event)
        return
      }
      stop()
      resolve(event)
    })
    stop = () => {
      clearTimeout(timer)
      off()
    }
  })
  // A test that fails before awaiting it leaves no unhandled rejection behind; awaiting still throws.
  next.catch(() => undefined)
  return next
}
