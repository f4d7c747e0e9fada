import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rowCount, unique } from '../../src/checks/builtins.js'
import { defineAsset, sqlAsset } from '../../src/model/asset.js'
import { defineSource, files } from '../../src/model/source.js'
import type { ApiEvent } from '../../src/server/api-types.js'
import type { AuthConfig } from '../../src/server/auth.js'
import { startServer, type RunningServer } from '../../src/server/server.js'
import type { Tributary } from '../../src/instance/tributary.js'
import type { Clock } from '../../src/engine/clock.js'
import { openProject } from './temp-project.js'

/** A real server on loopback, port 0, over `instance`, with tokens only when given. */
export async function serveInstance(instance: Tributary | (() => Tributary), options: { auth?: AuthConfig; uiDir?: string; heartbeatMs?: number; eventPollMs?: number; log?: (line: string) => void } = {}) {
  const server = await startServer({
    instance: typeof instance === 'function' ? instance : () => instance,
    port: 0, auth: options.auth ?? {}, uiDir: options.uiDir ?? '/nonexistent-ui-dir',
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.eventPollMs ? { eventPollMs: options.eventPollMs } : {}),
    log: options.log ?? (() => undefined),
  })
  return { server, api: client(server) }
}

/** JSON helpers bound to a server's URL. */
export function client(server: RunningServer) {
  const call = async (method: string, path: string, options: { body?: unknown; raw?: string; token?: string } = {}) => {
    const headers: Record<string, string> = {}
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${server.url}${path}`, { method, headers, ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) })
    const text = await response.text()
    let body: any
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body, text, headers: response.headers }
  }
  return {
    get: (path: string, options: { token?: string } = {}) => call('GET', path, options),
    post: (path: string, options: { body?: unknown; raw?: string; token?: string } = {}) => call('POST', path, options),
    call,
  }
}

/** One event of an SSE stream, parsed; comments are kept as `comment`. */
export type SseItem = { readonly event: string; readonly data: any; readonly id?: string } | { readonly comment: string }

/** Opens /api/events and parses `event:`/`data:` lines; resolves once the stream says it is connected. */
export async function openEvents(url: string, query = '', headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const response = await fetch(`${url}/api/events${query}`, { signal: controller.signal, headers })
  const items: SseItem[] = []
  const waiters: (() => void)[] = []
  let ended = false
  const done = (async () => {
    if (!response.body) return
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          items.push(parseBlock(block))
          for (const wake of waiters.splice(0)) wake()
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      ended = true
      for (const wake of waiters.splice(0)) wake()
    }
  })()
  /** Waits until an item matches, or fails after `timeoutMs`. */
  const waitFor = async (match: (item: SseItem) => boolean, timeoutMs = 20_000): Promise<SseItem> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = items.find(match)
      if (found) return found
      if (ended) throw new Error(`the event stream ended; got ${JSON.stringify(items)}`)
      if (Date.now() > deadline) throw new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(items)}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }
  if (response.ok) await waitFor((item) => 'comment' in item && item.comment === 'connected')
  return {
    response, items, waitFor, done,
    /** The events (not comments) so far. */
    events: () => items.filter((item): item is { event: string; data: ApiEvent; id?: string } => 'event' in item),
    close: () => controller.abort(),
  }
}

function parseBlock(block: string): SseItem {
  let event = 'message'
  let id: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) return { comment: line.slice(1).trim() }
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('id: ')) id = line.slice(4)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
  }
  return { event, data: JSON.parse(data.join('\n')), ...(id !== undefined ? { id } : {}) }
}

/**
 * A small catalog: a CRM export (source, owner team:crm, maxAge 26h) → raw/accounts → marts/accounts_by_region
 * → dashboards/sales (dashboard) and reports/regions (tag business); plus an unrelated ops/heartbeat.
 */
export function catalogAssets() {
  const crm = defineSource({ key: 'landing/crm_accounts', owner: 'team:crm', description: 'Accounts exported nightly by the CRM', observe: files('landing/crm/*.csv'), freshness: { maxAge: '26h' } })
  const accounts = defineAsset({
    key: 'raw/accounts', ins: { crm }, owner: 'team:data', group: 'sales', tags: ['crm', 'pii'], checks: [unique('account_id')],
    async materialize({ crm }, ctx) {
      await ctx.loadCsv(crm.files)
    },
  })
  const byRegion = sqlAsset({
    key: 'marts/accounts_by_region', owner: 'team:data', group: 'sales', description: 'Accounts per region', kind: 'model',
    sql: 'select region, count(*) as accounts from raw.accounts group by 1', checks: [rowCount({ min: 1 })], freshness: { deadline: '07:00', timezone: 'Europe/London' },
  })
  const dashboard = defineAsset({
    key: 'dashboards/sales', ins: { byRegion }, owner: 'team:bi', kind: 'dashboard', description: 'Sales dashboard',
    async materialize({ byRegion }, ctx) {
      return ctx.warehouse.query(`select * from ${byRegion.table}`)
    },
  })
  const report = sqlAsset({ key: 'reports/regions', owner: 'team:bi', tags: ['business'], sql: 'select * from marts.accounts_by_region order by region' })
  const heartbeat = defineAsset({ key: 'ops/heartbeat', owner: 'alice@example.com', group: 'ops', async materialize() { return [{ ok: true }] } })
  return [crm, accounts, byRegion, dashboard, report, heartbeat]
}

/** The CRM export the catalog's source observes. */
export const CRM_CSV = 'account_id,region\n1,emea\n2,emea\n3,amer\n'

/** Lands the catalog's CRM export (landing/crm/accounts.csv, CRM_CSV) in project `dir`. */
export async function landCrmExport(dir: string): Promise<void> {
  await mkdir(join(dir, 'landing', 'crm'), { recursive: true })
  await writeFile(join(dir, 'landing', 'crm', 'accounts.csv'), CRM_CSV)
}

/**
 * The catalog project (catalogAssets) on `clock`, its CRM export landed, served, then materialized
 * once; `beforeRun` sees the server before that run. `close` stops the server and the project.
 */
export async function servedCatalog(clock: Clock, beforeRun?: (served: Awaited<ReturnType<typeof serveInstance>>) => Promise<void>) {
  const p = await openProject({ assets: catalogAssets() }, { clock })
  await landCrmExport(p.dir)
  const s = await serveInstance(p.instance)
  await beforeRun?.(s)
  const result = await p.instance.materialize('', { trigger: 'test' })
  if (result.status !== 'succeeded') throw new Error(`the catalog's run ended ${result.status}: ${JSON.stringify(result.counts)}`)
  return { p, s, runId: result.runId, close: async () => { await s.server.close(); await p.close() } }
}
