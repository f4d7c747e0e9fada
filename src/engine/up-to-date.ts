import type { MaterializationRecord } from '../store/records.js'

/** The reason an up-to-date step carries; progress displays recognise a skipped step by this prefix. */
export const UP_TO_DATE = 'up to date'

/** What the up-to-date decision looks at: the step's code and inputs now, and its last published materialization. */
export interface UpToDateFacts {
  readonly codeVersion: string
  /** The step's upstream keys (assets and sources). */
  readonly upstream: readonly string[]
  /** Data version of each upstream as the step would read it now. */
  readonly inputVersions: Readonly<Record<string, string>>
  /** The last published materialization of the same asset (partition); its blocking checks passed. */
  readonly last: Pick<MaterializationRecord, 'runId' | 'codeVersion' | 'inputVersions'> | undefined
  /** The asset's checks now, and those evaluated on `last` (when known): a check added since means the output was never checked by it. */
  readonly checks?: { readonly now: readonly string[]; readonly evaluated: ReadonlySet<string> }
}

/**
 * Whether a step can be skipped as up to date, like make: the last published materialization
 * was built by the same code version from exactly the input versions it would read now.
 * A check (or contract) added since that build also makes it build, so the output is checked by it.
 * Returns the reason to record, or undefined when it must be built. Pure.
 *
 * An asset with nothing upstream is never up to date: it reads the outside world, which
 * Tributary cannot version (declare that data as a source and its readers can be skipped).
 */
export function upToDate(facts: UpToDateFacts): string | undefined {
  const { last } = facts
  if (!last || facts.upstream.length === 0 || last.codeVersion !== facts.codeVersion) return undefined
  if (facts.checks && facts.checks.now.some((name) => !facts.checks!.evaluated.has(name))) return undefined
  const recorded = Object.keys(last.inputVersions)
  if (recorded.length !== facts.upstream.length) return undefined
  for (const key of facts.upstream) {
    const now = facts.inputVersions[key]
    if (now === undefined || last.inputVersions[key] !== now) return undefined
  }
  return `${UP_TO_DATE}: code and ${facts.upstream.length} input version${facts.upstream.length === 1 ? '' : 's'} unchanged since run ${last.runId}`
}
