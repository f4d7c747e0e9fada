import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ProjectInvalidError } from '../instance/config-error.js'
import { TributaryError } from '../model/errors.js'
import { Exit, type Command } from './command.js'
import backfill from './commands/backfill.js'
import daemon from './commands/daemon.js'
import dev from './commands/dev.js'
import incidents from './commands/incidents.js'
import init from './commands/init.js'
import lineage from './commands/lineage.js'
import materialize from './commands/materialize.js'
import ready from './commands/ready.js'
import run from './commands/run.js'
import runs from './commands/runs.js'
import serve from './commands/serve.js'
import status from './commands/status.js'
import validate from './commands/validate.js'
import { style } from './format.js'
import { divertStdout } from './json-stdout.js'

const COMMANDS: readonly Command[] = [init, validate, materialize, backfill, status, ready, lineage, runs, run, daemon, incidents, serve, dev]
const GLOBAL_OPTIONS = {
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

function usage(): string {
  return [
    `${style.bold('tributary')} — run data when its inputs are ready; check it before anyone reads it`,
    '',
    'usage: tributary <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'options for every command:',
    '  -p, --project <dir>   the project directory (default: the current directory)',
    '      --json            machine-readable output (read commands); shapes in docs/cli.md',
    '  -h, --help            help for a command: tributary <command> --help',
    '',
    'exit codes: 0 ok · 1 run failed or not ready · 2 bad usage or invalid definitions · 3 internal error',
  ].join('\n')
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let write = (text: string) => process.stdout.write(text)
  const out = (text: string) => write(`${text}\n`)
  const err = (text: string) => process.stderr.write(`${text}\n`)
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(usage())
    return name ? Exit.Ok : Exit.Usage
  }
  if (name === '--version') {
    out('0.1.0')
    return Exit.Ok
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    err(`${style.red('TRB6001')} unknown command ${JSON.stringify(name)}\n        ${style.dim(`hint: commands are ${COMMANDS.map((c) => c.name).join(', ')}; see tributary --help`)}`)
    return Exit.Usage
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true })
  } catch (error) {
    err(`${style.red('TRB6001')} ${(error as Error).message}\n        ${style.dim(`usage: ${command.usage}`)}`)
    return Exit.Usage
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help) {
    out(`${command.summary}\n\nusage: ${command.usage}\n\n${command.help}\n\n  -p, --project <dir>   the project directory (default: the current directory)`)
    return Exit.Ok
  }
  const json = values.json === true
  // One JSON document on stdout: anything else printing (console.log in asset code) goes to stderr.
  if (json) write = divertStdout()
  try {
    return await command.run({
      values, positionals: parsed.positionals, json, out, err, isTty: Boolean(process.stderr.isTTY),
      projectDir: resolve(typeof values.project === 'string' ? values.project : process.cwd()),
    })
  } catch (error) {
    return reportError(error, json, out, err)
  }
}

function reportError(error: unknown, json: boolean, out: (t: string) => void, err: (t: string) => void): number {
  if (error instanceof TributaryError) {
    const problems = error instanceof ProjectInvalidError ? error.problems : [error]
    if (json) out(JSON.stringify({ error: error.toJSON(), problems: problems.map((p) => p.toJSON()) }, null, 2))
    else {
      for (const problem of problems) {
        err(`${style.red(problem.code)} ${problem.context.assetKey ? `${style.bold(problem.context.assetKey)}: ` : ''}${problem.detail}`)
        if (problem.hint) err(`        ${style.dim(`hint: ${problem.hint}`)}`)
      }
    }
    const code = Number(error.code.slice(3))
    return code < 3000 || (code >= 6000 && code < 6100) ? Exit.Usage : Exit.Internal
  }
  // Not ours: say so plainly and keep the stack for the bug report.
  err(`${style.red('internal error')}: ${error instanceof Error ? error.message : String(error)}`)
  if (error instanceof Error && error.stack) err(style.dim(error.stack.split('\n').slice(1, 6).join('\n')))
  err(style.dim('This is a bug in Tributary; please report it with the command you ran.'))
  return Exit.Internal
}

// `tributary status | head` closes the pipe early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
}

process.exitCode = await main(process.argv.slice(2))
// Exit once the output is flushed: asset code of a canceled step may still hold timers or sockets,
// and the command is done either way.
process.stdout.write('', () => process.stderr.write('', () => process.exit()))
