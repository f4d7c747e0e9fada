// A worker fleet for tests: a project on PostgreSQL (store and warehouse, `executor: queue()`),
// written to disk so `tributary worker` processes can load it, and those processes.
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { after } from 'node:test'
import { cliProcess } from './cli.js'

/** Writes `tributary.config.ts`: `assets` is TypeScript that declares `assets: AnyNode[]`; the URL comes from TRIBUTARY_DATABASE_URL. */
export async function writeFleetProject(dir: string, assets: string, options: { lease?: string; heartbeat?: string; giveUp?: string; concurrency?: number; pools?: Readonly<Record<string, number>> } = {}): Promise<void> {
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  await writeFile(join(dir, 'tributary.config.ts'), `import { defineAsset, defineProject, postgres, queue, type AnyNode } from 'tributary-orchestrator'
${assets}
const url = process.env.TRIBUTARY_DATABASE_URL
export default defineProject({
  name: 'fleet', assets, concurrency: ${options.concurrency ?? 16},${options.pools ? ` pools: ${JSON.stringify(options.pools)},` : ''}
  store: postgres({ url, poolSize: 6 }), warehouse: postgres({ url, poolSize: 6 }),
  executor: queue({ lease: '${options.lease ?? '1500ms'}', heartbeat: '${options.heartbeat ?? '250ms'}'${options.giveUp ? `, giveUp: '${options.giveUp}'` : ''} }),
})
`)
}

const children = new Set<ChildProcess>()
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** One `tributary worker` process; resolves once it takes jobs. */
export async function startWorker(dir: string, url: string, args: readonly string[] = []) {
  const child = cliProcess(['worker', '--project', dir, ...args], { env: { TRIBUTARY_DATABASE_URL: url } })
  children.add(child)
  const output = { stderr: '' }
  child.stdout!.resume()
  child.stderr!.on('data', (chunk) => (output.stderr += chunk))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const id = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /worker (\S+) started/.exec(output.stderr)
      if (match) resolve(match[1]!)
    }
    child.stderr!.on('data', look)
    void exited.then(([code, signal]) => reject(new Error(`worker exited ${code ?? signal} before starting\n${output.stderr}`)))
  })
  return { child, id, output, exited }
}

/** The assets of the layered graph (bench/layered.ts): `layers` of `width` no-op assets, each reading 2–3 of the layer before. */
export function layeredSource(layers: number, width: number, materialize = '() => undefined'): string {
  return `let state = 1000
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const assets: AnyNode[] = []
let previous: AnyNode[] = []
for (let layer = 0; layer < ${layers}; layer++) {
  const current: AnyNode[] = []
  for (let i = 0; i < ${width}; i++) {
    const ins: Record<string, AnyNode> = {}
    if (layer > 0) {
      const chosen = new Set<number>()
      const count = 2 + Math.floor(random() * 2)
      while (chosen.size < Math.min(count, ${width})) chosen.add(Math.floor(random() * ${width}))
      for (const index of chosen) ins[\`in_\${index}\`] = previous[index]!
    }
    current.push(defineAsset({ key: \`layer\${layer}/a\${String(i).padStart(3, '0')}\`, io: 'none', ins, materialize: ${materialize} }))
  }
  assets.push(...current)
  previous = current
}`
}
