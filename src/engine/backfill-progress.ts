import type { RunRecord, StepRecord, StepStatus } from '../store/records.js'

const SETTLED: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'blocked', 'skipped'])

/** How far one asset of a backfill has come. */
export interface AssetProgress {
  readonly key: string
  readonly total: number
  readonly done: number
  readonly counts: Readonly<Partial<Record<StepStatus, number>>>
}

/** How far a backfill run has come, from its stored steps. */
export interface BackfillProgress {
  readonly run: RunRecord
  readonly total: number
  /** Steps settled for good: succeeded, failed, blocked or skipped (canceled ones are left for a resume). */
  readonly done: number
  readonly counts: Readonly<Record<StepStatus, number>>
  /** Per asset, in the order the plan first lists it (dependency order). */
  readonly assets: readonly AssetProgress[]
  /** Estimated time left while it runs, at its pace so far; null before the first step ends or once it stopped. */
  readonly etaMs: number | null
}

const STATUSES: readonly StepStatus[] = ['queued', 'waiting', 'running', 'succeeded', 'failed', 'blocked', 'skipped', 'canceled']

/** Progress of a run from its steps. Pure. */
export function backfillProgress(run: RunRecord, steps: readonly StepRecord[], now: Date): BackfillProgress {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<StepStatus, number>
  const assets = new Map<string, { total: number; done: number; counts: Partial<Record<StepStatus, number>> }>()
  let done = 0
  for (const step of steps) {
    counts[step.status]++
    let asset = assets.get(step.assetKey)
    if (!asset) assets.set(step.assetKey, (asset = { total: 0, done: 0, counts: {} }))
    asset.total++
    asset.counts[step.status] = (asset.counts[step.status] ?? 0) + 1
    if (SETTLED.has(step.status)) {
      done++
      asset.done++
    }
  }
  const elapsed = now.getTime() - run.startedAt.getTime()
  const etaMs = run.status === 'running' && done > 0 && done < steps.length ? Math.round((elapsed / done) * (steps.length - done)) : null
  return {
    run, total: steps.length, done, counts, etaMs,
    assets: [...assets].map(([key, asset]) => ({ key, ...asset })),
  }
}
