// GET /metrics: the Prometheus text exposition of a project's state, read at each scrape, over a
// real HTTP server, behind the API's tokens.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

// The value of one series, as Prometheus would read it: `name{labels} value`.
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

test('GET /metrics: each asset ready or not, its status and last update, counts by status, runs in progress; Prometheus text, behind the tokens', async () => {
  let failing = true
  const orders = defineAsset({ key: 'raw/orders', owner: 'team:shop', materialize: () => [{ id: 1 }] })
  const revenue = defineAsset({
    key: 'marts/revenue', owner: 'team:finance', ins: { orders },
    materialize: () => {
      if (failing) throw new Error('the exchange rates are missing')
      return [{ total: 1 }]
    },
  })
  const project = await openProject({ assets: [orders, revenue] })
  cleanups.push(() => project.close())
  const { server, api } = await serveInstance(project.instance, { auth: { operatorToken: 'op-token', readToken: 'read-token' } })
  cleanups.push(() => server.close())

  // Behind the same tokens as the API: none is refused, a read token will do.
  assert.equal((await api.get('/metrics')).status, 401)
  const before = await api.get('/metrics', { token: 'read-token' })
  assert.equal(before.status, 200)
  assert.match(before.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  assert.match(before.text, /^# HELP tributary_asset_ready /m)
  assert.match(before.text, /^# TYPE tributary_asset_ready gauge$/m)
  assert.equal(sample(before.text, 'tributary_asset_ready{asset="raw/orders",owner="team:shop"}'), 0)
  assert.equal(sample(before.text, 'tributary_assets{status="missing"}'), 2)
  assert.equal(sample(before.text, 'tributary_assets{status="failed"}'), 0)
  assert.equal(sample(before.text, 'tributary_runs_active'), 0)
  assert.equal(sample(before.text, 'tributary_store_up'), 1)
  assert.match(before.text, /^tributary_info\{project="test",version="\d+\.\d+\.\d+[^"]*"\} 1$/m)
  // This process's own, from prom-client's defaults.
  assert.ok((sample(before.text, 'process_resident_memory_bytes') ?? 0) > 0)

  const result = await project.instance.materialize()
  assert.equal(result.status, 'failed')
  const after = (await api.get('/metrics', { token: 'read-token' })).text
  assert.equal(sample(after, 'tributary_asset_ready{asset="raw/orders",owner="team:shop"}'), 1)
  assert.equal(sample(after, 'tributary_asset_ready{asset="marts/revenue",owner="team:finance"}'), 0)
  assert.equal(sample(after, 'tributary_asset_status{asset="marts/revenue",owner="team:finance",status="failed"}'), 1)
  assert.equal(sample(after, 'tributary_assets{status="fresh"}'), 1)
  assert.equal(sample(after, 'tributary_assets{status="failed"}'), 1)
  const updated = sample(after, 'tributary_asset_last_updated_timestamp_seconds{asset="raw/orders"}')
  const { lastUpdated } = (await project.instance.status('raw/orders'))[0]!
  assert.equal(updated, lastUpdated!.getTime() / 1000)
  assert.equal(sample(after, 'tributary_asset_last_updated_timestamp_seconds{asset="marts/revenue"}'), undefined)

  // Each scrape reads the store again: fixed, the asset is ready at the next one.
  failing = false
  assert.equal((await project.instance.materialize()).status, 'succeeded')
  const fixed = (await api.get('/metrics', { token: 'op-token' })).text
  assert.equal(sample(fixed, 'tributary_asset_ready{asset="marts/revenue",owner="team:finance"}'), 1)
  assert.equal(sample(fixed, 'tributary_assets{status="failed"}'), 0)
})
