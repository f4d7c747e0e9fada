/** A writer that gathers text and hands it on in one piece. */
export interface CoalescedOutput {
  /** Keeps `text` for the next flush (at most `delayMs` away). */
  readonly write: (text: string) => void
  /** Hands on everything kept, now: before other output, and before the process ends. */
  readonly flush: () => void
}

/**
 * Gathers text written within `delayMs` (Default: 50) into one write: a run's progress prints a line
 * per step state, and a write to stderr per line cost a 1,000-step run more than its steps' starts.
 * The timer does not hold the process open; the caller flushes at the end.
 */
export function coalescedOutput(write: (text: string) => void, delayMs = 50): CoalescedOutput {
  let kept = ''
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (kept === '') return
    const text = kept
    kept = ''
    write(text)
  }
  return {
    write: (text) => {
      kept += text
      timer ??= setTimeout(flush, delayMs).unref()
    },
    flush,
  }
}
