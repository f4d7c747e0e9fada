// A small inline-SVG chart of one number over time (row counts, durations).
import { useState } from 'react'
import { clockTime } from '../format'

export interface Point {
  readonly at: string
  readonly value: number
}

const W = 420
const H = 132
const PAD = { left: 52, right: 12, top: 12, bottom: 24 }

export function TimeChart({ points, format, color, label }: { points: readonly Point[]; format: (n: number) => string; color: string; label: string }) {
  const [hover, setHover] = useState<number | null>(null)
  if (points.length === 0) return <div className="chart-empty">No {label.toLowerCase()} yet</div>
  const sorted = [...points].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  const times = sorted.map((p) => Date.parse(p.at))
  const values = sorted.map((p) => p.value)
  const t0 = times[0]!
  const t1 = times[times.length - 1]!
  const max = Math.max(...values)
  const top = max === 0 ? 1 : niceCeil(max)
  const innerW = W - PAD.left - PAD.right
  const innerH = H - PAD.top - PAD.bottom
  // Evenly spaced when the runs are close together; by time otherwise.
  const x = (i: number) => PAD.left + (sorted.length === 1 ? innerW / 2 : t1 === t0 ? (innerW * i) / (sorted.length - 1) : (innerW * (times[i]! - t0)) / (t1 - t0))
  const y = (v: number) => PAD.top + innerH - (innerH * v) / top
  const line = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')
  const area = `${line} L${x(sorted.length - 1).toFixed(1)},${PAD.top + innerH} L${x(0).toFixed(1)},${PAD.top + innerH} Z`
  const shown = hover !== null ? sorted[hover] : sorted[sorted.length - 1]
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-label">{label}</span>
        {shown && (
          <span className="chart-value">
            {format(shown.value)} <span className="muted">· {clockTime(shown.at)}</span>
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label} over time`} onMouseLeave={() => setHover(null)}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} className="chart-grid" />
            <text x={PAD.left - 8} y={y(top * f) + 4} textAnchor="end" className="chart-axis">{format(top * f)}</text>
          </g>
        ))}
        <text x={PAD.left} y={H - 6} className="chart-axis">{clockTime(sorted[0]!.at)}</text>
        {sorted.length > 1 && <text x={W - PAD.right} y={H - 6} textAnchor="end" className="chart-axis">{clockTime(sorted[sorted.length - 1]!.at)}</text>}
        <path d={area} fill={color} opacity={0.12} />
        <path d={line} fill="none" stroke={color} strokeWidth={2} strokeLinejoin="round" />
        {sorted.map((p, i) => (
          <g key={i} onMouseEnter={() => setHover(i)}>
            <rect x={x(i) - 8} y={PAD.top} width={16} height={innerH} fill="transparent" />
            <circle cx={x(i)} cy={y(p.value)} r={hover === i ? 4.5 : 3} fill="#fff" stroke={color} strokeWidth={2} />
          </g>
        ))}
      </svg>
    </figure>
  )
}

function niceCeil(n: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(n))
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= n) return step * magnitude
  return 10 * magnitude
}
