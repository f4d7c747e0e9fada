// How much log a store keeps per step attempt, and the words for what it cut.

/** Bounds on the log a store keeps for one step attempt (run, asset, partition, attempt). */
export interface LogLimits {
  /** Lines kept; later lines are counted on one marker line. Default: 10 000. */
  readonly lines: number
  /** Bytes of message text kept (UTF-8). Default: 1 MiB. */
  readonly bytes: number
  /** Bytes of one line; a longer line is cut and says by how much. Default: 16 KiB. */
  readonly lineBytes: number
}

/** The limits a store uses unless told otherwise. */
export const DEFAULT_LOG_LIMITS: LogLimits = Object.freeze({ lines: 10_000, bytes: 1024 * 1024, lineBytes: 16 * 1024 })

/** `message` cut to at most `lineBytes` UTF-8 bytes plus a note of how many characters were cut. */
export function cutLine(message: string, lineBytes: number): string {
  if (Buffer.byteLength(message) <= lineBytes) return message
  // Cut on a character boundary: decoding a cut UTF-8 sequence would end in U+FFFD.
  let kept = Buffer.from(message).subarray(0, lineBytes).toString('utf8')
  if (kept.endsWith('\uFFFD') && !message.startsWith(kept)) kept = kept.slice(0, -1)
  return `${kept} … [line cut: ${message.length - kept.length} more characters]`
}

/** The text of the marker line that stands for `dropped` lines past the limits. */
export function truncatedMessage(dropped: number, limits: LogLimits): string {
  return `[log truncated] this step attempt passed its log limit (${limits.lines} lines or ${formatBytes(limits.bytes)}); ${dropped} later line${dropped === 1 ? ' was' : 's were'} not stored`
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`
}
