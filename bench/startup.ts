// Start-up as a user meets it: the built CLI (bin/tributary.js → dist/) spawned as a whole process,
// N times, min and median. Then the 40 × 10 ms chain through `tributary materialize --force`
// beside GNU make running the same chain from a Makefile (`make -B`), and their ratio; the chain
// also runs with asset code in the CLI's own process (TRIBUTARY_EXECUTOR=in-process) for comparison.
// `npm run bench` builds dist/ first; run alone with `node --import tsx bench/run.ts start-up`
// (or `chain`, which is in its name too).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { inTempDir, quantile, result, type BenchResult } from './harness.js'

export const REPO = join(import.meta.dirname, '..')
export const BIN = join(REPO, 'bin', 'tributary.js')
const DEMO = join(REPO, 'examples', 'revenue')
const RUNS = 7
const LENGTH = 40
const WORK_MS = 10
// The built CLI, as installed: not the repository's test-time `--conditions=tributary-source`.
const { NODE_OPTIONS: _conditions, ...ENV } = process.env

/** Wall-clock seconds of each of `runs` runs of a command (after `warmup` uncounted ones), failing loudly on a non-zero exit. */
export function timeRuns(command: string, args: readonly string[], runs: number, cwd = REPO, warmup = 1, env: NodeJS.ProcessEnv = {}): number[] {
  const seconds: number[] = []
  for (let i = 1 - warmup; i <= runs; i++) {
    const started = performance.now()
    const run = spawnSync(command, args, { cwd, env: { ...ENV, NO_COLOR: '1', ...env }, encoding: 'utf8' })
    const elapsed = (performance.now() - started) / 1000
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`)
    if (i > 0) seconds.push(elapsed)
  }
  return seconds
}

const CHAIN_CONFIG = `import { defineAsset, defineProject, type AnyNode } from 'tributary-orchestrator'

const assets: AnyNode[] = []
let previous: AnyNode | undefined
for (let i = 0; i < ${LENGTH}; i++) {
  const asset: AnyNode = defineAsset({
    key: \`chain/step_\${String(i).padStart(2, '0')}\`,
    io: 'none',
    ins: previous ? { previous } : {},
    async materialize() {
      await new Promise((resolve) => setTimeout(resolve, ${WORK_MS}))
    },
  })
  assets.push(asset)
  previous = asset
}

export default defineProject({ name: 'chain', assets })
`

/** The same chain for make: each target waits ${WORK_MS} ms, then marks itself done. */
function makefile(): string {
  const lines: string[] = []
  for (let i = 0; i < LENGTH; i++) {
    const name = `step_${String(i).padStart(2, '0')}`
    const dep = i > 0 ? ` step_${String(i - 1).padStart(2, '0')}` : ''
    lines.push(`${name}:${dep}\n\t@sleep ${WORK_MS / 1000} && touch $@\n`)
  }
  return lines.join('\n')
}

export async function startupBenchmarks(): Promise<BenchResult[]> {
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is not built: run `npm run build` (npm run bench does)')
  const version = timeRuns(process.execPath, [BIN, '--version'], RUNS)
  const help = timeRuns(process.execPath, [BIN, '--help'], RUNS)
  const status = timeRuns(process.execPath, [BIN, 'status', '--project', DEMO], RUNS)
  const results = [
    result('tributary --version: median of 7 processes', quantile(version, 0.5), 's', { max: 0.25 }),
    result('tributary --version: fastest of 7', Math.min(...version), 's'),
    result('tributary --help: median of 7', quantile(help, 0.5), 's'),
    result('tributary status (revenue demo): median of 7', quantile(status, 0.5), 's', { max: 0.5 }),
    result('tributary status (revenue demo): fastest of 7', Math.min(...status), 's'),
  ]
  const chain = await inTempDir('cli-chain', async (dir) => {
    await writeFile(join(dir, 'tributary.config.ts'), CHAIN_CONFIG)
    await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
    await writeFile(join(dir, 'Makefile'), makefile())
    // Pairs, alternating, so drift in the machine's speed hits both sides alike.
    const cli: number[] = []
    const inProcess: number[] = []
    const make: number[] = []
    const materialize = [BIN, 'materialize', '--force', '--project', dir]
    timeRuns(process.execPath, materialize, 1, dir)
    for (let i = 0; i < 5; i++) {
      cli.push(...timeRuns(process.execPath, materialize, 1, dir, 0))
      inProcess.push(...timeRuns(process.execPath, materialize, 1, dir, 0, { TRIBUTARY_EXECUTOR: 'in-process' }))
      make.push(...timeRuns('make', ['-s', '-B', `step_${LENGTH - 1}`], 1, dir, 0))
    }
    return { cli: quantile(cli, 0.5), inProcess: quantile(inProcess, 0.5), make: quantile(make, 0.5) }
  })
  results.push(
    result('chain 40×10ms via the CLI (materialize --force): median of 5', chain.cli, 's'),
    result('chain 40×10ms via GNU make -B: median of 5', chain.make, 's'),
    result('chain 40×10ms: CLI / make', chain.cli / chain.make, '×', { max: 1.25 }),
    result('chain 40×10ms via the CLI, TRIBUTARY_EXECUTOR=in-process: median of 5', chain.inProcess, 's'),
    result('chain 40×10ms: CLI in-process / make', chain.inProcess / chain.make, '×'),
  )
  return results
}
