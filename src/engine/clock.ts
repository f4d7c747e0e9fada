/** Time, injected so tests and simulations never sleep on the wall clock. */
export interface Clock {
  now(): Date
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /**
   * Calls `callback` once `ms` have passed on this clock, unless the returned function is
   * called first. Optional: clocks without it get a wall-clock timer (see startTimer).
   */
  setTimer?(ms: number, callback: () => void): () => void
  /**
   * Calls `callback` every `ms` on this clock until the returned function is called; it never
   * keeps the process alive. Optional: clocks without it get a wall-clock interval (see startRepeating).
   */
  every?(ms: number, callback: () => void): () => void
}

/** Starts a timer on `clock` (a wall-clock one when the clock has none); returns its cancel function. */
export function startTimer(clock: Clock, ms: number, callback: () => void): () => void {
  if (clock.setTimer) return clock.setTimer(ms, callback)
  const timer = setTimeout(callback, ms)
  return () => clearTimeout(timer)
}

/** Calls `callback` every `ms` on `clock` (a wall-clock interval when the clock has no `every`); returns its stop function. */
export function startRepeating(clock: Clock, ms: number, callback: () => void): () => void {
  if (clock.every) return clock.every(ms, callback)
  const interval = setInterval(callback, ms)
  interval.unref()
  return () => clearInterval(interval)
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
  setTimer: (ms, callback) => {
    const timer = setTimeout(callback, ms)
    return () => clearTimeout(timer)
  },
  every: (ms, callback) => {
    const interval = setInterval(callback, ms)
    interval.unref()
    return () => clearInterval(interval)
  },
}

/** A clock that starts at `start` and moves only when told to (or when something sleeps on it). */
export class ManualClock implements Clock {
  private current: number
  private timers = new Set<{ readonly due: number; readonly callback: () => void }>()
  private waiters = new Set<{ readonly count: number; readonly resolve: () => void }>()
  private repeating = new Set<{ due: number; readonly ms: number; readonly callback: () => void }>()
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.current = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.current)
  }
  /** Moves time forward by `ms`, firing the timers that fall due. */
  advance(ms: number): void {
    this.current += ms
    this.fireDue()
  }
  set(to: Date | string): void {
    this.current = new Date(to).getTime()
    this.fireDue()
  }
  /** Timers fire only when time moves (advance, set, sleep), never on the wall clock. */
  setTimer(ms: number, callback: () => void): () => void {
    const timer = { due: this.current + ms, callback }
    this.timers.add(timer)
    for (const waiter of [...this.waiters]) {
      if (this.timers.size < waiter.count) continue
      this.waiters.delete(waiter)
      waiter.resolve()
    }
    return () => this.timers.delete(timer)
  }
  /**
   * Repeats fire only when time moves, at most once per move however far it goes (as a late real
   * interval would): a run's heartbeat beats once when a test jumps an hour.
   */
  every(ms: number, callback: () => void): () => void {
    const repeat = { due: this.current + ms, ms, callback }
    this.repeating.add(repeat)
    return () => this.repeating.delete(repeat)
  }
  /**
   * Resolves once at least `count` timers are pending (steps with a timeout started, a worker's
   * kill grace, a daemon's pause): then a test advances past them. Repeats (heartbeats) do not count.
   */
  timersSet(count = 1): Promise<void> {
    if (this.timers.size >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.add({ count, resolve }))
  }
  /** Timers set and not yet fired nor stopped (repeats not counted), as timersSet counts them. */
  get pendingTimers(): number {
    return this.timers.size
  }
  private fireDue(): void {
    for (const timer of [...this.timers]) {
      if (timer.due > this.current) continue
      this.timers.delete(timer)
      timer.callback()
    }
    for (const repeat of [...this.repeating]) {
      if (repeat.due > this.current || !this.repeating.has(repeat)) continue
      repeat.due = this.current + repeat.ms
      repeat.callback()
    }
  }
  // Sleeping advances time at once: tests of retries and waits finish instantly yet see time pass.
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason
    this.current += ms
    this.fireDue()
    await new Promise((resolve) => setImmediate(resolve))
    if (signal?.aborted) throw signal.reason
  }
}
