import { formatDuration } from '../model/duration.js'
import { UNSTARTED, type ProgressEvent } from '../engine/progress.js'
import { UP_TO_DATE } from '../engine/up-to-date.js'
import { statusLabel, style } from './format.js'

/**
 * Shows a run as it goes. On a terminal: a live block with done/total, running steps and
 * failures, redrawn in place. Elsewhere: one plain line per step state change.
 */
export class ProgressDisplay {
  private total = 0
  private done = 0
  private readonly running = new Map<string, number>()
  private readonly problems: string[] = []
  private drawnLines = 0
  private timer: NodeJS.Timeout | undefined
  private startedAt = 0

  constructor(private readonly write: (text: string) => void, private readonly live: boolean) {}

  /** Feed every progress event here. */
  readonly onEvent = (event: ProgressEvent): void => {
    if (event.type === 'run_started') {
      this.total = event.total
      this.startedAt = Date.now()
      this.line(`${style.bold('run')} ${event.runId}: ${event.total} step${event.total === 1 ? '' : 's'}`)
      if (this.live) this.timer = setInterval(() => this.draw(), 200)
      return
    }
    if (event.type === 'run_finished') {
      if (this.timer) clearInterval(this.timer)
      this.clear()
      return
    }
    if (event.type === 'run_pausing') {
      this.line(style.yellow(`pausing run ${event.runId}: the ${this.running.size} running step(s) finish, no more start`))
      return
    }
    const label = event.partition ? `${event.key} [${event.partition}]` : event.key
    if (event.status === 'running') {
      this.running.set(label, Date.now())
      if (!this.live) this.line(`${statusLabel('running')} ${label}${event.attempt > 1 ? style.yellow(` (attempt ${event.attempt})`) : ''}`)
      return
    }
    if (event.status === 'waiting') {
      this.line(`${statusLabel('waiting')} ${label} ${style.dim(event.reason ?? '')}`)
      return
    }
    if (event.status === 'queued') return
    this.running.delete(label)
    this.done++
    // Steps a pause or cancel left unstarted: the run's summary counts them; one line each would bury the rest.
    if (event.status === 'canceled' && (event.reason === UNSTARTED.paused || event.reason === UNSTARTED.canceled)) return
    const message = event.error?.message ?? event.reason ?? ''
    // The label already says the status: "⊘ skipped raw/x  upstream … failed", not "… skipped: upstream …".
    const detail = event.status === 'succeeded' ? style.dim(event.reason?.startsWith(UP_TO_DATE) ? UP_TO_DATE : formatDuration(event.durationMs ?? 0)) : message.replace(`${event.status}: `, '')
    const text = `${statusLabel(event.status)} ${label}  ${detail}`
    if (event.status !== 'succeeded') this.problems.push(text)
    this.line(text)
  }

  // Remaining steps at the average pace so far; nothing until the first step is done.
  private eta(): string {
    if (this.done === 0) return ''
    const left = ((Date.now() - this.startedAt) / this.done) * (this.total - this.done)
    return style.dim(` · ETA ${formatDuration(Math.round(left))}`)
  }

  private line(text: string): void {
    this.clear()
    this.write(`${text}\n`)
    this.draw()
  }

  private clear(): void {
    if (!this.live || this.drawnLines === 0) return
    this.write(`\x1b[${this.drawnLines}A\x1b[J`)
    this.drawnLines = 0
  }

  private draw(): void {
    if (!this.live || this.total === 0 || this.done >= this.total) return
    this.clear()
    const width = 24
    const filled = Math.round((this.done / this.total) * width)
    const lines = [`${style.cyan('█'.repeat(filled))}${style.dim('░'.repeat(width - filled))} ${this.done}/${this.total} done${this.eta()}${this.problems.length ? style.red(` · ${this.problems.length} not ok`) : ''}`]
    for (const [key, since] of [...this.running].slice(0, 6)) lines.push(`  ${style.cyan('▶')} ${key} ${style.dim(formatDuration(Date.now() - since))}`)
    if (this.running.size > 6) lines.push(style.dim(`  … and ${this.running.size - 6} more running`))
    this.write(`${lines.join('\n')}\n`)
    this.drawnLines = lines.length
  }
}
