// `tributary run <id> --follow`: a run's progress and logs as they happen, from the store's event log.
import { isAlive } from '../engine/recovery.js'
import type { RunStatus } from '../store/records.js'
import type { Store } from '../store/store.js'
import { apiEventOf } from '../server/log-events.js'
import { toProgressEvent } from './control-plane-client.js'
import { formatLogLine } from './log-lines.js'
import { ProgressDisplay } from './progress-display.js'

/** How often the event log is read for what the run's process wrote. Default of followRun: 200 ms. */
const POLL_MS = 200

/**
 * Prints run `runId`'s events from its start (step changes as progress lines, log lines as
 * they were written), then follows the event log, whichever process runs the run, until the
 * run finishes; returns how it ended. `write` receives whole lines (or nothing, for --json).
 */
export async function followRun(store: Store, runId: string, write: ((text: string) => void) | undefined, options: { pollMs?: number } = {}): Promise<RunStatus> {
  const display = write ? new ProgressDisplay(write, false) : undefined
  let cursor = 0
  for (;;) {
    const run = await store.getRun(runId)
    const events = await store.listEvents({ runId, afterId: cursor })
    for (const record of events) {
      cursor = record.id
      const event = apiEventOf(record)
      if (!event || !write) continue
      if (event.type === 'log') {
        write(`${formatLogLine({ ...event, assetKey: event.key, at: new Date(event.at) }, event.attempt > 1)}\n`)
        continue
      }
      const progress = toProgressEvent(event)
      if (progress) display!.onEvent(progress)
    }
    // A run that ended has written its last event before its status changed: read once more, then stop.
    if (run && run.status !== 'running' && events.length === 0) return run.status
    // Nobody will ever finish a run whose process died; the next run or server settles it.
    if (run && events.length === 0 && !isAlive(run, new Date())) {
      write?.(`run ${runId}: its process (pid ${run.pid} on ${run.host}) died; it is settled as failed by the next command that runs\n`)
      return 'failed'
    }
    if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS))
  }
}
