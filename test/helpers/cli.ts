import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'

/** The CLI entry point. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tributary.js')

/** Runs the CLI to completion and returns its exit code and output. */
export function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Starts the CLI in the background (for crash tests). */
export function cliProcess(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
}
