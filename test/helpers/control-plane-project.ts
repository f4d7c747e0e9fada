// A project for the control-plane tests (real `serve`, real CLI processes), and a way to run the CLI
// in the background and wait on its output. Used by control-plane.test.ts and ui-control-plane.test.ts.
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after } from 'node:test'
import { cliProcess } from './cli.js'

const CONFIG = `import { defineProject } from 'tributary-orchestrator'
import * as assets from './assets.js'

export default defineProject({ name: 'control', assets: Object.values(assets) })
`

// raw/gated runs until the test writes the file ./gate: the test decides when it ends, without sleeping.
// raw/chatty logs in three bursts, each after its gate file appears (chatty-1, chatty-2).
const ASSETS = `import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { dailyPartitions, defineAsset } from 'tributary-orchestrator'

const gate = (ctx: { projectDir: string; signal: AbortSignal }, name: string) => new Promise((resolve, reject) => {
  const timer = setInterval(() => { if (existsSync(join(ctx.projectDir, name))) { clearInterval(timer); resolve(undefined) } }, 20)
  ctx.signal.addEventListener('abort', () => { clearInterval(timer); reject(ctx.signal.reason) }, { once: true })
})

export const first = defineAsset({ key: 'raw/first', tags: ['ok'], async materialize(_inputs, ctx) {
  ctx.log.info('hello from first')
  console.log('printed by first')
  return [{ id: 1, at: Date.now() }]
} })

export const gated = defineAsset({ key: 'raw/gated', tags: ['ok'], async materialize(_inputs, ctx) {
  ctx.log.info('waiting for the gate')
  await gate(ctx, 'gate')
  ctx.log.warn('through the gate')
  return [{ id: 2, at: Date.now() }]
} })

export const chatty = defineAsset({ key: 'raw/chatty', tags: ['chatty'], async materialize(_inputs, ctx) {
  ctx.log.info('chatty before the outage')
  await gate(ctx, 'chatty-1')
  for (let i = 1; i <= 5; i++) ctx.log.info('chatty during the outage ' + i)
  await gate(ctx, 'chatty-2')
  ctx.log.info('chatty after the outage')
  return [{ id: 3 }]
} })

export const broken = defineAsset({ key: 'raw/broken', tags: ['bad'], async materialize() {
  throw new Error('broken on purpose')
} })

export const daily = defineAsset({ key: 'raw/daily', tags: ['days'], partitions: dailyPartitions({ start: '2026-03-01' }), async materialize(_inputs, ctx) {
  return [{ day: ctx.partition }]
} })
`

/** Writes the control-plane project (config and assets) into `dir`. */
export async function writeControlProject(dir: string): Promise<void> {
  await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
  await writeFile(join(dir, 'assets.ts'), ASSETS)
}

// Every process a test file starts is killed when the file ends, even after a failed assertion.
const children = new Set<ChildProcess>()
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** A CLI process in the background, its output collected. */
export function background(args: readonly string[]) {
  const child = cliProcess(args, { env: { TRIBUTARY_TOKEN: '', TRIBUTARY_READ_TOKEN: '' } })
  children.add(child)
  const output = { stdout: '', stderr: '' }
  child.stdout!.on('data', (chunk) => (output.stdout += chunk))
  child.stderr!.on('data', (chunk) => (output.stderr += chunk))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  /** Resolves once the output matches `pattern`; fails if the process exits first, or after 90 s. */
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr') => new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in 90 s\n${output.stdout}\n${output.stderr}`)), 90_000)
    const look = () => {
      const match = pattern.exec(output[stream])
      if (match) {
        clearTimeout(timer)
        child[stream]!.off('data', look)
        resolve(match)
      }
    }
    child[stream]!.on('data', look)
    void exited.then(([code]) => reject(new Error(`exited ${code} before printing ${pattern}\n${output.stdout}\n${output.stderr}`)))
    look()
  })
  return { child, output, exited, waitFor }
}

/** Stops a background process with SIGINT and resolves with its exit code. */
export async function stop(child: ChildProcess, exited: Promise<[number | null, NodeJS.Signals | null]>) {
  child.kill('SIGINT')
  const [code] = await exited
  return code
}

/** The step lines of a non-terminal progress display, without durations and run ids, sorted. */
export function progressLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^[^\w\s]+ (running|succeeded|failed|waiting|skipped|blocked|canceled) /.test(line) || /^run \S+: \d+ steps?$/.test(line))
    .map((line) => line.replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, '<run>').replace(/\b\d+(\.\d)?(ms|s)\b/g, '<t>').trimEnd()).sort()
}

/** Process ids of the worker processes (children running worker-main) of `parent`, read from /proc. */
export function workerPids(parent: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      return ppid === parent && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('worker-main') ? [Number(name)] : []
    } catch {
      return [] // ended meanwhile
    }
  })
}

/** Whether a process runs; one that ended but was not reaped yet (a zombie) counts as ended. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : ''
  return !/^\d+ \(.*\) Z/.test(stat)
}
