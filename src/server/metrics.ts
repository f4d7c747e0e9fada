import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { AssetStatus, AssetStatusRecord } from '../engine/status.js'
import type { Tributary } from '../instance/tributary.js'
import { VERSION } from '../version.js'

// Every status an asset can have, so a count of 0 is a series too (an alert on `failed > 0` needs one).
const STATUSES: readonly AssetStatus[] = ['fresh', 'stale', 'late', 'failed', 'blocked', 'missing', 'running']

/** The metrics of `GET /metrics`: the project's state, read from the store at each scrape, and this process's own. */
export interface Metrics {
  readonly contentType: string
  /** The Prometheus text exposition of every metric, read now. */
  render(): Promise<string>
}

/**
 * Prometheus metrics of a project, read at each scrape (nothing is kept between scrapes, so every
 * `serve` replica answers the same): each asset's readiness, status and last update, the counts by
 * status, the runs in progress and the fleet's workers; and this process's CPU, memory and event
 * loop (prom-client's default metrics). `instance`: the current one (`dev` swaps in reloads).
 */
export function createMetrics(instance: () => Tributary): Metrics {
  const registry = new Registry()
  // Started with the first scrape, not with every app (a test builds many): they watch the garbage collector from then on.
  let processMetrics = false
  const ownerOf = (owner: string | null) => owner ?? ''

  new Gauge({
    name: 'tributary_info', help: "The project and Tributary's version; always 1.", labelNames: ['project', 'version'], registers: [registry],
    collect() {
      this.reset()
      this.set({ project: instance().project.name, version: VERSION }, 1)
    },
  })
  // One read of every asset's status per scrape, shared by the gauges that show it. A store that
  // cannot be read (out of reach) leaves those gauges out and says so in tributary_store_up, rather
  // than fail the whole scrape (this process's own metrics are still worth having).
  let statuses: Promise<AssetStatusRecord[] | undefined> | undefined
  const readStatuses = () => (statuses ??= instance().status().catch(() => undefined))
  new Gauge({
    name: 'tributary_store_up', help: 'Whether this scrape could read the project\'s state from the store (1), or not (0: the asset metrics are left out).', registers: [registry],
    async collect() {
      this.set((await readStatuses()) ? 1 : 0)
    },
  })
  new Gauge({
    name: 'tributary_asset_ready', help: 'Whether the asset\'s data is present, checked and current (1), as `tributary ready` says; 0 otherwise.',
    labelNames: ['asset', 'owner'], registers: [registry],
    async collect() {
      this.reset()
      for (const status of (await readStatuses()) ?? []) this.set({ asset: status.key, owner: ownerOf(status.owner) }, status.ready ? 1 : 0)
    },
  })
  new Gauge({
    name: 'tributary_asset_status', help: 'The asset\'s status: 1 for the status it has (fresh, stale, late, failed, blocked, missing or running).',
    labelNames: ['asset', 'owner', 'status'], registers: [registry],
    async collect() {
      this.reset()
      for (const status of (await readStatuses()) ?? []) this.set({ asset: status.key, owner: ownerOf(status.owner), status: status.status }, 1)
    },
  })
  new Gauge({
    name: 'tributary_asset_last_updated_timestamp_seconds', help: 'When the asset\'s data last changed (a materialization, or an observed update of a source), in Unix seconds.',
    labelNames: ['asset'], registers: [registry],
    async collect() {
      this.reset()
      for (const status of (await readStatuses()) ?? []) if (status.lastUpdated) this.set({ asset: status.key }, status.lastUpdated.getTime() / 1000)
    },
  })
  new Gauge({
    name: 'tributary_assets', help: 'How many assets and sources have each status.', labelNames: ['status'], registers: [registry],
    async collect() {
      this.reset()
      const counts = new Map<string, number>(STATUSES.map((status) => [status, 0]))
      for (const status of (await readStatuses()) ?? []) counts.set(status.status, (counts.get(status.status) ?? 0) + 1)
      for (const [status, count] of counts) this.set({ status }, count)
    },
  })
  new Gauge({
    name: 'tributary_runs_active', help: 'Runs in progress (running, or asked to pause or cancel and not ended yet).', registers: [registry],
    async collect() {
      this.reset()
      const active = await instance().store.listActiveRuns().catch(() => undefined)
      if (active) this.set(active.length)
    },
  })
  new Gauge({
    name: 'tributary_workers', help: 'The fleet\'s `tributary worker` processes by state, as they last reported (executor: queue() only).',
    labelNames: ['state'], registers: [registry],
    async collect() {
      this.reset()
      const current = instance()
      const counts = new Map<string, number>(current.project.executor?.type === 'queue' ? [['running', 0], ['stopped', 0], ['lost', 0]] : [])
      for (const worker of await current.workers().catch(() => [])) counts.set(worker.state, (counts.get(worker.state) ?? 0) + 1)
      for (const [state, count] of counts) this.set({ state }, count)
    },
  })

  return {
    contentType: registry.contentType,
    async render() {
      if (!processMetrics) {
        processMetrics = true
        collectDefaultMetrics({ register: registry })
      }
      try {
        return await registry.metrics()
      } finally {
        statuses = undefined
      }
    },
  }
}
