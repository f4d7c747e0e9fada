// The CLI entry. It imports nothing heavy: `--version` and `--help` answer at Node's own start-up
// cost, and each command module is imported only when that command runs (its own heavy imports,
// such as DuckDB or the server, are deferred again inside it).
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { Exit, type Command } from './command.js'
import { style } from './format.js'
import { divertStdout } from './json-stdout.js'
import { VERSION } from '../version.js'

/** Every command, in the order `tributary --help` lists them; `./commands/<name>.js` default-exports each. */
export const COMMAND_NAMES = ['init', 'validate', 'materialize', 'backfill', 'status', 'ready', 'lineage', 'plan', 'runs', 'run', 'daemon', 'incidents', 'serve', 'dev', 'worker', 'workers', 'migrate-store'] as const

const GLOBAL_OPTIONS = {
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const PROJECT_HELP = '  -p, --project <dir>   the project directory (default: the current directory)'

/** Imports one command's module. */
async function loadCommand(name: string): Promise<Command> {
  return ((await import(`./commands/${name}.js`)) as { default: Command }).default
}

async function usage(): Promise<string> {
  const commands = await Promise.all(COMMAND_NAMES.map(loadCommand))
  return [
    `${style.bold('tributary')} ${VERSION} — run data when its inputs are ready; check it before anyone reads it`,
    '',
    'usage: tributary <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'options for every command:',
    PROJECT_HELP,
    '      --json            machine-readable output (read commands); shapes in docs/cli.md',
    '  -h, --help            help for a command: tributary help <command>',
    '      --version         print the version',
    '',
    'exit codes: 0 ok · 1 run failed or not ready · 2 bad usage or invalid definitions · 3 internal error',
  ].join('\n')
}

function commandHelp(command: Command): string {
  return `${command.summary}\n\nusage: ${command.usage}\n\n${command.help}\n\n${PROJECT_HELP}\n      --json            machine-readable output where the command has it`
}

function unknownCommand(name: string): string {
  return `${style.red('TRB6001')} unknown command ${JSON.stringify(name)}\n        ${style.dim(`hint: commands are ${COMMAND_NAMES.join(', ')}; see tributary --help`)}`
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let write = (text: string) => process.stdout.write(text)
  const out = (text: string) => write(`${text}\n`)
  const err = (text: string) => process.stderr.write(`${text}\n`)
  const [name, ...rest] = argv
  if (name === '--version' || name === '-v' || name === 'version') {
    out(VERSION)
    return Exit.Ok
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    if (topic === undefined) {
      out(await usage())
      return name ? Exit.Ok : Exit.Usage
    }
    if (!(COMMAND_NAMES as readonly string[]).includes(topic)) {
      err(unknownCommand(topic))
      return Exit.Usage
    }
    out(commandHelp(await loadCommand(topic)))
    return Exit.Ok
  }
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    err(unknownCommand(name))
    return Exit.Usage
  }
  // Before anything else is imported: a worker process starts loading the project meanwhile.
  const prestarted = RUNS_STEPS.has(name) && prestartable(rest)
  if (prestarted) await prestart(resolve(prestarted.project ?? process.cwd()))
  const command = await loadCommand(name)
  const options = { ...GLOBAL_OPTIONS, ...command.options }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true })
  } catch (error) {
    err(`${style.red('TRB6001')} ${usageProblem(error as Error & { code?: string }, command, options)}\n        ${style.dim(`usage: ${command.usage}; see tributary help ${command.name}`)}`)
    return Exit.Usage
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help) {
    out(commandHelp(command))
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
    const { reportError } = await import('./report-error.js')
    return reportError(error, json, out, err)
  } finally {
    if (prestarted) await import('../execution/prestart.js').then(({ discardPrestartedWorker }) => discardPrestartedWorker())
  }
}

/** Commands that run asset code in worker processes: one is started before the command's own imports. */
const RUNS_STEPS = new Set(['materialize'])

/**
 * Whether a worker is worth starting early for these arguments (not for help or a dry run), and the
 * --project they name. Arguments are read loosely here; parseArgs judges them afterwards.
 */
function prestartable(args: readonly string[]): { project?: string } | undefined {
  if (args.some((arg) => arg === '--help' || arg === '-h' || arg === '--dry-run')) return undefined
  const at = args.findIndex((arg) => arg === '--project' || arg === '-p')
  const inline = args.find((arg) => arg.startsWith('--project='))
  const project = at >= 0 ? args[at + 1] : inline?.slice('--project='.length)
  return project === undefined ? {} : { project }
}

/** Starts one worker for the project, unless code runs in-process or a live control plane will run the steps. */
async function prestart(projectDir: string): Promise<void> {
  const executor = process.env.TRIBUTARY_EXECUTOR
  if (executor !== undefined && executor !== 'pool') return
  const [{ readControlPlane, processExists }, { prestartWorker }] = await Promise.all([import('../instance/control-plane.js'), import('../execution/prestart.js')])
  const live = readControlPlane(resolve(projectDir, '.tributary'))
  if (live && processExists(live.pid)) return
  prestartWorker(projectDir)
}

/** parseArgs' message for an unknown option suggests `--`; a newcomer needs the valid options instead. */
function usageProblem(error: Error & { code?: string }, command: Command, options: NonNullable<ParseArgsConfig['options']>): string {
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error.message
  const given = /'([^']+)'/.exec(error.message)?.[1] ?? 'option'
  const valid = Object.entries(options).map(([long, o]) => (o.short ? `--${long} (-${o.short})` : `--${long}`))
  return `unknown option ${given} for tributary ${command.name}; its options are ${valid.join(', ')}`
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
