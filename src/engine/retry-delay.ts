import { parseDuration } from '../model/duration.js'
import type { RetryPolicy } from '../model/retry.js'

/** The delay before attempt `attempt + 1`, after `attempt` failed: exponential, capped, with jitter. */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number, random: () => number = Math.random): number {
  const initial = parseDuration(policy?.initialDelay ?? '1s')
  const max = parseDuration(policy?.maxDelay ?? '1m')
  const factor = policy?.factor ?? 2
  const jitter = policy?.jitter ?? 0.2
  const base = Math.min(max, initial * factor ** (attempt - 1))
  // Jitter spreads retries of many steps that failed together, so they do not stampede.
  const spread = base * jitter * (random() * 2 - 1)
  return Math.max(0, Math.min(max, Math.round(base + spread)))
}

/** Total attempts allowed by the policy, including the first. Default: 1. */
export function maxAttempts(policy: RetryPolicy | undefined): number {
  return policy?.attempts ?? 1
}
