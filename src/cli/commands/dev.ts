import { existsSync, watch, type FSWatcher } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { ConfigError, ProjectInvalidError } from '../../instance/config-error.js'
import { compiledConfig } from '../../instance/config-bundle.js'
import { CONFIG_FILES, configLoadError } from '../../instance/load-project.js'
import type { Tributary } from '../../instance/tributary.js'
import { openProject } from '../open-project.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { ProjectDefinition } from '../../model/project.js'
import { startControlPlane } from '../control-plane-server.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'
import { LISTEN_HELP, LISTEN_OPTIONS, listenAddress, shutDown, startDaemon, untilSignal, type RunningDaemon } from './serve.js'

/** Quiet time after the last change before reloading: an editor's save is often several writes. */
const DEBOUNCE_MS = 200

/** `tributary dev`: serve, and reload the definitions whenever a project file changes. */
export default defineCommand({
  name: 'dev',
  summary: 'serve the API and UI, reloading the definitions when project files change',
  usage: 'tributary dev [--port <n>] [--host <h>] [--no-daemon]',
  help: [
    LISTEN_HELP,
    '',
    'Watches the project directory (not .tributary/, node_modules/ or dotfiles). A change reloads',
    'the config and every module it imports; definitions that fail to load or validate are',
    'reported and the previous ones keep serving. Open event streams get a `reload` event.',
  ].join('\n'),
  options: LISTEN_OPTIONS,
  async run(ctx) {
    const { host, port } = listenAddress(ctx)
    let current = await openProject(ctx)
    const instance = () => current
    let watcher: FSWatcher | undefined
    let daemon: RunningDaemon | undefined
    try {
      const server = await startControlPlane(instance, 'dev', { host, port })
      // The daemon reads the current definitions through the getter, so reloads reach it.
      daemon = await startDaemon(ctx, instance)
      ctx.out(`${style.green('✓')} dev server for ${style.bold(current.project.name)} (${current.graph.nodes.size} assets) at ${style.bold(server.url)}`)
      ctx.out(style.dim(`watching ${current.projectDir} for changes`))

      const reload = serialized(async () => {
        try {
          current = current.withProject(await importProject(current.projectDir))
          const message = `reloaded ${current.graph.nodes.size} assets`
          ctx.out(`${style.green('↻')} ${message}`)
          server.publish({ type: 'reload', ok: true, message })
        } catch (error) {
          if (!(error instanceof TributaryError)) throw error
          const problems = error instanceof ProjectInvalidError ? error.problems : [error]
          ctx.err(`${style.red('✗ reload failed')}; still serving the previous definitions`)
          for (const problem of problems) {
            ctx.err(`  ${style.red(problem.code)} ${problem.context.assetKey ? `${style.bold(problem.context.assetKey)}: ` : ''}${problem.detail}`)
            if (problem.hint) ctx.err(`        ${style.dim(`hint: ${problem.hint}`)}`)
          }
          server.publish({ type: 'reload', ok: false, message: `${error.code}: ${error.detail}` })
        }
      }, (error) => ctx.err(`${style.red('internal error')} while reloading: ${error instanceof Error ? error.message : String(error)}`))

      const ignored = ignoredPaths(current)
      let timer: NodeJS.Timeout | undefined
      watcher = watch(current.projectDir, { recursive: true }, (_event, filename) => {
        if (filename && ignored(filename.toString())) return
        clearTimeout(timer)
        timer = setTimeout(reload, DEBOUNCE_MS)
      })
      watcher.on('error', (error) => ctx.err(`${style.red('watching stopped')}: ${error.message}`))

      await untilSignal(ctx)
      clearTimeout(timer)
      watcher.close()
      await daemon.stop()
      await shutDown(instance, server)
      return Exit.Ok
    } finally {
      watcher?.close()
      await daemon?.stop()
      await current.close()
    }
  },
})

/** Imports the config and everything it imports afresh: a changed file makes a new compiled module, with its own module graph. */
async function importProject(projectDir: string): Promise<ProjectDefinition> {
  const configFile = CONFIG_FILES.map((name) => join(projectDir, name)).find((file) => existsSync(file))
  if (!configFile) {
    throw new ConfigError(ErrorCode.ConfigNotFound, `no tributary.config.ts in ${projectDir}`, { context: { file: projectDir }, hint: 'Put the config back; the previous definitions keep serving.' })
  }
  let module: { default?: { type?: string } }
  try {
    module = (await import(await compiledConfig(configFile))) as typeof module
  } catch (error) {
    throw configLoadError(configFile, error, 'Fix the error and save again.')
  }
  if (module.default?.type !== 'project') {
    throw new ConfigError(ErrorCode.ConfigLoad, `${configFile} has no default export made by defineProject`, { context: { file: configFile }, hint: 'End the config with `export default defineProject({ name, assets })`.' })
  }
  return module.default as ProjectDefinition
}

/** True for changes that are not definitions: dotfiles and dot-directories (.tributary, .git), node_modules, the state directory. */
function ignoredPaths(instance: Tributary): (filename: string) => boolean {
  const state = relative(instance.projectDir, instance.stateDir)
  return (filename) => {
    if (state && !state.startsWith('..') && (filename === state || filename.startsWith(`${state}${sep}`))) return true
    return filename.split(/[\\/]/).some((part) => part.startsWith('.') || part === 'node_modules')
  }
}

/** Runs `task` one at a time; a call while it runs schedules exactly one more run afterwards. */
function serialized(task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false
  let again = false
  const run = async (): Promise<void> => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      await task()
    } catch (error) {
      onError(error)
    } finally {
      running = false
    }
    if (again) {
      again = false
      await run()
    }
  }
  return () => void run()
}
