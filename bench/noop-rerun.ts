// Benchmark: a no-op re-run. The 1,000-asset layered graph (10 layers of 100 no-op assets, each
// reading 2–3 of the layer before; layer 0 reads a files source) is built once, then run again
// with nothing changed: every step is skipped as up to date. Budget: ≤ 0.3 s in-process.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defineAsset, defineProject, defineSource, files, Tributary, type AnyNode } from '../src/index.js'
import { inTempDir, pick, quantile, result, seeded, timed, type BenchResult } from './harness.js'

const LAYERS = 10
const WIDTH = 100
const RERUNS = 3

function assets(): AnyNode[] {
  const random = seeded(1000)
  const landing = defineSource({ key: 'landing/events', observe: files('landing/*.csv') })
  const all: AnyNode[] = [landing]
  let previous: AnyNode[] = []
  for (let layer = 0; layer < LAYERS; layer++) {
    const current: AnyNode[] = []
    for (let i = 0; i < WIDTH; i++) {
      const ins: Record<string, AnyNode> = layer === 0 ? { landing } : {}
      if (layer > 0) for (const index of pick(random, 2 + Math.floor(random() * 2), WIDTH)) ins[`in_${index}`] = previous[index]!
      current.push(defineAsset({ key: `layer${layer}/a${String(i).padStart(3, '0')}`, io: 'none', ins, materialize: () => undefined }))
    }
    all.push(...current)
    previous = current
  }
  return all
}

export async function noopRerun(): Promise<BenchResult[]> {
  return inTempDir('noop-rerun', async (projectDir) => {
    await mkdir(join(projectDir, 'landing'), { recursive: true })
    await writeFile(join(projectDir, 'landing', 'events.csv'), 'id\n1\n')
    const instance = await Tributary.open({ projectDir, project: defineProject({ name: 'bench-noop', assets: assets(), concurrency: 8 }) })
    try {
      const first = await timed(() => instance.materialize())
      if (first.value.status !== 'succeeded') throw new Error(`first run ended ${first.value.status}`)
      const times: number[] = []
      for (let i = 0; i < RERUNS; i++) {
        let upToDate = 0
        const rerun = await timed(() => instance.materialize(undefined, {
          onProgress: (event) => {
            if (event.type === 'step' && event.status === 'succeeded' && event.reason?.startsWith('up to date')) upToDate++
          },
        }))
        if (rerun.value.status !== 'succeeded' || upToDate !== LAYERS * WIDTH) throw new Error(`re-run: ${upToDate} of ${LAYERS * WIDTH} up to date`)
        times.push(rerun.ms)
      }
      return [
        result('no-op re-run: first (full) run of the 1,000-asset graph', first.ms / 1000, 's'),
        result(`no-op re-run: 1,000 up-to-date assets, in-process, median of ${RERUNS}`, quantile(times, 0.5) / 1000, 's', { max: 0.3 }),
      ]
    } finally {
      await instance.close()
    }
  })
}
