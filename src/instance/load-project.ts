import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from './config-error.js'
import { ErrorCode } from '../model/errors.js'
import type { ProjectDefinition } from '../model/project.js'

/** File names looked for in the project directory, in order. */
export const CONFIG_FILES = ['tributary.config.ts', 'tributary.config.mts', 'tributary.config.js', 'tributary.config.mjs'] as const

/** Finds and imports the project's config. TypeScript configs need the tsx loader, which the CLI registers. */
export async function loadProject(projectDir: string): Promise<{ project: ProjectDefinition; configFile: string }> {
  const dir = resolve(projectDir)
  const configFile = CONFIG_FILES.map((name) => join(dir, name)).find((file) => existsSync(file))
  if (!configFile) {
    throw new ConfigError(ErrorCode.ConfigNotFound, `no tributary.config.ts in ${dir}`, {
      context: { file: dir },
      hint: 'Run `tributary init` to create a project here, or pass --project <dir>.',
    })
  }
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(configFile).href)) as { default?: unknown }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new ConfigError(ErrorCode.ConfigLoad, `${configFile} failed to load: ${message}`, {
      cause: error,
      context: { file: configFile },
      hint: 'Fix the error in the config or the modules it imports; `tributary validate` shows it again.',
    })
  }
  const project = module.default as ProjectDefinition | undefined
  if (!project || (project as { type?: string }).type !== 'project') {
    throw new ConfigError(ErrorCode.ConfigLoad, `${configFile} has no default export made by defineProject`, {
      context: { file: configFile },
      hint: 'End the config with `export default defineProject({ name, assets })`.',
    })
  }
  return { project, configFile }
}
