/**
 * A worker's `--pools` limits (`{ warehouse: 1 }`). graphile-worker's slots fetch jobs at the same
 * time, each reading the forbidden flags before the jobs the others fetch are known, so two slots
 * can both take a step of a pool that had one place left: the later one waits here for a place
 * (holding its job, the step not claimed yet) instead of running beside the other.
 */
export class PoolGate {
  // Steps of each pool this worker holds: running, or waiting for a place.
  private readonly held = new Map<string, number>()
  private readonly running = new Map<string, number>()
  private waiting: (() => void)[] = []

  constructor(private readonly limits: Readonly<Record<string, number>>) {}

  /** graphile-worker flags of the pools whose limit this worker's steps fill: their jobs are left to other workers. */
  forbidden(): string[] {
    return Object.entries(this.limits).filter(([pool, limit]) => (this.held.get(pool) ?? 0) >= limit).map(([pool]) => `pool:${pool}`)
  }

  /**
   * Waits for a place in `pool` (at once for a pool with no limit here); returns what gives the place back.
   * `onWait` is called once, before the wait, when there is none free now.
   */
  async enter(pool: string | null, onWait?: (pool: string) => void): Promise<() => void> {
    const limit = pool === null ? undefined : this.limits[pool]
    if (pool === null || limit === undefined) return () => undefined
    // Counted before any await, so the flags of a slot fetching right now already see this step.
    add(this.held, pool, 1)
    if ((this.running.get(pool) ?? 0) >= limit) onWait?.(pool)
    while ((this.running.get(pool) ?? 0) >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    add(this.running, pool, 1)
    return () => {
      add(this.running, pool, -1)
      add(this.held, pool, -1)
      const woken = this.waiting
      this.waiting = []
      for (const wake of woken) wake()
    }
  }
}

function add(counts: Map<string, number>, pool: string, by: number): void {
  counts.set(pool, (counts.get(pool) ?? 0) + by)
}
