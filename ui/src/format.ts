// Times, durations and numbers as people read them.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** "just now", "5 min ago", "3 h ago", "2 days ago"; "in 10 min" for the future. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never'
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const diff = now - at
  const ahead = diff < 0
  const abs = Math.abs(diff)
  let text: string
  if (abs < 45_000) return ahead ? 'in a moment' : 'just now'
  else if (abs < HOUR) text = `${Math.round(abs / MINUTE)} min`
  else if (abs < DAY) text = `${Math.round(abs / HOUR)} h`
  else if (abs < 30 * DAY) {
    const days = Math.round(abs / DAY)
    text = `${days} day${days === 1 ? '' : 's'}`
  } else return dateTime(iso)
  return ahead ? `in ${text}` : `${text} ago`
}

/** "06:42" today, "Tue 06:42" this week, "3 Mar 06:42" otherwise. */
export function clockTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '—'
  const at = new Date(iso)
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false })
  if (at.toDateString() === now.toDateString()) return time
  if (Math.abs(now.getTime() - at.getTime()) < 6 * DAY) return `${at.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`
  return `${at.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`
}

/** "3 Mar 2025, 06:42:10" for tooltips. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

/** "840 ms", "12.3 s", "4 min 05 s", "2 h 10 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < MINUTE) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`
  if (ms < HOUR) {
    const minutes = Math.floor(ms / MINUTE)
    return `${minutes} min ${String(Math.round((ms % MINUTE) / 1_000)).padStart(2, '0')} s`
  }
  return `${Math.floor(ms / HOUR)} h ${Math.round((ms % HOUR) / MINUTE)} min`
}

// One formatter for every count: toLocaleString builds a new one per call (~0.1 ms each, and a page can show thousands).
const COUNT = new Intl.NumberFormat('en-US')

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  return COUNT.format(n)
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}
