import { Tributary, type OpenOptions } from '../instance/tributary.js'
import { formatDuration } from '../model/duration.js'
import type { CommandContext } from './command.js'

/**
 * Opens the project of a command (`--project`). While its store rides out an outage (a PostgreSQL
 * restart), the command says so on stderr, and again when the store is back, rather than seem to hang.
 */
export async function openProject(ctx: Pick<CommandContext, 'projectDir' | 'err'>, options: Omit<OpenOptions, 'projectDir'> = {}): Promise<Tributary> {
  const instance = await Tributary.open({ projectDir: ctx.projectDir, ...options })
  instance.events.on('store_unreachable', (outage) => {
    ctx.err(`${outage.message} (trying again for up to ${formatDuration(outage.retryForMs)}: postgres({ retryFor }))`)
  })
  instance.events.on('store_reachable', (outage) => ctx.err(`the store is reachable again, after ${formatDuration(outage.afterMs)}`))
  return instance
}
