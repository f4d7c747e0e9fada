import pg from 'pg'
import { Logger, runMigrations } from 'graphile-worker'

// Any fixed number names the lock; this one spells "trbque".
const QUEUE_MIGRATION_LOCK = 0x747262717565

// The same error again within this long (a fetch failing at every poll while the database is down) is not repeated.
const REPEAT_AFTER_MS = 30_000

/**
 * A logger for graphile-worker, quiet but for errors (each a line to `write`): the fleet reports
 * through the store. An error said in the last 30 s on `now` (numbers aside: "trying again in
 * 134ms") is not said again, across every scope graphile-worker derives from the logger. Stack traces are cut (see withoutStack).
 */
export function queueLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  const saidAt = new Map<string, number>()
  return new Logger(() => (level, message) => {
    if (level !== 'error') return
    const text = withoutStack(message)
    const key = text.replace(/\d+/g, '#')
    const at = now()
    if (at - (saidAt.get(key) ?? Number.NEGATIVE_INFINITY) < REPEAT_AFTER_MS) return
    if (saidAt.size >= 100) saidAt.clear()
    saidAt.set(key, at)
    write(`graphile-worker: ${text}\n`)
  })
}

// A job's failure (its step's end could not be recorded) is said by the worker, with why:
// graphile-worker's own report of it keeps its first line, without the error's stack trace. Other
// errors lose their stack frames only.
function withoutStack(message: string): string {
  if (message.startsWith('Failed task ')) return message.split('\n', 1)[0]!.replace(/:$/, '')
  return message.split('\n').filter((line) => !/^\s+at /.test(line)).join('\n')
}

/** graphile-worker's logger in every process: its errors on stderr (see queueLogger). */
export const quietQueueLogger = queueLogger((line) => process.stderr.write(line))

/**
 * Installs or upgrades graphile-worker's schema (`graphile_worker`) in the store's database,
 * under an advisory lock so that a control plane and workers starting at once take turns.
 */
export async function migrateQueue(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`SELECT pg_advisory_lock(${QUEUE_MIGRATION_LOCK})`)
    await runMigrations({ connectionString: url, logger: quietQueueLogger })
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${QUEUE_MIGRATION_LOCK})`).catch(() => undefined)
    await client.end()
  }
}
