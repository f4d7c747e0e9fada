// Where a definition was declared, so the UI can show the code as the user wrote it.

/** A position in a source file: 1-based line and column, as in a stack trace. */
export interface CallSite {
  /** A path, or a file: URL (ES modules). */
  readonly file: string
  readonly line: number
  readonly column: number
}

// Keyed by the frozen definition; the definition itself stays a plain, unchanged object.
const captured = new WeakMap<object, { stack?: string }>()

/**
 * Remembers where `definition` was declared: the caller of `defineFn`. Only the frames are
 * captured here (cheap); the trace is formatted — and source-mapped when TypeScript was
 * transpiled on load — only if {@link callSiteOf} reads it.
 */
export function recordCallSite(definition: object, defineFn: (...args: never[]) => unknown): void {
  const holder: { stack?: string } = {}
  // One frame, the caller's, is all it needs; collecting fewer frames halves the cost in a deep import.
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 1
  try {
    Error.captureStackTrace(holder, defineFn)
  } finally {
    Error.stackTraceLimit = limit
  }
  captured.set(definition, holder)
}

/** Where `definition` was declared, or undefined when unknown (defined through a wrapper Tributary cannot see past, or no file). */
export function callSiteOf(definition: object): CallSite | undefined {
  const stack = captured.get(definition)?.stack
  const frame = stack?.split('\n').find((line) => line.trimStart().startsWith('at '))
  const match = frame && /\(?((?:file:\/\/)?[^()\s][^()]*?):(\d+):(\d+)\)?$/.exec(frame.trim().slice(3))
  if (!match || match[1]!.startsWith('node:') || match[1] === '<anonymous>') return undefined
  return { file: match[1]!, line: Number(match[2]), column: Number(match[3]) }
}
