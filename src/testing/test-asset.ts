import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { quoteRelation } from '../graph/asset-graph.js'
import { Tributary } from '../instance/tributary.js'
import { defineAsset, type AnyNode } from '../model/asset.js'
import type { Clock } from '../engine/clock.js'
import type { Row } from '../model/context.js'
import { ErrorCode, TributaryError, type SerializedError } from '../model/errors.js'
import { defineProject } from '../model/project.js'
import type { StepStatus } from '../store/records.js'

/** An input of the asset under test: its rows, or (for a file source) the files it finds, by path in the project. */
export type Fixture = readonly Row[] | { readonly files: Readonly<Record<string, string>> }

/** Options of {@link testAsset}. */
export interface TestAssetOptions {
  /** One fixture per upstream key the asset reads (`ins` and tables in its SQL). Default: none. */
  readonly inputs?: Readonly<Record<string, Fixture>>
  /** The clock the run sees. Default: the system clock. */
  readonly clock?: Clock
  /** Keep the temporary project directory (its path is in the result) instead of removing it. Default: false. */
  readonly keep?: boolean
}

/** One check's outcome on the asset's output. */
export interface CheckOutcomeSummary {
  readonly name: string
  readonly severity: 'warn' | 'error'
  readonly blocking: boolean
  readonly passed: boolean
  readonly failingRows: number | null
  readonly message: string | null
}

/** What one materialization of the asset produced. */
export interface AssetTestResult {
  /** The step's outcome: `succeeded`, or `failed`/`blocked` when its code threw or a blocking check failed. */
  readonly status: StepStatus
  /** The published rows (empty when nothing was published or the asset writes no table). */
  readonly rows: readonly Row[]
  readonly checks: readonly CheckOutcomeSummary[]
  /** What the asset's code logged (ctx.log, console) in order. */
  readonly logs: readonly { readonly level: string; readonly message: string }[]
  readonly error: SerializedError | null
  /** The temporary project directory (removed afterwards unless `keep`). */
  readonly dir: string
}

/**
 * Materializes one asset against fixture inputs in a temporary embedded project (SQLite + DuckDB),
 * runs its checks, and returns its rows, check outcomes and logs. No server, no config file:
 * usable from node:test, vitest or jest.
 */
export async function testAsset(asset: AnyNode, options: TestAssetOptions = {}): Promise<AssetTestResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-test-'))
  let instance: Tributary | undefined
  try {
    const fixtures = await Promise.all(Object.entries(options.inputs ?? {}).map(([key, fixture]) => fixtureNode(asset, key, fixture, dir)))
    // Pools the asset names exist here with one slot each; one asset runs at a time anyway.
    const pools = Object.fromEntries([asset, ...fixtures].flatMap((node) => ((node as { pool?: string }).pool ? [[(node as { pool: string }).pool, 1]] : [])))
    const project = defineProject({ name: 'test', assets: [...fixtures, asset], pools })
    instance = await Tributary.open({ projectDir: dir, project, ...(options.clock ? { clock: options.clock } : {}) })
    const run = await instance.materialize()
    const detail = await instance.run(run.runId)
    const step = detail.steps.find((s) => s.assetKey === asset.key)
    const checks = (await instance.store.listCheckResults(asset.key)).filter((c) => c.runId === run.runId)
    const relation = instance.graph.get(asset.key)?.relation
    let rows: Row[] = []
    if (step?.status === 'succeeded' && relation) {
      const session = await (await instance.warehouse()).session()
      try {
        if (await session.relationExists(relation)) rows = await session.query(`select * from ${quoteRelation(relation)}`)
      } finally {
        await session.close()
      }
    }
    return {
      status: step?.status ?? 'skipped',
      rows,
      checks: checks.map((c) => ({ name: c.checkName, severity: c.severity, blocking: c.blocking, passed: c.passed, failingRows: c.failingRows, message: c.message })),
      logs: detail.logs.filter((l) => l.assetKey === asset.key).map((l) => ({ level: l.level, message: l.message })),
      error: step?.error ?? null,
      dir,
    }
  } finally {
    await instance?.close()
    if (!options.keep) await rm(dir, { recursive: true, force: true })
  }
}

/** The node standing in for upstream `key`: an asset that publishes the rows, or the real source over written files. */
async function fixtureNode(asset: AnyNode, key: string, fixture: Fixture, dir: string): Promise<AnyNode> {
  if (Array.isArray(fixture)) return defineAsset({ key, async materialize() { return [...(fixture as readonly Row[])] } })
  const source = Object.values((asset as { ins?: Record<string, AnyNode> }).ins ?? {}).find((node) => node.key === key)
  if (!source) {
    throw new TributaryError(ErrorCode.FixtureInvalid, `testAsset: ${asset.key} has no input ${key} to give files to`, {
      context: { assetKey: asset.key },
      hint: 'Files go to a source the asset reads through `ins`; give a table input its rows as an array instead.',
    })
  }
  for (const [path, content] of Object.entries((fixture as { files: Record<string, string> }).files)) {
    const file = resolve(dir, path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  return source
}
