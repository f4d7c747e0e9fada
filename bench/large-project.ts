// Benchmark 3: a 10,000-asset project. Times building the definitions (loading), validating
// them into a graph, selecting and planning; then fills the store with one materialization
// per asset and times status() over all of them.
import { createHash } from 'node:crypto'
import { buildGraph, defineAsset, defineProject, select, sqlAsset, Tributary, type AnyNode, type AssetGraph, type ProjectDefinition } from '../src/index.js'
import { planRun } from '../src/engine/plan.js'
import { inTempDir, pick, quantile, result, resultBelow, seeded, timed, type BenchResult } from './harness.js'

const LAYERS = 20
const WIDTH = 500
const SQL_SHARE = 0.1
const WARM_RUNS = 3
const STATUS_RUNS = 5

const keyOf = (layer: number, index: number) => `layer${layer}/a${String(index).padStart(3, '0')}`
const tableOf = (layer: number, index: number) => `layer${layer}.a${String(index).padStart(3, '0')}`

/** The definitions of the project, built the way a config file would build them. */
export function buildProject(): ProjectDefinition {
  const random = seeded(10_000)
  const assets: AnyNode[] = []
  let previous: AnyNode[] = []
  for (let layer = 0; layer < LAYERS; layer++) {
    const current: AnyNode[] = []
    for (let i = 0; i < WIDTH; i++) {
      const key = keyOf(layer, i)
      if (layer > 0 && random() < SQL_SHARE) {
        const [a, b] = pick(random, 1 + Math.floor(random() * 2), WIDTH)
        const sql = b === undefined
          ? `select id, value * 2 as value, updated_at from ${tableOf(layer - 1, a!)} where value is not null`
          : `select * from ${tableOf(layer - 1, a!)} join ${tableOf(layer - 1, b)} using (id)`
        current.push(sqlAsset({ key, sql, owner: `team:${layer % 5}`, tags: ['sql'] }))
      } else {
        const ins: Record<string, AnyNode> = {}
        if (layer > 0) for (const index of pick(random, 1 + Math.floor(random() * 3), WIDTH)) ins[`in_${index}`] = previous[index]!
        current.push(defineAsset({ key, ins, owner: `team:${layer % 5}`, materialize: () => [] }))
      }
    }
    assets.push(...current)
    previous = current
  }
  return defineProject({ name: 'bench-10k', assets, concurrency: 8 })
}

/** Validate, select everything and plan it; the graph for later use. */
function validateSelectPlan(project: ProjectDefinition): { graph: AssetGraph; steps: number } {
  const { graph, problems } = buildGraph(project)
  if (!graph) throw new Error(`the 10k project is invalid: ${problems.slice(0, 3).map((p) => p.message).join('; ')}`)
  const keys = select(graph, undefined)
  const plan = planRun(graph, keys)
  return { graph, steps: plan.steps.length }
}

export async function largeProject(): Promise<BenchResult[]> {
  // The first pass is what a CLI invocation pays (cold JIT, cold SQL parser); later passes are warm.
  const load = await timed(() => buildProject())
  const project = load.value
  const cold = await timed(() => validateSelectPlan(project))
  if (cold.value.steps !== LAYERS * WIDTH) throw new Error(`planned ${cold.value.steps} steps, expected ${LAYERS * WIDTH}`)
  const warm: number[] = []
  const warmLoad: number[] = []
  for (let i = 0; i < WARM_RUNS; i++) {
    warmLoad.push((await timed(() => buildProject())).ms)
    warm.push((await timed(() => validateSelectPlan(project))).ms)
  }
  // Split of a warm pass: validate alone, then select + plan.
  const validateOnly = await timed(() => buildGraph(project))
  const graph = validateOnly.value.graph!
  const selectPlan = await timed(() => planRun(graph, select(graph, undefined)))
  const sqlCount = project.assets.filter((a) => a.type === 'sql').length

  const statusResults = await inTempDir('10k', async (projectDir) => {
    const instance = await Tributary.open({ projectDir, project })
    try {
      const fill = await timed(() => fillStore(instance))
      const ready = await timed(() => instance.status())
      const notFresh = ready.value.filter((s) => s.status !== 'fresh')
      if (ready.value.length !== LAYERS * WIDTH || notFresh.length > 0) {
        throw new Error(`status: ${ready.value.length} records, ${notFresh.length} not fresh (first: ${JSON.stringify(notFresh[0])})`)
      }
      const times: number[] = []
      for (let i = 0; i < STATUS_RUNS; i++) times.push((await timed(() => instance.status())).ms)
      return [
        result('10k: fill store (1 run, 10,000 completed steps, not timed against a budget)', fill.ms / 1000, 's'),
        result('10k: status() of every asset, first call', ready.ms, 'ms'),
        resultBelow('10k: status() of every asset, median of 5 warm', quantile(times, 0.5), 'ms', 100),
      ]
    } finally {
      await instance.close()
    }
  })

  return [
    result(`10k: load (build ${LAYERS * WIDTH} definitions, ${sqlCount} SQL), cold`, load.ms, 'ms'),
    resultBelow('10k: validate + select + plan, cold', cold.ms, 'ms', 1000),
    resultBelow('10k: load + validate + select + plan, cold', load.ms + cold.ms, 'ms', 1000),
    result('10k: load, warm median', quantile(warmLoad, 0.5), 'ms'),
    result('10k: validate + select + plan, warm median', quantile(warm, 0.5), 'ms'),
    result('10k: of which validate (buildGraph), warm', validateOnly.ms, 'ms'),
    result('10k: of which select + plan, warm', selectPlan.ms, 'ms'),
    ...statusResults,
  ]
}

/** Records one run in which every asset succeeded, straight through the store (nothing executes). */
export async function fillStore(instance: Tributary): Promise<void> {
  const { graph, store } = instance
  // The warehouse file must exist: status refuses a store that records publications to a missing warehouse (TRB5011).
  await instance.warehouse()
  const runId = 'bench-fill-run'
  const started = new Date()
  await store.createRun({
    id: runId, selection: '', trigger: 'bench', pid: process.pid, host: 'bench', startedAt: started,
    steps: graph.order.map((assetKey) => ({ assetKey, partition: null })),
  })
  const versions = new Map<string, string>()
  for (const key of graph.order) {
    const node = graph.get(key)
    const dataVersion = createHash('sha256').update(key).digest('hex').slice(0, 16)
    versions.set(key, dataVersion)
    const inputVersions = Object.fromEntries(node.upstream.map((k) => [k, versions.get(k)!]))
    const at = new Date()
    await store.completeStep({
      step: { runId, assetKey: key, partition: null, status: 'succeeded', attempt: 1, at, durationMs: 5, error: null, reason: null },
      materialization: {
        assetKey: key, partition: null, runId, codeVersion: node.codeVersion, dataVersion, inputVersions,
        rowCount: 100, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'value', type: 'DOUBLE' }], durationMs: 5, createdAt: at,
      },
      checks: [],
    })
  }
  await store.finishRun(runId, 'succeeded', new Date())
}
