// The daily-partitioned revenue demo: backfill 90 days, find one bad day, repair only that day.
// Run it with `npm run demo:partitions` (or `node --import tsx examples/revenue/partitioned/demo.ts`) from the repository root.
import { spawnSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { landDay, landPayments } from './landing.js'

// Colour only on a terminal (or with FORCE_COLOR), so `npm run demo | tee log` writes plain text.
const COLOR = process.env.FORCE_COLOR !== undefined ? !['0', 'false'].includes(process.env.FORCE_COLOR) : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
const ansi = (codes: string, text: string) => (COLOR ? `${codes}${text}\x1b[0m` : text)

const here = dirname(fileURLToPath(import.meta.url))
// The project directory: this folder, or a copy of it given as the first argument (the test uses one).
const project = resolve(process.argv[2] ?? here)
const cli = join(here, '..', '..', '..', 'bin', 'tributary.js')
const BAD_DAY = '2026-03-03'

function tributary(...args: string[]): { code: number; stdout: string } {
  console.log(`\n${ansi('\x1b[2m', `$ tributary ${args.join(' ')}`)}`)
  const json = args.includes('--json')
  const result = spawnSync(process.execPath, [cli, ...args, '--project', project], { stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8' })
  return { code: result.status ?? 1, stdout: result.stdout ?? '' }
}

function banner(text: string): void {
  console.log(`\n${ansi('\x1b[1m\x1b[34m', `━━ ${text} ${'━'.repeat(Math.max(0, 70 - text.length))}`)}`)
}

await rm(join(project, '.tributary'), { recursive: true, force: true })
await landPayments(project, { first: '2026-01-01', days: 90, broken: [BAD_DAY] })

banner('Backfill 90 days: 1 January to 31 March')
const backfill = tributary('backfill', 'raw/payments', '--from', '2026-01-01', '--to', '2026-03-31')
tributary('status', '--partitions')

banner(`The billing team re-sends ${BAD_DAY}; repair that day only`)
await landDay(project, BAD_DAY)
tributary('backfill', 'raw/payments', '--partition', BAD_DAY, '--only', 'all', '--dry-run')
const repair = tributary('backfill', 'raw/payments', '--partition', BAD_DAY, '--only', 'all', '--json')
const repaired = JSON.parse(repair.stdout) as { runId: string; status: string }
const detail = JSON.parse(tributary('run', repaired.runId, '--json').stdout) as { steps: { assetKey: string; partition: string | null; status: string }[] }
const rebuilt = detail.steps.map((s) => (s.partition ? `${s.assetKey} [${s.partition}]` : s.assetKey))
console.log(rebuilt.map((step) => `  rebuilt ${step}`).join('\n'))
tributary('status', '--partitions')

banner('What happened')
console.log(`- backfill exited ${backfill.code} (1: ${BAD_DAY} was blocked by its unique check; only its downstream was skipped)`)
console.log(`- the repair run ${repaired.runId} ${repaired.status}: ${rebuilt.length} steps, only ${BAD_DAY} and what reads it; no other day was touched`)
const expected = backfill.code === 1 && repair.code === 0 && rebuilt.length === 11
process.exitCode = expected ? 0 : 1
