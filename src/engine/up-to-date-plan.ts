import type { AssetGraph } from '../graph/asset-graph.js'
import type { MaterializationRecord } from '../store/records.js'
import type { EngineDeps } from './engine-deps.js'
import { observeSource } from './observe.js'
import { stepId, type Plan } from './plan.js'
import { currentStatuses } from './readiness.js'
import { usableAsInput } from './status.js'
import { upToDate } from './up-to-date.js'

type Last = Pick<MaterializationRecord, 'runId' | 'codeVersion' | 'dataVersion' | 'inputVersions'> & { readonly checked?: ReadonlySet<string> }

/**
 * The steps of a plan that are up to date, decided in one pass in plan order, like make:
 * a step is up to date when its code and every input version equal those of its last
 * materialization, where an input built in this run counts only if it is itself up to date.
 * Pure. Partitioned steps are left to the per-step check (their inputs follow mappings), and
 * so are steps with an outside input that `usable` rejects (Default: all usable).
 */
export function upToDatePlan(
  graph: AssetGraph, plan: Plan, last: ReadonlyMap<string, Last>, sourceVersions: ReadonlyMap<string, string>,
  usable: (key: string) => boolean = () => true,
): Map<string, string> {
  const inRun = new Set(plan.steps.map(stepId))
  const skipped = new Map<string, string>()
  for (const step of plan.steps) {
    const node = graph.get(step.key)
    if (step.partition !== null || node.partitions || node.upstream.some((up) => graph.get(up).partitions)) continue
    // Readiness comes first: a step whose outside input is late or failed waits (and may end
    // blocked, naming the root cause) as it would have; only a ready step can be up to date.
    if (step.upstreamOutside.some((up) => !usable(up))) continue
    const inputVersions: Record<string, string> = {}
    let known = true
    for (const up of node.upstream) {
      // An input rebuilt by this run has a version nobody knows yet: its readers must be built.
      const version = inRun.has(up) && !skipped.has(up) ? undefined : graph.get(up).def.type === 'source' ? sourceVersions.get(up) : last.get(up)?.dataVersion
      if (version === undefined) {
        known = false
        break
      }
      inputVersions[up] = version
    }
    if (!known) continue
    const built = last.get(step.key)
    const checks = built?.checked ? { now: (node.def.checks ?? []).map((c) => c.name), evaluated: built.checked } : undefined
    const reason = upToDate({ codeVersion: node.codeVersion, upstream: node.upstream, inputVersions, last: built, ...(checks ? { checks } : {}) })
    if (reason) skipped.set(stepId(step), reason)
  }
  return skipped
}

/**
 * Reads what {@link upToDatePlan} needs in a few bulk queries: sources read by the plan are
 * observed now (and the observation recorded, as readiness would), assets' last
 * materializations come from their latest state, readiness from one status pass. Returns step id → reason.
 */
export async function upToDateSteps(deps: EngineDeps, plan: Plan): Promise<Map<string, string>> {
  const whole = plan.steps.filter((s) => s.partition === null)
  if (whole.length === 0) return new Map()
  const keys = new Set<string>()
  for (const step of whole) for (const key of [step.key, ...deps.graph.get(step.key).upstream]) keys.add(key)
  const sources = [...keys].filter((key) => deps.graph.get(key).def.type === 'source')
  const assets = [...keys].filter((key) => deps.graph.get(key).def.type !== 'source')
  const [states, previous] = await Promise.all([deps.store.assetStates(assets, { partition: null }), deps.store.latestObservations(sources)])
  const last = new Map<string, Last>()
  for (const state of states) {
    const built = state.lastMaterialization
    if (!built) continue
    // Checks evaluated on that build: the latest checked step is that build's when it published.
    const checked = new Set(state.lastChecks.filter((c) => c.runId === built.runId).map((c) => c.checkName))
    last.set(state.assetKey, { ...built, checked })
  }
  const previousBySource = new Map(previous.map((o) => [o.sourceKey, o]))
  const sourceVersions = new Map<string, string>()
  for (const key of sources) {
    const { files: _files, ...observation } = await observeSource(deps.graph.get(key), {
      projectDir: deps.projectDir, now: deps.clock.now(), previous: previousBySource.get(key), session: () => deps.warehouse.session(),
    })
    await deps.store.recordObservation(observation)
    if (observation.exists && observation.dataVersion) sourceVersions.set(key, observation.dataVersion)
  }
  // Statuses after the observations above: the readiness every skipped step would have checked.
  const statuses = await currentStatuses(deps, [])
  return upToDatePlan(deps.graph, plan, last, sourceVersions, (key) => {
    const status = statuses.get(key)
    return status !== undefined && usableAsInput(status)
  })
}

/** The plan without the steps in `done` (already ended, e.g. up to date); edges from them are dropped. Pure. */
export function withoutSteps(plan: Plan, done: ReadonlyMap<string, unknown>): Plan {
  const steps = plan.steps
    .filter((step) => !done.has(stepId(step)))
    .map((step) => (step.upstreamInRun.some((id) => done.has(id)) ? Object.freeze({ ...step, upstreamInRun: step.upstreamInRun.filter((id) => !done.has(id)) }) : step))
  return Object.freeze({ steps })
}
