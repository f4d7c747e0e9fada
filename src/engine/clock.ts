/** Time, injected so tests and simulations never sleep on the wall clock. */
export interface Clock {
  now(): Date
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

/** A clock that starts at `start` and moves only when told to (or when something sleeps on it). */
export class ManualClock implements Clock {
  private current: number
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.current = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.current)
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms
  }
  set(to: Date | string): void {
    this.current = new Date(to).getTime()
  }
  // Sleeping advances time at once: tests of retries and waits finish instantly yet see time pass.
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason
    this.current += ms
    await new Promise((resolve) => setImmediate(resolve))
    if (signal?.aborted) throw signal.reason
  }
}
