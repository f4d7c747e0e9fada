import { closest } from './similar.js'

// Fields as other orchestrators name them, and what they are called here (edit distance would not find these).
const PEER_NAMES: Readonly<Record<string, string>> = {
  deps: 'ins', dependencies: 'ins', inputs: 'ins', depends_on: 'ins', dependsOn: 'ins', upstream: 'ins',
  fn: 'materialize', compute: 'materialize', compute_fn: 'materialize', run: 'materialize', execute: 'materialize',
  query: 'sql', owners: 'owner', asset_checks: 'checks', retry_policy: 'retry', freshness_policy: 'freshness',
  auto_materialize_policy: 'automation', automation_condition: 'automation', partitions_def: 'partitions', code_version: 'version',
  cron_schedule: 'cron', execution_timezone: 'timezone', retries: 'retry', max_retries: 'retry',
}

/** One field a definition does not take: where it was found, its name, and the likely intended one. */
export interface UnknownField {
  /** The definition and field as a reader finds them: `asset marts/revenue`, `freshness of marts/revenue`. */
  readonly where: string
  readonly field: string
  readonly suggestion: string | undefined
  /** Every field that place takes, for the hint. */
  readonly known: readonly string[]
}

/** The fields of `value` that `known` lacks (own enumerable string keys; values undefined included: they were written). */
export function unknownOf(value: unknown, known: Readonly<Record<string, true>>, where: string, hidden: readonly string[] = []): UnknownField[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return []
  const names = Object.keys(known).filter((name) => !hidden.includes(name))
  return Object.keys(value).filter((field) => !Object.hasOwn(known, field)).map((field) => {
    const peer = PEER_NAMES[field]
    const suggestion = peer !== undefined && Object.hasOwn(known, peer) ? peer : closest(field, names) ?? names.find((name) => startsAlike(field, name))
    return { where, field, suggestion, known: names }
  })
}

// `leaseTime` for `lease`, `pool` for `poolSize`: one name begins the other (letters only, any case).
function startsAlike(a: string, b: string): boolean {
  const [x, y] = [a, b].map((name) => name.toLowerCase().replace(/[^a-z]/g, ''))
  return x!.length >= 3 && y!.length >= 3 && (x!.startsWith(y!) || y!.startsWith(x!))
}

/** The message and hint of an unknown field. */
export function describeUnknownField(unknown: UnknownField): { message: string; hint: string } {
  const guess = unknown.suggestion === undefined ? '' : ` (did you mean ${unknown.suggestion}?)`
  return {
    message: `${unknown.where} sets ${unknown.field}, which it does not take${guess}`,
    hint: unknown.suggestion === 'ins'
      ? 'Name the upstream definitions themselves, by the names materialize reads them by: ins: { orders, customers } (the imported definitions, not their keys).'
      : `${unknown.suggestion === undefined ? 'Remove it' : `Rename it to ${unknown.suggestion}, or remove it`}; it takes ${unknown.known.join(', ')}.`,
  }
}

/**
 * The first option of a factory call (`postgres({ … })`) that `known` lacks, as the message and
 * hint of the error its factory throws; undefined when all are known.
 */
export function unknownOption(factory: string, options: unknown, known: Readonly<Record<string, true>>): { message: string; hint: string } | undefined {
  const [first] = unknownOf(options, known, `${factory}()`)
  return first && describeUnknownField(first)
}
