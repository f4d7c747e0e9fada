// File-sensor and files-source globs: braces expanded by the `braces` library, then matched
// segment by segment without regular expressions, so no pattern can make matching backtrack.
import braces from 'braces'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { starMatch } from './star-match.js'

/** Longest glob accepted, in characters. */
export const MAX_GLOB_LENGTH = 512
/** Most patterns a glob's braces may expand to (`{a,b}/{c,d}` is 4). */
export const MAX_GLOB_EXPANSIONS = 256

/** A compiled glob: `*` and `?` within one path segment, `**` across segments, `{a,b}` and `{1..3}` braces. */
export interface FileGlob {
  /** The pattern as written. */
  readonly pattern: string
  /** The directories (relative, '/'-separated, '' for the root) that every match lies under, one per brace alternative. */
  readonly bases: readonly string[]
  /** True when a match may lie deeper than its base's direct children. */
  readonly deep: boolean
  /** True when `path` (relative, '/'-separated) matches. */
  matches(path: string): boolean
}

/** Compiles `pattern`; throws TRB2011 for a glob too long, with too many brace alternatives, or unbalanced braces. */
export function compileGlob(pattern: string): FileGlob {
  if (pattern.length > MAX_GLOB_LENGTH) throw invalid(pattern, `is ${pattern.length} characters long; at most ${MAX_GLOB_LENGTH} are accepted`)
  let expanded: string[]
  try {
    expanded = braces(pattern, { expand: true, rangeLimit: MAX_GLOB_EXPANSIONS })
  } catch {
    // The library's only refusal is a range past rangeLimit ({1..100000}).
    throw invalid(pattern, `has braces that expand to more than ${MAX_GLOB_EXPANSIONS} patterns`)
  }
  if (expanded.length > MAX_GLOB_EXPANSIONS) throw invalid(pattern, `expands to ${expanded.length} patterns; at most ${MAX_GLOB_EXPANSIONS} are accepted`)
  const alternatives = expanded.map((one) => one.replace(/^\.\//, '').split('/').filter((segment, i) => segment !== '' || i === 0))
  const bases = alternatives.map((segments) => {
    const fixed = segments.findIndex((segment) => /[*?]/.test(segment))
    return segments.slice(0, fixed < 0 ? segments.length - 1 : fixed).join('/')
  })
  const deep = alternatives.some((segments, i) => segments.length - (bases[i] === '' ? 0 : bases[i]!.split('/').length) > 1)
  return {
    pattern, bases: [...new Set(bases)], deep,
    matches: (path) => {
      const parts = path.split('/')
      return alternatives.some((segments) => matchSegments(segments, parts))
    },
  }
}

/** Whether path segments match pattern segments, `**` standing for any number of whole segments: O(pattern × path). */
function matchSegments(pattern: readonly string[], parts: readonly string[]): boolean {
  return starMatch(pattern, parts, (segment) => segment === '**', matchSegment)
}

/** `*` is any run of characters, `?` one character, within one segment; a leading dot must be written. */
function matchSegment(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false
  return starMatch(pattern, name, (c) => c === '*', (c, char) => c === '?' || c === char)
}

function invalid(pattern: string, what: string): TributaryError {
  return new TributaryError(ErrorCode.InvalidGlob, `the file glob ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)} ${what}`, {
    hint: 'Write globs such as landing/crm/*.csv, landing/**/*.csv or landing/{crm,erp}/*.csv.',
  })
}
