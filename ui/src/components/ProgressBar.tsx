// A backfill's progress as one bar: succeeded, failed, skipped and running parts over the total.
import type { Progress } from '../backfills'
import { count } from '../format'

const PARTS = [
  { part: 'succeeded', tone: 'green', label: 'succeeded' },
  { part: 'failed', tone: 'red', label: 'failed' },
  { part: 'skipped', tone: 'grey', label: 'skipped' },
  { part: 'running', tone: 'blue', label: 'running' },
] as const

export function ProgressBar({ progress, size = 'md' }: { progress: Progress; size?: 'sm' | 'md' | 'lg' }) {
  const { total } = progress
  const title = [`${count(progress.done)} of ${count(total)} done`, ...PARTS.filter(({ part }) => progress[part] > 0).map(({ part, label }) => `${count(progress[part])} ${label}`)].join(' · ')
  return (
    <div
      className={`progress progress-${size}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={progress.done}
      aria-label={title}
      title={title}
    >
      {total > 0 &&
        PARTS.map(({ part, tone }) =>
          progress[part] > 0 ? <span key={part} className={`progress-part tone-bg-${tone}${part === 'running' ? ' progress-live' : ''}`} style={{ width: `${(progress[part] / total) * 100}%` }} /> : null,
        )}
    </div>
  )
}

/** "12 of 31 succeeded · 2 failed · 1 running", for beside or under a bar. */
export function ProgressText({ progress }: { progress: Progress }) {
  return (
    <span className="progress-text">
      <b>{count(progress.succeeded)}</b> of {count(progress.total)} succeeded
      {progress.failed > 0 && <span className="tone-text-red"> · {count(progress.failed)} failed</span>}
      {progress.skipped > 0 && <span> · {count(progress.skipped)} skipped</span>}
      {progress.running > 0 && <span className="tone-text-blue"> · {count(progress.running)} running</span>}
    </span>
  )
}
