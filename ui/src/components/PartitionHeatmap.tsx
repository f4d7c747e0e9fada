// A partitioned asset's partitions as a heat-map: one square per partition, colored by state.
// Daily partitions sit in week columns like a calendar, hourly ones in day columns of 24 hours.
import { useEffect, useRef } from 'react'
import type { ApiPartition, ApiPartitionState, ApiPartitionStatus } from '../api'
import { count, dateTime, plural, relativeTime } from '../format'
import { Link, runHref } from '../router'

const STATES: readonly ApiPartitionState[] = ['fresh', 'stale', 'running', 'failed', 'missing']
const LABEL: Record<ApiPartitionState, string> = { fresh: 'Fresh', stale: 'Stale', running: 'Running', failed: 'Failed', missing: 'Missing' }
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY = 86_400_000

interface Placed {
  readonly partition: ApiPartition
  readonly row: number
  readonly column: number
}

interface Layout {
  readonly cells: readonly Placed[]
  readonly rows: number
  readonly rowLabels: readonly { readonly row: number; readonly text: string }[]
  readonly columnLabels: readonly { readonly column: number; readonly text: string }[]
}

/** UTC day number of `YYYY-MM-DD` (the start of a key), or undefined. */
function dayOf(key: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(key)
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY : undefined
}

/** Where each square goes: a calendar for daily and hourly keys, rows of 20 otherwise. */
export function layoutPartitions(status: Pick<ApiPartitionStatus, 'cadence' | 'partitions'>): Layout {
  const { partitions } = status
  const days = partitions.map((p) => dayOf(p.key))
  const calendar = (status.cadence === 'daily' || status.cadence === 'hourly') && partitions.length > 0 && days.every((d) => d !== undefined)
  if (calendar && status.cadence === 'daily') {
    const first = days[0]!
    const monday = first - ((new Date(first * DAY).getUTCDay() + 6) % 7)
    const cells = partitions.map((partition, i) => ({ partition, row: (days[i]! - monday) % 7, column: Math.floor((days[i]! - monday) / 7) }))
    // A month's name over the week of its 1st; the first week's month too, unless the next name is too close.
    const columnLabels: { column: number; text: string }[] = []
    cells.forEach((cell, i) => {
      const date = new Date(days[i]! * DAY)
      if (i === 0 || date.getUTCDate() === 1) columnLabels.push({ column: cell.column, text: MONTHS[date.getUTCMonth()]! })
    })
    if (columnLabels.length > 1 && columnLabels[1]!.column - columnLabels[0]!.column < 3) columnLabels.shift()
    return { cells, rows: 7, rowLabels: [{ row: 0, text: 'Mon' }, { row: 2, text: 'Wed' }, { row: 4, text: 'Fri' }], columnLabels }
  }
  if (calendar) {
    const first = days[0]!
    const cells = partitions.map((partition, i) => ({ partition, row: Number(partition.key.slice(11, 13)) || 0, column: days[i]! - first }))
    const columnLabels: { column: number; text: string }[] = []
    for (let column = 0; column <= cells.at(-1)!.column; column += 7) {
      const date = new Date((first + column) * DAY)
      columnLabels.push({ column, text: `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}` })
    }
    return { cells, rows: 24, rowLabels: [0, 6, 12, 18].map((row) => ({ row, text: `${String(row).padStart(2, '0')}h` })), columnLabels }
  }
  const width = 20
  const cells = partitions.map((partition, i) => ({ partition, row: Math.floor(i / width), column: i % width }))
  return { cells, rows: Math.ceil(partitions.length / width), rowLabels: [], columnLabels: [] }
}

function tooltip(partition: ApiPartition): string {
  const updated = partition.lastUpdated ? `updated ${relativeTime(partition.lastUpdated)} (${dateTime(partition.lastUpdated)})` : 'never updated'
  return `${partition.key} · ${LABEL[partition.status]} · ${updated}${partition.runId ? ` · run ${partition.runId}` : ''}${partition.reason ? `\n${partition.reason}` : ''}`
}

export function PartitionHeatmap({ status }: { status: ApiPartitionStatus }) {
  const scroller = useRef<HTMLDivElement>(null)
  const layout = layoutPartitions(status)
  // The newest partitions are on the right: show them first.
  useEffect(() => {
    const element = scroller.current
    if (element) element.scrollLeft = element.scrollWidth
  }, [status.partitions.length])

  return (
    <div className="heatmap" data-testid="partition-heatmap">
      <ul className="heatmap-legend" aria-label="Partitions by state">
        {STATES.map((state) => (
          <li key={state} className={status.counts[state] === 0 ? 'legend-zero' : ''} data-state={state}>
            <span className={`heat-swatch tone-${state}`} aria-hidden />
            {LABEL[state]} <span className="legend-count">{count(status.counts[state])}</span>
          </li>
        ))}
      </ul>
      {status.partitions.length === 0 ? (
        <p className="muted">No partition has ended yet.</p>
      ) : (
        <div className="heatmap-scroll" ref={scroller}>
          <div className="heatmap-grid" style={{ gridTemplateRows: `${layout.columnLabels.length ? '16px ' : ''}repeat(${layout.rows}, var(--cell))` }}>
            {layout.columnLabels.map((label) => (
              <span key={`c${label.column}`} className="heatmap-label heatmap-column-label" style={{ gridRow: 1, gridColumn: `${label.column + 2} / span 4` }}>{label.text}</span>
            ))}
            {layout.rowLabels.map((label) => (
              <span key={`r${label.row}`} className="heatmap-label heatmap-row-label" style={{ gridRow: label.row + (layout.columnLabels.length ? 2 : 1), gridColumn: 1 }}>{label.text}</span>
            ))}
            {layout.cells.map(({ partition, row, column }) => {
              const props = {
                className: `heat-cell tone-${partition.status}`,
                style: { gridRow: row + (layout.columnLabels.length ? 2 : 1), gridColumn: column + 2 },
                title: tooltip(partition),
                'aria-label': tooltip(partition),
                'data-partition': partition.key,
                'data-state': partition.status,
              }
              return partition.runId ? <Link key={partition.key} to={runHref(partition.runId)} {...props} /> : <span key={partition.key} {...props} />
            })}
          </div>
        </div>
      )}
      {status.truncated && <p className="muted small heatmap-note">The newest {count(status.partitions.length)} of {plural(status.total, 'partition')} shown; counts cover them all.</p>}
    </div>
  )
}
