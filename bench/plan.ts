// Benchmark: `plan` on a 5,000-asset project (10 layers of 500; a third SQL, reading one or two
// assets of the layer before) after one SQL asset changed: the whole comparison with what is
// deployed, column lineage included. Budget: < 1 s.
import { defineAsset, defineProject, sqlAsset, Tributary, type AnyNode, type ProjectDefinition } from '../src/index.js'
import { fillStore } from './large-project.js'
import { inTempDir, pick, quantile, resultBelow, result, seeded, timed, type BenchResult } from './harness.js'

const LAYERS = 10
const WIDTH = 500
const RUNS = 3
const tableOf = (layer: number, index: number) => `layer${layer}.a${String(index).padStart(3, '0')}`

/** The project; `changed` rewrites one SQL asset in the middle (drops a column its readers use). */
function project(changed: boolean): ProjectDefinition {
  const random = seeded(5000)
  const assets: AnyNode[] = []
  let previous: AnyNode[] = []
  let rewritten = false
  for (let layer = 0; layer < LAYERS; layer++) {
    const current: AnyNode[] = []
    for (let i = 0; i < WIDTH; i++) {
      const key = `layer${layer}/a${String(i).padStart(3, '0')}`
      if (layer > 0 && random() < 1 / 3) {
        const [a, b] = pick(random, 1 + Math.floor(random() * 2), WIDTH)
        let sql = b === undefined ? `select id, value * 2 as value from ${tableOf(layer - 1, a!)} where value is not null`
          : `select x.id, x.value + y.value as value from ${tableOf(layer - 1, a!)} x join ${tableOf(layer - 1, b)} y using (id)`
        if (changed && !rewritten && layer === LAYERS / 2) {
          sql = `select id, value * 3 as amount from ${tableOf(layer - 1, a!)}`
          rewritten = true
        }
        current.push(sqlAsset({ key, sql, owner: `team:${layer % 5}` }))
      } else {
        const ins: Record<string, AnyNode> = {}
        if (layer > 0) for (const index of pick(random, 1 + Math.floor(random() * 3), WIDTH)) ins[`in_${index}`] = previous[index]!
        current.push(defineAsset({ key, ins, owner: `team:${layer % 5}`, materialize: () => [] }))
      }
    }
    assets.push(...current)
    previous = current
  }
  return defineProject({ name: 'bench-plan', assets })
}

export async function planBenchmark(): Promise<BenchResult[]> {
  return inTempDir('plan', async (projectDir) => {
    const deployed = await Tributary.open({ projectDir, project: project(false) })
    try {
      await fillStore(deployed)
    } finally {
      await deployed.close()
    }
    const working = await Tributary.open({ projectDir, project: project(true) })
    try {
      const times: number[] = []
      let breaks = 0
      for (let i = 0; i < RUNS; i++) {
        const run = await timed(() => working.changePlan())
        if (run.value.changed.length !== 1 || !run.value.breaking) throw new Error(`plan found ${run.value.changed.length} changed, breaking ${run.value.breaking}`)
        breaks = run.value.breaks.reduce((n, b) => n + b.readers.length, 0)
        times.push(run.ms)
      }
      return [
        resultBelow(`plan: ${LAYERS * WIDTH} assets, one SQL asset changed, median of ${RUNS}`, quantile(times, 0.5), 'ms', 1000),
        result('plan: broken reader columns found', breaks, 'columns'),
      ]
    } finally {
      await working.close()
    }
  })
}
