// A malformed sink URL must not put its secret in deliveries.error (nor in the outbox's lastError).
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { evaluateAlerts } from '../src/alerts/alert-engine.js'
import { createDeliverer } from '../src/alerts/deliverer.js'
import { createSinks } from '../src/alerts/sinks/index.js'
import type { AssetStatusRecord } from '../src/engine/status.js'
import { buildGraphOrThrow } from '../src/graph/build-graph.js'
import type { AlertsConfig } from '../src/model/alerts.js'
import { defineProject } from '../src/model/project.js'
import { defineSource, files } from '../src/model/source.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'

const NOW = new Date('2026-03-02T06:00:00Z')
const source = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { maxAge: '26h' }, observe: files('landing/crm/*.csv') })
const graph = buildGraphOrThrow(defineProject({ name: 'redaction', assets: [source] }))
const message = 'last updated 30h 0m ago, older than maxAge 26h'
const link = { key: 'landing/crm', status: 'late' as const, owner: 'team:crm', message }
const late = new Map<string, AssetStatusRecord>([['landing/crm', {
  key: 'landing/crm', status: 'late', ready: false, reasons: [{ type: 'late', message }], chain: [link], rootCause: link, owner: 'team:crm',
  lastUpdated: new Date(NOW.getTime() - 30 * 3_600_000), lastRunId: null,
}]])

let dir: string
let store: SqliteAutomationStore
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trb-redact-'))
  store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
  await store.migrate()
})
after(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

test('malformed sink URLs: the stored delivery errors say what is wrong without the secret', async () => {
  const secrets = ['hunter2pw', 'tok-secret-one', 'xoxbSecret2']
  const config: AlertsConfig = {
    sinks: [
      // fetch refuses credentials in a URL, quoting it whole.
      { type: 'webhook', name: 'creds', url: 'https://alerts:hunter2pw@hooks.example.com/x?token=tok-secret-one' },
      // No scheme: "Failed to parse URL from …", quoted whole.
      { type: 'webhook', name: 'noscheme', url: 'hooks.slack.com/services/T0/B0/xoxbSecret2' },
    ],
  }
  const sinks = createSinks(config.sinks, { logWriter: () => undefined })
  const result = await evaluateAlerts({
    graph, statuses: late, sla: new Map(), drift: new Map(), store, config, now: NOW,
    deliver: createDeliverer({ store, sinks, backoffMs: 1, attempts: 1 }),
  })
  const deliveries = await store.listDeliveries(result.opened[0]!.id)
  assert.equal(deliveries.length, 2)
  for (const delivery of deliveries) {
    assert.equal(delivery.ok, false)
    for (const secret of secrets) assert.ok(!delivery.error!.includes(secret), `${delivery.sink}: ${delivery.error}`)
    assert.match(delivery.error!, /\[redacted\]/)
  }
  const bySink = new Map(deliveries.map((d) => [d.sink, d.error!]))
  assert.match(bySink.get('creds')!, /includes credentials: \[redacted\]/)
  assert.match(bySink.get('noscheme')!, /Failed to parse URL from \[redacted\]/)
  const outbox = JSON.stringify(await store.listOutbox({ limit: 10 }))
  for (const secret of secrets) assert.ok(!outbox.includes(secret), 'nor in the outbox')
})
