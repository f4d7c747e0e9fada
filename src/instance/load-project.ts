import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from './config-error.js'
import { compiledConfig } from './config-bundle.js'
import { ErrorCode, TributaryError, type ErrorContext } from '../model/errors.js'
import type { ProjectDefinition } from '../model/project.js'

/** File names looked for in the project directory, in order. */
export const CONFIG_FILES = ['tributary.config.ts', 'tributary.config.mts', 'tributary.config.js', 'tributary.config.mjs'] as const

/** The config file of `projectDir`, or a TRB1012 error saying how to create one. */
export function findConfig(projectDir: string): string {
  const dir = resolve(projectDir)
  const configFile = CONFIG_FILES.map((name) => join(dir, name)).find((file) => existsSync(file))
  if (!configFile) {
    throw new ConfigError(ErrorCode.ConfigNotFound, `no tributary.config.ts in ${dir}`, {
      context: { file: dir },
      hint: 'Run `tributary init` to create a project here, or pass --project <dir>.',
    })
  }
  return configFile
}

/** Finds and imports the project's config (compiled once per change; see compiledConfig). */
export async function loadProject(projectDir: string): Promise<{ project: ProjectDefinition; configFile: string }> {
  const configFile = findConfig(projectDir)
  let module: { default?: unknown }
  try {
    module = (await import(await compiledConfig(configFile))) as { default?: unknown }
  } catch (error) {
    // A Tributary error raised while the config evaluates (a bad store option, an invalid definition)
    // already says what is wrong and what to do: keep its code and hint rather than wrap it.
    if (isTributaryError(error)) throw error
    throw configLoadError(configFile, error, 'Fix the error in the config or the modules it imports; `tributary validate` shows it again.')
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

// esbuild (under tsx, or compiling the config) reports "… failed with 1 error:\n<file>:<line>:<column>: ERROR: <text>".
const TRANSFORM_ERROR = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m

/**
 * A TRB1011 error for a config (or a module it imports) that failed to load. A syntax error names the
 * file, line and column of the first problem, not the transformer's "Transform failed with 1 error".
 */
export function configLoadError(configFile: string, error: unknown, hint: string): ConfigError {
  const located = error instanceof Error ? TRANSFORM_ERROR.exec(error.message) : null
  if (located) {
    const [, file, line, column, text] = located
    const path = resolve(configFile, '..', file!)
    const context: ErrorContext = { file: path, position: { line: Number(line), column: Number(column) + 1 } }
    const what = /^(Expected|Unexpected|Unterminated|Invalid|Syntax)/.test(text!) ? 'syntax error' : 'error'
    return new ConfigError(ErrorCode.ConfigLoad, `${what} in ${path}:${line}:${Number(column) + 1}: ${text}`, { cause: error, context, hint })
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
  return new ConfigError(ErrorCode.ConfigLoad, `${configFile} failed to load: ${message}`, { cause: error, context: { file: configFile }, hint })
}

// The config may import the package through a second module instance (an installed copy beside
// the CLI's own), so the class alone cannot tell; a TRB code and a hint field can.
function isTributaryError(error: unknown): error is TributaryError {
  return error instanceof TributaryError || (error instanceof Error && /^TRB\d{4}$/.test(String((error as { code?: unknown }).code)) && 'hint' in error)
}
