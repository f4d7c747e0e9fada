import { summaryLine } from './slack-payload.js'
import type { Sink } from './sink.js'

/** Writes one line per notification. Default writer: standard error. */
export function logSink(name: string, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Sink {
  return {
    name,
    async send(notification) {
      const affected = notification.incident.affected.length
      write(`[tributary] ${summaryLine(notification)}${affected > 0 ? ` · affects ${affected} output${affected === 1 ? '' : 's'}` : ''}`)
    },
  }
}
