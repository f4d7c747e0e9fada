// Under --json, stdout carries exactly one JSON document. User code running in this process
// (console.log in an asset, a library that prints) must not break it.

/**
 * Sends every later write to `process.stdout` (console.log, console.info, console.debug,
 * direct writes) to stderr instead, and returns a writer that still reaches the real stdout,
 * for the command's own output. For --json.
 */
export function divertStdout(): (text: string) => boolean {
  const real = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => process.stderr.write(chunk, ...(rest as []))) as typeof process.stdout.write
  return (text) => real(text)
}
