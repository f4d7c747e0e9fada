import type { SinkDefinition } from '../../model/alerts.js'
import { commandSink } from './command-sink.js'
import { logSink } from './log-sink.js'
import type { Sink } from './sink.js'
import { webhookSink } from './webhook-sink.js'

export { commandSink } from './command-sink.js'
export { logSink } from './log-sink.js'
export { slackPayload, summaryLine, type SlackPayload } from './slack-payload.js'
export type { IncidentEvent, Notification, Sink } from './sink.js'
export { webhookSink } from './webhook-sink.js'

/** Options for building sinks from definitions. */
export interface SinkOptions {
  /** Where log sinks write. Default: standard error. */
  readonly logWriter?: (line: string) => void
}

/** The sinks of a project's alerts config. Default (no `sinks` given): one log sink named 'log'. */
export function createSinks(definitions: readonly SinkDefinition[] | undefined, options: SinkOptions = {}): Sink[] {
  return (definitions ?? [{ type: 'log', name: 'log' }]).map((definition) => {
    switch (definition.type) {
      case 'webhook': return webhookSink(definition.name, definition.url)
      case 'command': return commandSink(definition.name, definition.command, definition.args)
      case 'log': return logSink(definition.name, options.logWriter)
    }
  })
}
