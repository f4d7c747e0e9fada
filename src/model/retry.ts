import type { Duration } from './duration.js'

/**
 * How a failing step is retried. Check failures and definition errors never retry.
 * Defaults: attempts 1 (no retry), initialDelay '1s', factor 2, maxDelay '1m', jitter 0.2.
 */
export interface RetryPolicy {
  /** Total attempts including the first. Default: 1. */
  readonly attempts?: number
  /** Delay before the second attempt. Default: '1s'. */
  readonly initialDelay?: Duration
  /** Multiplier applied to the delay after each attempt. Default: 2. */
  readonly factor?: number
  /** Upper bound on any one delay. Default: '1m'. */
  readonly maxDelay?: Duration
  /** Random spread as a fraction of the delay (0–1), so retries do not stampede. Default: 0.2. */
  readonly jitter?: number
  /** Decides whether an error from the asset's code is worth retrying. Default: every error. */
  readonly retryOn?: (error: unknown) => boolean
}
