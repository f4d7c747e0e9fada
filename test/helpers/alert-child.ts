// A child process for crash tests of alert delivery: one daemon-like alert pass, or a resolve by hand,
// on the store at argv[2] with the alerts config (JSON) at argv[4]. Prints what the pass did as JSON.
import { evaluateAlerts } from '../../src/alerts/alert-engine.js'
import { resolveByHand } from '../../src/alerts/manual-resolve.js'
import { systemClock } from '../../src/engine/clock.js'
import type { AlertsConfig } from '../../src/model/alerts.js'
import { SqliteAutomationStore } from '../../src/store/sqlite/sqlite-automation-store.js'
import { alertGraph, freshCrm, lateCrm } from './alert-world.js'

const [storePath, mode, configJson, incidentId] = process.argv.slice(2) as [string, 'late' | 'fresh' | 'resolve', string, string | undefined]
const config = JSON.parse(configJson) as AlertsConfig
const store = await SqliteAutomationStore.open(storePath)
await store.migrate()
const now = new Date()
const delivery = mode === 'resolve'
  ? (await resolveByHand({ store, id: Number(incidentId), message: 're-sent the CRM export', config, clock: systemClock, holdMs: 0 }))!.delivery
  : (await evaluateAlerts({ graph: alertGraph, statuses: mode === 'late' ? lateCrm(now) : freshCrm(now), sla: new Map(), drift: new Map(), store, config, now })).delivery
process.stdout.write(JSON.stringify({ delivered: delivery.delivered.length, retrying: delivery.retrying.length, exhausted: delivery.exhausted.length }))
await store.close()
