import type { ParseArgsConfig } from 'node:util'

/** What a command's run function receives. */
export interface CommandContext {
  readonly values: Record<string, string | boolean | undefined>
  readonly positionals: readonly string[]
  /** Absolute project directory from --project (default: the current directory). */
  readonly projectDir: string
  readonly json: boolean
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly isTty: boolean
}

/** A CLI command: its help, its options, and what it does. Returns the exit code. */
export interface Command {
  readonly name: string
  readonly summary: string
  readonly usage: string
  /** Extra lines of help: option descriptions and examples. */
  readonly help: string
  readonly options: NonNullable<ParseArgsConfig['options']>
  run(ctx: CommandContext): Promise<number>
}

/** Identity, for type inference. */
export function defineCommand(command: Command): Command {
  return command
}

/** Exit codes, documented in docs/cli.md. */
export const Exit = {
  Ok: 0,
  /** The run failed, or the asset is not ready. */
  NotOk: 1,
  /** Bad usage, invalid definitions or selection. */
  Usage: 2,
  /** Tributary itself failed (store, warehouse, unexpected error). */
  Internal: 3,
} as const
