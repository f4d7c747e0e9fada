// The revenue demo: a good night, then a night where the CRM export is late.
// Run it with `npm run demo` from the repository root.
import { spawnSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resetLanding, simulateNight } from './simulator.js'

// Colour only on a terminal (or with FORCE_COLOR), so `npm run demo | tee log` writes plain text.
const COLOR = process.env.FORCE_COLOR !== undefined ? !['0', 'false'].includes(process.env.FORCE_COLOR) : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
const ansi = (codes: string, text: string) => (COLOR ? `${codes}${text}\x1b[0m` : text)

const project = dirname(fileURLToPath(import.meta.url))
const cli = join(project, '..', '..', 'bin', 'tributary.js')

function tributary(...args: string[]): number {
  console.log(`\n${ansi('\x1b[2m', `$ tributary ${args.join(' ')}`)}`)
  const result = spawnSync(process.execPath, [cli, ...args, '--project', project], { stdio: 'inherit' })
  return result.status ?? 1
}

function banner(text: string): void {
  console.log(`\n${ansi('\x1b[1m\x1b[34m', `━━ ${text} ${'━'.repeat(Math.max(0, 70 - text.length))}`)}`)
}

await rm(join(project, '.tributary'), { recursive: true, force: true })
await resetLanding(project)

banner('Night 1: every export lands on time')
await simulateNight(project, { night: 1 })
tributary('validate')
const first = tributary('materialize')
tributary('ready', 'dashboards/revenue')

banner('Night 2: payments land, the CRM export is late')
await simulateNight(project, { night: 2, crm: 'late' })
const second = tributary('materialize')
tributary('status')
const ready = tributary('ready', 'dashboards/revenue')
const revenue = tributary('ready', 'marts/revenue')

banner('What happened')
console.log(`- night 1: materialize exited ${first} (0 = every asset built and checked)`)
console.log(`- night 2: materialize exited ${second} (1 = some assets were not built): nothing downstream of the CRM export was built from yesterday's data`)
console.log(`- marts/revenue ready: ${revenue === 0 ? 'yes — it reads only payments, so it still updated' : 'no'}`)
console.log(`- dashboards/revenue ready: ${ready === 0 ? 'yes' : 'no — the reason and the owner (team:crm) are shown above'}`)
console.log('\nExplore: npx tributary status --project examples/revenue · npx tributary runs --project examples/revenue')
const expected = first === 0 && second === 1 && revenue === 0 && ready === 1
process.exitCode = expected ? 0 : 1
