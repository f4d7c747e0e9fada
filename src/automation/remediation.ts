/** A retry budget per asset: how many automatic re-materializations inside a sliding window. */
export interface RemediationBudget {
  readonly maxAttempts: number
  readonly windowMs: number
}

/** The attempts the budget still counts, and whether another is allowed (the circuit is closed). */
export function budgetState(attempts: readonly number[], budget: RemediationBudget, now: number): { recent: number[]; allowed: boolean } {
  const recent = attempts.filter((t) => now - t < budget.windowMs)
  return { recent, allowed: recent.length < budget.maxAttempts }
}
