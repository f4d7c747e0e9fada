import { TributaryError } from '../model/errors.js'
import type { DefinitionError } from '../model/errors.js'

/** The config could not be found or loaded. */
export class ConfigError extends TributaryError {
  override readonly name = 'ConfigError'
}

/** The project loaded but its definitions are invalid; `problems` lists every one. */
export class ProjectInvalidError extends TributaryError {
  override readonly name = 'ProjectInvalidError'
  readonly problems: readonly DefinitionError[]
  constructor(problems: readonly DefinitionError[]) {
    const first = problems[0]!
    super(first.code, `${problems.length} problem${problems.length === 1 ? '' : 's'} in the project definitions; first: ${first.detail}`, {
      hint: first.hint, context: first.context,
    })
    this.problems = problems
  }
}
