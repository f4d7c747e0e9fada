import type { RunRecord, StepStatus } from '../store/records.js'
import type { StepCount } from '../store/store.js'

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

/** Progress of a run from its step counts (Store.stepCounts). Pure. */
export function backfillProgress(run: RunRecord, stepCounts: readonly StepCount[], now: Date): BackfillProgress {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<StepStatus, number>
  const assets = new Map<string, { first: number; total: number; done: number; counts: Partial<Record<StepStatus, number>> }>()
  let [total, done] = [0, 0]
  for (const { assetKey, status, count, first } of stepCounts) {
    counts[status] += count
    total += count
    let asset = assets.get(assetKey)
    if (!asset) assets.set(assetKey, (asset = { first, total: 0, done: 0, counts: {} }))
    asset.first = Math.min(asset.first, first)
    asset.total += count
    asset.counts[status] = (asset.counts[status] ?? 0) + count
    if (SETTLED.has(status)) {
      done += count
      asset.done += count
    }
  }
  const elapsed = now.getTime() - run.startedAt.getTime()
  const etaMs = run.status === 'running' && done > 0 && done < total ? Math.round((elapsed / done) * (total - done)) : null
  return {
    run, total, done, counts, etaMs,
    assets: [...assets].sort((a, b) => a[1].first - b[1].first).map(([key, { total, done, counts }]) => ({ key, total, done, counts })),
  }
}
