// What makes `tributary materialize` start fast, each part real: the compiled config imports the
// light `definitions` entry when it can (same modules as the package root), a worker started before
// the project is loaded is adopted by the pool, a run warms as many workers as steps can run at
// once, and a run of io:'none' assets never opens the warehouse unless its code asks.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as root from '../src/index.js'
import * as definitions from '../src/definitions.js'
import { compiledConfig } from '../src/instance/config-bundle.js'
import { loadProject } from '../src/instance/load-project.js'
import { createExecutor } from '../src/execution/create-executor.js'
import { discardPrestartedWorker, prestartWorker } from '../src/execution/prestart.js'
import type { ProcessPoolExecutor } from '../src/execution/process-pool-executor.js'
import { codeStepsAtOnce } from '../src/execution/warm-count.js'
import { buildGraph } from '../src/graph/build-graph.js'
import { planRun } from '../src/engine/plan.js'
import { defineAsset, sqlAsset, type AnyNode } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const CHAIN = (imports: string, extra = '') => `import { ${imports} } from 'tributary-orchestrator'
${extra}
const first = defineAsset({ key: 'chain/a', io: 'none', materialize: () => undefined })
const second = defineAsset({ key: 'chain/b', io: 'none', ins: { first }, materialize: () => undefined })
export default defineProject({ name: 'chain', assets: [first, second] })
`

/** The package specifier the compiled config imports. */
function importedEntry(compiledUrl: string): string {
  const code = readFileSync(new URL(compiledUrl), 'utf8')
  const specifiers = [...code.matchAll(/from\s*"([^"]+)"/g)].map((m) => m[1]!)
  assert.equal(specifiers.length, 1, code.slice(0, 400))
  return specifiers[0]!
}

describe('the light definitions entry', () => {
  let project: Awaited<ReturnType<typeof tempDir>>
  before(async () => {
    project = await tempDir('light-')
  })
  after(async () => {
    await project?.cleanup()
  })

  test('exports the very same functions and classes as the package root', () => {
    const names = Object.keys(definitions)
    assert.ok(names.includes('defineAsset') && names.includes('defineProject') && names.includes('TributaryError'))
    for (const name of names) assert.equal((definitions as Record<string, unknown>)[name], (root as Record<string, unknown>)[name], name)
    // The engine stays behind the root.
    for (const heavy of ['Tributary', 'AutomationDaemon', 'buildGraph']) assert.ok(!names.includes(heavy), heavy)
  })

  test('a config importing only definitions imports the light entry; Tributary or a namespace import keep the root', async () => {
    const config = join(project.dir, 'tributary.config.ts')
    await writeFile(config, CHAIN('defineAsset, defineProject'))
    assert.match(importedEntry(await compiledConfig(config)), /(\/definitions\.(ts|js)|^tributary-orchestrator\/definitions)$/)
    // Loaded, it defines the same things as through the root.
    const { project: loaded } = await loadProject(project.dir)
    assert.deepEqual(loaded.assets.map((a) => a.key), ['chain/a', 'chain/b'])

    await writeFile(config, CHAIN('defineAsset, defineProject, Tributary', 'void Tributary'))
    assert.match(importedEntry(await compiledConfig(config)), /(\/index\.(ts|js)|^tributary-orchestrator)$/)

    await writeFile(config, CHAIN('defineAsset, defineProject', "import * as all from 'tributary-orchestrator'\nvoid all"))
    const code = readFileSync(new URL(await compiledConfig(config)), 'utf8')
    assert.doesNotMatch(code, /definitions(\.(ts|js))?"/)
  })
})

describe('workers at start-up', () => {
  test('a prestarted worker is adopted by the pool made for its project, and is the one that runs the first step', async () => {
    const project = await tempDir('prestart-')
    try {
      await writeFile(join(project.dir, 'tributary.config.ts'), CHAIN('defineAsset, defineProject'))
      prestartWorker(project.dir)
      const pool = createExecutor('pool', project.dir, { maxHeapMb: undefined, graceMs: 500 }, 4) as ProcessPoolExecutor
      try {
        const [early] = pool.pids()
        assert.ok(early, 'the pool holds the prestarted worker')
        pool.warm(1)
        assert.deepEqual(pool.pids(), [early], 'warming one finds the adopted worker, and starts none')
      } finally {
        await pool.close()
      }
      // Adopted once: the next pool starts its own.
      const next = createExecutor('pool', project.dir, { maxHeapMb: undefined, graceMs: 500 }, 4) as ProcessPoolExecutor
      assert.deepEqual(next.pids(), [])
      await next.close()
    } finally {
      await discardPrestartedWorker()
      await project.cleanup()
    }
  })

  test('a pool with a heap limit does not adopt a worker started without it', async () => {
    const project = await tempDir('prestart-heap-')
    try {
      await writeFile(join(project.dir, 'tributary.config.ts'), CHAIN('defineAsset, defineProject'))
      prestartWorker(project.dir)
      const pool = createExecutor('pool', project.dir, { maxHeapMb: 256, graceMs: 500 }, 4) as ProcessPoolExecutor
      assert.deepEqual(pool.pids(), [])
      await pool.close()
    } finally {
      await discardPrestartedWorker()
      await project.cleanup()
    }
  })

  test('a run warms as many workers as its TypeScript steps can run at once: one for a chain, the widest layer otherwise', () => {
    const a = defineAsset({ key: 'x/a', io: 'none', materialize: () => undefined })
    const b = defineAsset({ key: 'x/b', io: 'none', ins: { a }, materialize: () => undefined })
    const c = defineAsset({ key: 'x/c', io: 'none', ins: { b }, materialize: () => undefined })
    const wide: AnyNode[] = [1, 2, 3].map((i) => defineAsset({ key: `x/w${i}`, io: 'none', ins: { a }, materialize: () => undefined }))
    const sql = [1, 2, 3, 4].map((i) => sqlAsset({ key: `x/s${i}`, sql: 'select 1 as one' }))
    const count = (assets: AnyNode[]) => {
      const { graph } = buildGraph(defineProject({ name: 'w', assets }))
      return codeStepsAtOnce(planRun(graph!, graph!.order).steps, graph!)
    }
    assert.equal(count([a, b, c]), 1)
    assert.equal(count([a, b, c, ...wide]), 4)
    assert.equal(count([a, ...sql]), 1, 'SQL steps run in the warehouse, not in workers')
  })
})

describe('the warehouse of a run', () => {
  test('a run of io:none assets opens no warehouse; one whose code calls ctx.warehouse opens it then; a table asset opens it', async () => {
    const first = defineAsset({ key: 'n/first', io: 'none', materialize: () => undefined })
    const p = await openProject({ assets: [first] })
    try {
      const result = await p.instance.materialize()
      assert.equal(result.status, 'succeeded')
      assert.equal(existsSync(join(p.dir, '.tributary', 'warehouse.duckdb')), false)
    } finally {
      await p.close()
    }

    const asks = defineAsset({ key: 'n/asks', io: 'none', async materialize(_inputs, ctx) {
      const rows = await ctx.warehouse.query('select 41 + 1 as answer')
      ctx.log.info(`answer ${String(rows[0]!.answer)}`)
    } })
    const q = await openProject({ assets: [asks] })
    try {
      const result = await q.instance.materialize()
      assert.equal(result.status, 'succeeded')
      const logs = (await q.instance.run(result.runId)).logs.map((l) => l.message)
      assert.ok(logs.includes('answer 42'), logs.join('\n'))
    } finally {
      await q.close()
    }

    const table = defineAsset({ key: 'n/table', materialize: () => [{ id: 1 }] })
    const r = await openProject({ assets: [table] })
    try {
      assert.equal(r.instance.needsWarehouse(r.instance.plan()), true)
      assert.equal((await r.instance.materialize()).status, 'succeeded')
      assert.equal(existsSync(join(r.dir, '.tributary', 'warehouse.duckdb')), true)
    } finally {
      await r.close()
    }
  })
})
