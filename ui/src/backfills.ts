// Backfills as people think of them: one request over a range, however many runs it took.
// A pause, cancel or failure ends a run; resuming starts a new run of the same identity (the
// run's selection), so consecutive runs of one identity, up to a success, are one backfill.
import type { ApiBackfill, ApiRunStatus, ApiStepStatus } from './api'

/** What a backfill covers, read back from its identity. */
export interface BackfillScope {
  /** The selection, '' for every asset. */
  readonly selection: string
  readonly from: string
  readonly to: string
  readonly only: 'missing' | 'failed' | 'all'
}

/** One backfill: its runs, oldest first, and its progress over all of them. */
export interface BackfillGroup {
  /** The first run's id: the backfill's address. */
  readonly id: string
  readonly identity: string
  readonly scope: BackfillScope | null
  readonly runs: readonly ApiBackfill[]
  /** The newest run: its state is the backfill's, and the buttons act on it. */
  readonly latest: ApiBackfill
  /** What the screen says: the latest run's status, or 'pausing' / 'canceling' while a request waits. */
  readonly status: ApiRunStatus | 'pausing' | 'canceling'
  readonly progress: Progress
  readonly assets: readonly (Progress & { readonly key: string })[]
  /** Steps that failed, were skipped or were left here but that later runs have published since (see backfill-repairs.ts). Default: 0. */
  readonly repaired?: number
}

/** Steps of a backfill by outcome; the parts add up to `total`. */
export interface Progress {
  readonly total: number
  /** Settled for good: succeeded, failed, blocked or skipped. */
  readonly done: number
  readonly succeeded: number
  /** Failed or blocked. */
  readonly failed: number
  readonly skipped: number
  readonly running: number
  /** Not started yet, or left by a pause or cancel for a resume. */
  readonly remaining: number
}

const IDENTITY = /^backfill (.+) --from (\S+) --to (\S+) --only (missing|failed|all)$/

/** Reads `backfill raw/payments --from 2026-03-01 --to 2026-03-31 --only missing`; null for anything else. */
export function parseIdentity(identity: string): BackfillScope | null {
  const match = IDENTITY.exec(identity)
  if (!match) return null
  return { selection: match[1] === '*' ? '' : match[1]!, from: match[2]!, to: match[3]!, only: match[4] as BackfillScope['only'] }
}

/** Groups backfill runs (any order) into backfills, newest first. */
export function groupBackfills(runs: readonly ApiBackfill[]): BackfillGroup[] {
  const oldestFirst = [...runs].sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt) || a.run.id.localeCompare(b.run.id))
  const open = new Map<string, ApiBackfill[]>()
  const groups: ApiBackfill[][] = []
  for (const backfill of oldestFirst) {
    const chain = open.get(backfill.run.selection)
    const last = chain?.at(-1)
    // A run continues the backfill when the one before it stopped short; a success or a run still going starts anew.
    if (chain && last && last.run.status !== 'succeeded' && last.run.status !== 'running') chain.push(backfill)
    else {
      const fresh = [backfill]
      groups.push(fresh)
      open.set(backfill.run.selection, fresh)
    }
  }
  return groups.map(toGroup).reverse()
}

function toGroup(runs: readonly ApiBackfill[]): BackfillGroup {
  const first = runs[0]!
  const latest = runs.at(-1)!
  const { run } = latest
  const status = run.status === 'running' && run.requested === 'pause' ? 'pausing' : run.status === 'running' && run.requested === 'cancel' ? 'canceling' : run.status
  const latestAssets = new Map(latest.assets.map((asset) => [asset.key, asset]))
  return {
    id: first.run.id, identity: run.selection, scope: parseIdentity(run.selection), runs, latest, status,
    progress: progressOf(first.total, latest.total, latest.done, latest.counts),
    // An asset missing from the latest run had nothing left to do when it started.
    assets: first.assets.map((asset) => {
      const now = latestAssets.get(asset.key)
      return { key: asset.key, ...progressOf(asset.total, now?.total ?? 0, now?.done ?? 0, now?.counts ?? {}) }
    }),
  }
}

// The first run planned the whole backfill; a resumed run plans only what is left, so what is
// not left was done before it.
function progressOf(total: number, latestTotal: number, latestDone: number, counts: Readonly<Partial<Record<ApiStepStatus, number>>>): Progress {
  const left = Math.min(Math.max(latestTotal - latestDone, 0), total)
  const done = total - left
  const failed = (counts.failed ?? 0) + (counts.blocked ?? 0)
  const skipped = counts.skipped ?? 0
  const running = Math.min(counts.running ?? 0, left)
  return { total, done, failed, skipped, running, succeeded: Math.max(done - failed - skipped, 0), remaining: left - running }
}

/** Which buttons apply: pause and cancel while it runs (cancel also while a pause is pending), resume once it stopped short. */
export function actionsFor(group: BackfillGroup): { pause: boolean; cancel: boolean; resume: boolean } {
  // Repaired by later runs: nothing is left to resume.
  if (group.status === 'succeeded') return { pause: false, cancel: false, resume: false }
  const { status, requested } = group.latest.run
  const running = status === 'running'
  return { pause: running && requested === null, cancel: running && requested !== 'cancel', resume: status === 'paused' || status === 'canceled' || status === 'failed' }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "3 Mar 2026", "3 Mar 2026 05:00", "Mar 2026"; other keys (weeks, static keys) as they are. */
export function partitionLabel(key: string, withYear = true): string {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2}))?)?$/.exec(key)
  if (!match) return key
  const [, year, month, day, hour] = match
  const monthName = MONTHS[Number(month) - 1]
  if (!monthName) return key
  if (!day) return `${monthName} ${year}`
  return `${Number(day)} ${monthName}${withYear ? ` ${year}` : ''}${hour ? ` ${hour}:00` : ''}`
}

/** "1 Mar → 31 Mar 2026", "3 Mar 2026" for one partition, "2025-W50 → 2026-W02". */
export function rangeLabel(from: string, to: string): string {
  if (from === to) return partitionLabel(from)
  const sameYear = from.slice(0, 4) === to.slice(0, 4) && /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to)
  return `${partitionLabel(from, !sameYear)} → ${partitionLabel(to)}`
}

/** Words for the scope: "missing partitions", "failed or outdated partitions", "every partition". */
export const ONLY_LABEL: Record<BackfillScope['only'], string> = {
  missing: 'missing partitions',
  failed: 'failed or outdated partitions',
  all: 'every partition',
}

/** "about 4 min", "under a minute", "about 2 h 10 min". */
export function etaText(ms: number): string {
  if (ms < 60_000) return 'under a minute'
  const minutes = Math.round(ms / 60_000)
  if (minutes < 60) return `about ${minutes} min`
  return `about ${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`
}
