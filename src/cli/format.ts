import type { AssetStatus } from '../engine/status.js'
import type { RunStatus, StepStatus } from '../store/records.js'

/** FORCE_COLOR (any value but 0/false) wins, then NO_COLOR; otherwise colour only on a terminal. */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  return isTty && !env.NO_COLOR
}

const useColor = colorEnabled()
const paint = (code: number) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text)

/** ANSI styles: see colorEnabled. */
export const style = { red: paint(31), green: paint(32), yellow: paint(33), blue: paint(34), magenta: paint(35), cyan: paint(36), dim: paint(2), bold: paint(1) }

const STATUS_STYLE: Record<AssetStatus | StepStatus | RunStatus, (text: string) => string> = {
  fresh: style.green, succeeded: style.green, stale: style.yellow, late: style.magenta, waiting: style.yellow,
  failed: style.red, blocked: style.red, missing: style.dim, skipped: style.dim, canceled: style.dim,
  running: style.cyan, queued: style.dim, paused: style.yellow,
}

const STATUS_ICON: Record<AssetStatus | StepStatus | RunStatus, string> = {
  fresh: '●', succeeded: '✓', stale: '◐', late: '◷', waiting: '…', failed: '✗', blocked: '⛔',
  missing: '○', skipped: '⊘', canceled: '⊘', running: '▶', queued: '·', paused: '⏸',
}

/** A status word with its icon and color. */
export function statusLabel(status: AssetStatus | StepStatus | RunStatus): string {
  return STATUS_STYLE[status](`${STATUS_ICON[status]} ${status}`)
}

// eslint-disable-next-line no-control-regex -- matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*m/g

/** Pads plain text, ignoring ANSI codes for width. */
export function pad(text: string, width: number): string {
  const visible = text.replace(ANSI, '').length
  return text + ' '.repeat(Math.max(0, width - visible))
}

/** Renders rows as aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').replace(ANSI, '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd()
  return [style.bold(line(header)), ...rows.map(line)].join('\n')
}

/** `3h ago`, `just now`. */
export function ago(date: Date | null, now = new Date()): string {
  if (!date) return 'never'
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000)
  if (seconds < 5) return 'just now'
  if (seconds < 90) return `${seconds}s ago`
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`
  return `${Math.round(seconds / 86_400)}d ago`
}
