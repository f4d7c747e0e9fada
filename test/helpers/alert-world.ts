// A tiny project for alert tests (a late CRM source, its readers) and an HTTP receiver that fails on cue.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SlackPayload } from '../../src/alerts/sinks/index.js'
import type { AssetStatusRecord } from '../../src/engine/status.js'
import { buildGraphOrThrow } from '../../src/graph/build-graph.js'
import { defineAsset } from '../../src/model/asset.js'
import { defineProject } from '../../src/model/project.js'
import { defineSource, files } from '../../src/model/source.js'

const noop = () => []

// landing/crm (team:crm) → raw/crm → dashboards/pipeline
export const landingCrm = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { maxAge: '26h' }, observe: files('landing/crm/*.csv') })
export const rawCrm = defineAsset({ key: 'raw/crm', ins: { landingCrm }, materialize: noop })
export const dashboard = defineAsset({ key: 'dashboards/pipeline', kind: 'dashboard', io: 'none', ins: { rawCrm }, materialize: noop })
export const alertGraph = buildGraphOrThrow(defineProject({ name: 'alert-world', assets: [landingCrm, rawCrm, dashboard] }))

/** landing/crm 30 hours old at `now`: late, its own root cause. */
export function lateCrm(now: Date): Map<string, AssetStatusRecord> {
  const message = 'last updated 30h 0m ago, older than maxAge 26h'
  const link = { key: 'landing/crm', status: 'late' as const, owner: 'team:crm', message }
  return new Map([['landing/crm', { key: 'landing/crm', status: 'late', ready: false, reasons: [{ type: 'late', message }], chain: [link], rootCause: link, owner: 'team:crm', lastUpdated: new Date(now.getTime() - 30 * 3_600_000), lastRunId: null }]])
}

/** landing/crm fresh at `now`. */
export function freshCrm(now: Date): Map<string, AssetStatusRecord> {
  return new Map([['landing/crm', { key: 'landing/crm', status: 'fresh', ready: true, reasons: [], chain: [], rootCause: null, owner: 'team:crm', lastUpdated: now, lastRunId: null }]])
}

/** One request a receiver got: the body and the delivery id header. */
export interface Received {
  readonly body: SlackPayload
  readonly deliveryId: string | undefined
}

/**
 * An HTTP receiver on 127.0.0.1 that answers each request with the next of `answers` (the last
 * repeats); 'hang' never answers. `onRequest` sees each request as it arrives.
 */
export async function receiver(answers: readonly (number | 'hang')[], onRequest?: (received: Received, index: number) => void) {
  const received: Received[] = []
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    let text = ''
    for await (const chunk of request) text += chunk
    const item = { body: JSON.parse(text) as SlackPayload, deliveryId: request.headers['x-tributary-delivery'] as string | undefined }
    const index = received.push(item) - 1
    onRequest?.(item, index)
    const answer = answers[Math.min(index, answers.length - 1)]!
    if (answer === 'hang') return
    response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'try later')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/T000/B000/secret`,
    received,
    events: () => received.map((r) => r.body.tributary.event),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
