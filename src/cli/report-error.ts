import { ProjectInvalidError } from '../instance/config-error.js'
import { TributaryError } from '../model/errors.js'
import { Exit } from './command.js'
import { style } from './format.js'

/** Prints a command's failure (every problem with its code and hint, or JSON) and returns the exit code. */
export function reportError(error: unknown, json: boolean, out: (t: string) => void, err: (t: string) => void): number {
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
