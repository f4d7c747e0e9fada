// The 1,000-asset layered graph of no-op assets through the built CLI as whole processes, beside
// GNU make running the same graph from a Makefile with two jobs (`make -j2`; the project's
// concurrency is 2 to match): a full build (`materialize --force` against `make -B -j2`), and a
// no-op re-run with everything up to date (`materialize` against `make -j2` saying nothing to do).
// As in noop-rerun.ts, layer 0 reads a files source (landing/events.csv; for make, a prerequisite
// file): an asset with nothing upstream is never up to date, as it reads the outside world.
// Run alone: `node --import tsx bench/run.ts cli-layered` (after `npm run build`).
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inTempDir, pick, quantile, result, seeded, type BenchResult } from './harness.js'
import { BIN, REPO, timeRuns } from './startup.js'

const LAYERS = 10
const WIDTH = 100
const RUNS = 3

/** The graph of layered.ts: keys and the keys each asset reads (the same seed, so the same edges). */
function shape(): { key: string; ins: string[] }[] {
  const random = seeded(1000)
  const all: { key: string; ins: string[] }[] = []
  let previous: string[] = []
  for (let layer = 0; layer < LAYERS; layer++) {
    const current: string[] = []
    for (let i = 0; i < WIDTH; i++) {
      const ins = layer > 0 ? pick(random, 2 + Math.floor(random() * 2), WIDTH).map((index) => previous[index]!) : []
      const key = `layer${layer}/a${String(i).padStart(3, '0')}`
      all.push({ key, ins })
      current.push(key)
    }
    previous = current
  }
  return all
}

function config(graph: readonly { key: string; ins: string[] }[]): string {
  return `import { defineAsset, defineProject, defineSource, files, type AnyNode } from 'tributary-orchestrator'
const shape: { key: string; ins: string[] }[] = ${JSON.stringify(graph)}
const landing = defineSource({ key: 'landing/events', observe: files('landing/*.csv') })
const made = new Map<string, AnyNode>()
for (const { key, ins } of shape) {
  const inputs = ins.length === 0 ? { landing } : Object.fromEntries(ins.map((up, i) => [\`in_\${i}\`, made.get(up)!]))
  made.set(key, defineAsset({ key, io: 'none', ins: inputs, materialize: () => undefined }))
}
export default defineProject({ name: 'cli-layered', assets: [landing, ...made.values()], concurrency: 2 })
`
}

/** Each asset a file target under out/, made from the files it reads. */
function makefile(graph: readonly { key: string; ins: string[] }[]): string {
  const target = (key: string) => `out/${key}`
  const lines = [`all: ${graph.map((node) => target(node.key)).join(' ')}`, '']
  for (const node of graph) {
    const prerequisites = node.ins.length === 0 ? ' landing/events.csv' : node.ins.map((up) => ` ${target(up)}`).join('')
    lines.push(`${target(node.key)}:${prerequisites}\n\t@touch $@\n`)
  }
  return lines.join('\n')
}

export async function cliLayered(): Promise<BenchResult[]> {
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is not built: run `npm run build` (npm run bench does)')
  const graph = shape()
  return inTempDir('cli-layered', async (dir) => {
    await writeFile(join(dir, 'tributary.config.ts'), config(graph))
    await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
    await writeFile(join(dir, 'Makefile'), makefile(graph))
    for (let layer = 0; layer < LAYERS; layer++) await mkdir(join(dir, 'out', `layer${layer}`), { recursive: true })
    await mkdir(join(dir, 'landing'))
    await writeFile(join(dir, 'landing', 'events.csv'), 'id\n1\n')
    const project = ['--project', dir]
    // One full run of each first (the config compiles, the store is made), not counted.
    timeRuns(process.execPath, [BIN, 'materialize', '--force', ...project], 1, dir, 0)
    timeRuns('make', ['-s', '-B', '-j2'], 1, dir, 0)
    // Pairs, alternating, so drift in the machine's speed hits both sides alike.
    const full = { cli: [] as number[], make: [] as number[] }
    const noop = { cli: [] as number[], make: [] as number[] }
    for (let i = 0; i < RUNS; i++) {
      full.cli.push(...timeRuns(process.execPath, [BIN, 'materialize', '--force', ...project], 1, dir, 0))
      full.make.push(...timeRuns('make', ['-s', '-B', '-j2'], 1, dir, 0))
      noop.cli.push(...timeRuns(process.execPath, [BIN, 'materialize', ...project], 1, dir, 0))
      noop.make.push(...timeRuns('make', ['-s', '-j2'], 1, dir, 0))
    }
    const median = (values: number[]) => quantile(values, 0.5)
    return [
      result(`layered 1,000 via the CLI (materialize --force, concurrency 2): median of ${RUNS}`, median(full.cli), 's'),
      result(`layered 1,000 via GNU make -B -j2: median of ${RUNS}`, median(full.make), 's'),
      result('layered 1,000: CLI / make -j2', median(full.cli) / median(full.make), '×', { max: 1 }),
      result(`no-op re-run of layered 1,000 via the CLI (all up to date): median of ${RUNS}`, median(noop.cli), 's'),
      result(`no-op re-run of layered 1,000 via GNU make -j2 (nothing to do): median of ${RUNS}`, median(noop.make), 's'),
      result('no-op re-run of layered 1,000: CLI / make -j2', median(noop.cli) / median(noop.make), '×'),
    ]
  })
}
