// Benchmark: the automation daemon's tick over the 10,000-asset project (statuses, conditions,
// remediation, SLA forecast and alerting), and alert routing for 1,000 simultaneous failures.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createDeliverer, createSinks, evaluateAlerts } from '../src/alerts/index.js'
import type { AssetStatusRecord } from '../src/engine/status.js'
import { buildGraphOrThrow } from '../src/graph/build-graph.js'
import { createDaemon } from '../src/instance/daemon.js'
import { defineAsset, defineProject, eager, ManualClock, Tributary, type AnyNode, type ProjectDefinition } from '../src/index.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { buildProject, fillStore } from './large-project.js'
import { inTempDir, quantile, result, resultBelow, seeded, timed, type BenchResult } from './harness.js'

const EAGER_SHARE = 0.3
const FRESHNESS_SHARE = 0.1
const TICKS = 5
const FAILURES = 1000

/** The 10k project with a share of assets eager and a share under a freshness policy. */
function automatedProject(): { project: ProjectDefinition; eager: number; policies: number } {
  const base = buildProject()
  const random = seeded(4)
  let eagerCount = 0
  let policies = 0
  const assets = base.assets.map((asset) => {
    if (asset.type === 'source') return asset
    const extra: Record<string, unknown> = {}
    if (random() < EAGER_SHARE) {
      extra.automation = eager()
      eagerCount++
    }
    if (random() < FRESHNESS_SHARE) {
      extra.freshness = { maxAge: '26h' }
      policies++
    }
    return Object.keys(extra).length === 0 ? asset : (Object.freeze({ ...asset, ...extra }) as AnyNode)
  })
  return { project: defineProject({ ...base, assets }), eager: eagerCount, policies }
}

async function automationTick(): Promise<BenchResult[]> {
  const { project, eager: eagerCount, policies } = automatedProject()
  return inTempDir('automation', async (projectDir) => {
    const clock = new ManualClock(new Date())
    const instance = await Tributary.open({ projectDir, project, clock })
    try {
      await fillStore(instance)
      const daemon = await createDaemon(() => instance, { clock, holder: 'bench' })
      const first = await timed(() => daemon.runOnce())
      if (first.value.statuses.size !== project.assets.length) throw new Error(`tick saw ${first.value.statuses.size} statuses`)
      if (first.value.fired.length > 0) throw new Error(`a settled project should start nothing, started ${first.value.fired.length}`)
      const times: number[] = []
      for (let i = 0; i < TICKS; i++) {
        clock.advance(30_000)
        times.push((await timed(() => daemon.runOnce())).ms)
      }
      return [
        result(`automation: first tick, 10k assets (${eagerCount} eager, ${policies} with freshness SLAs)`, first.ms, 'ms'),
        resultBelow(`automation: one tick over 10k assets, median of ${TICKS}`, quantile(times, 0.5), 'ms', 200),
      ]
    } finally {
      await instance.close()
    }
  })
}

/** 1,000 assets failing at once, each with a mart and a dashboard below it (3,000 nodes not ready). */
async function alertRouting(): Promise<BenchResult[]> {
  const noop = () => []
  const nodes: AnyNode[] = []
  for (let i = 0; i < FAILURES; i++) {
    const root = defineAsset({ key: `raw/f${i}`, owner: `team:${i % 50}`, materialize: noop })
    const mart = defineAsset({ key: `marts/f${i}`, owner: 'team:analytics', ins: { root }, materialize: noop })
    nodes.push(root, mart, defineAsset({ key: `dashboards/f${i}`, kind: 'dashboard', owner: 'team:bi', io: 'none', ins: { mart }, materialize: noop }))
  }
  const graph = buildGraphOrThrow(defineProject({ name: 'failures', assets: nodes }))
  const now = new Date()
  const statuses = new Map<string, AssetStatusRecord>()
  for (let i = 0; i < FAILURES; i++) {
    const root = { key: `raw/f${i}`, status: 'failed' as const, owner: `team:${i % 50}`, message: 'boom' }
    statuses.set(root.key, { key: root.key, status: 'failed', ready: false, reasons: [{ type: 'failed', message: 'boom' }], chain: [root], rootCause: root, owner: root.owner, lastUpdated: now, lastRunId: 'run-1' })
    for (const [key, upstream, owner] of [[`marts/f${i}`, root.key, 'team:analytics'], [`dashboards/f${i}`, `marts/f${i}`, 'team:bi']] as const) {
      const link = { key, status: 'stale' as const, owner, message: `upstream ${upstream} is not ready` }
      statuses.set(key, { key, status: 'stale', ready: false, reasons: [{ type: 'upstream_not_ready', message: link.message, upstream }], chain: [link, root], rootCause: root, owner, lastUpdated: now, lastRunId: 'run-1' })
    }
  }
  return inTempDir('alerts', async (dir) => {
    await mkdir(dir, { recursive: true })
    const store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
    try {
      await store.migrate()
      let lines = 0
      const config = { sinks: [{ type: 'log' as const, name: 'log' }] }
      const deliver = createDeliverer({ store, sinks: createSinks(config.sinks, { logWriter: () => void lines++ }) })
      const input = { graph, statuses, sla: new Map(), drift: new Map(), store, config, deliver }
      const first = await timed(() => evaluateAlerts({ ...input, now }))
      if (first.value.opened.length !== FAILURES || lines !== FAILURES) throw new Error(`opened ${first.value.opened.length}, delivered ${lines}`)
      const second = await timed(() => evaluateAlerts({ ...input, now: new Date(now.getTime() + 60_000) }))
      if (second.value.updated.length !== FAILURES) throw new Error(`updated ${second.value.updated.length}`)
      return [
        result('alerts: 1,000 simultaneous failures routed (1,000 incidents opened + delivered to the log)', first.ms, 'ms'),
        result('alerts: the same 1,000 failures on the next tick (1,000 updated)', second.ms, 'ms'),
      ]
    } finally {
      await store.close()
    }
  })
}

export async function automationBenchmarks(): Promise<BenchResult[]> {
  return [...(await automationTick()), ...(await alertRouting())]
}
