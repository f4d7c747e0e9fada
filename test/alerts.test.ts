import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { evaluateAlerts, type AlertInput } from '../src/alerts/alert-engine.js'
import { createDeliverer } from '../src/alerts/deliverer.js'
import { createSinks } from '../src/alerts/sinks/index.js'
import type { SlaVerdict } from '../src/automation/sla.js'
import { deriveStatuses, type AssetStatusRecord } from '../src/engine/status.js'
import type { AssetGraph } from '../src/graph/asset-graph.js'
import { buildGraphOrThrow } from '../src/graph/build-graph.js'
import type { AlertsConfig } from '../src/model/alerts.js'
import { defineAsset, sqlAsset, type AnyNode } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import { defineSource, files } from '../src/model/source.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import type { SerializedError } from '../src/model/errors.js'
import type { AssetStateRecord, ObservationRecord, StepRecord } from '../src/store/records.js'

const HOUR = 3_600_000
const MINUTE = 60_000
const T0 = new Date('2026-03-02T06:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)
const noop = () => []

// landing/crm (source, team:crm, 26h) → raw/crm → marts/pipeline → dashboards/pipeline, dashboards/forecast
// landing/erp (source, team:erp) → raw/erp (a leaf: an output)
const landingCrm = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { maxAge: '26h' }, observe: files('landing/crm/*.csv') })
const rawCrm = defineAsset({ key: 'raw/crm', owner: 'team:data', ins: { landingCrm }, materialize: noop })
const pipeline = sqlAsset({ key: 'marts/pipeline', owner: 'team:analytics', sql: 'select * from raw.crm' })
const pipelineDashboard = defineAsset({ key: 'dashboards/pipeline', kind: 'dashboard', owner: 'alice@example.com', io: 'none', ins: { pipeline }, materialize: noop })
const forecastDashboard = defineAsset({ key: 'dashboards/forecast', kind: 'dashboard', owner: 'bob@example.com', io: 'none', ins: { pipeline }, materialize: noop })
const landingErp = defineSource({ key: 'landing/erp', owner: 'team:erp', observe: files('landing/erp/*.csv') })
const rawErp = defineAsset({ key: 'raw/erp', owner: 'team:finance', ins: { landingErp }, materialize: noop })
const crmGraph = buildGraphOrThrow(defineProject({ name: 'crm', assets: [landingCrm, rawCrm, pipeline, pipelineDashboard, forecastDashboard, landingErp, rawErp] }))

type Failure = { readonly status: 'failed' | 'blocked' | 'running'; readonly message?: string; readonly upstream?: string }

/**
 * A project's state, described by what is wrong with it: sources' last updates (default: an
 * hour before `now`) and the steps that failed, were blocked or are running. Everything else
 * was materialized an hour before `now` from the current data of its inputs.
 */
class World {
  readonly sourceUpdated = new Map<string, Date | null>()
  readonly steps = new Map<string, Failure>()
  constructor(readonly graph: AssetGraph) {}

  statuses(now: Date): Map<string, AssetStatusRecord> {
    const observations = new Map<string, ObservationRecord>()
    const states = new Map<string, AssetStateRecord>()
    for (const node of this.graph.nodes.values()) {
      if (node.def.type === 'source') {
        const lastUpdated = this.sourceUpdated.has(node.key) ? this.sourceUpdated.get(node.key)! : new Date(now.getTime() - HOUR)
        observations.set(node.key, { sourceKey: node.key, observedAt: now, exists: lastUpdated !== null, lastUpdated, dataVersion: `${node.key}@1`, rowCount: 1, schemaFingerprint: 'f', columns: null })
        continue
      }
      const materializedAt = new Date(now.getTime() - HOUR)
      const failure = this.steps.get(node.key)
      const error: SerializedError | null = failure?.status === 'failed' ? { code: failure.upstream ? 'TRB3003' : 'TRB3001', message: failure.message ?? 'boom', ...(failure.upstream ? { upstream: failure.upstream } : {}) } : null
      const step: StepRecord = {
        runId: failure ? 'run-2' : 'run-1', assetKey: node.key, partition: null, status: failure?.status ?? 'succeeded', attempt: 1,
        startedAt: materializedAt, finishedAt: materializedAt, durationMs: 5, error, reason: failure?.status === 'blocked' ? (failure.message ?? 'a blocking check failed') : null,
      }
      states.set(node.key, {
        assetKey: node.key, partition: null, lastChecks: [], lastStep: step,
        lastMaterialization: {
          id: 1, assetKey: node.key, partition: null, runId: 'run-1', codeVersion: node.codeVersion, dataVersion: `${node.key}@1`,
          inputVersions: Object.fromEntries(node.upstream.map((u) => [u, `${u}@1`])), rowCount: 1, columns: null, durationMs: 5, createdAt: materializedAt,
        },
      })
    }
    const running = [...this.steps.values()].some((f) => f.status === 'running')
    return deriveStatuses({ graph: this.graph, states, observations, activeRunIds: new Set(running ? ['run-2'] : []), now })
  }
}

/** The CRM night: landing/crm is 30 h old, and three levels below it failed because of it. */
function lateCrmNight(): World {
  const world = new World(crmGraph)
  world.sourceUpdated.set('landing/crm', at(-30 * HOUR))
  world.steps.set('raw/crm', { status: 'failed', message: 'not ready: landing/crm is late', upstream: 'landing/crm' })
  world.steps.set('marts/pipeline', { status: 'failed', message: 'upstream raw/crm failed', upstream: 'raw/crm' })
  world.steps.set('dashboards/pipeline', { status: 'failed', message: 'upstream marts/pipeline failed', upstream: 'marts/pipeline' })
  return world
}

describe('alerts: incidents routed to the owner of the root cause', () => {
  let dir: string
  let store: SqliteAutomationStore
  let logLines: string[]

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trb-alerts-'))
    store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
    await store.migrate()
    logLines = []
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** One tick: statuses of `world` at `now`, delivered to a log sink that writes into `logLines`. */
  function tick(world: World, now: Date, extra: Partial<AlertInput> & { config?: AlertsConfig } = {}) {
    const config = extra.config ?? { sinks: [{ type: 'log', name: 'log' }] }
    return evaluateAlerts({
      graph: world.graph, statuses: world.statuses(now), sla: new Map(), drift: new Map(), store, now,
      deliver: createDeliverer({ store, sinks: createSinks(config.sinks, { logWriter: (line) => logLines.push(line) }), backoffMs: 1 }),
      ...extra, config,
    })
  }

  test('a late source with three failing levels below it: one incident, on the source, for team:crm, listing the dashboards', async () => {
    const world = lateCrmNight()
    const statuses = world.statuses(T0)
    assert.equal(statuses.get('dashboards/pipeline')?.rootCause?.key, 'landing/crm', 'the fixture chains down to the source')

    const report = await tick(world, T0)

    assert.equal(report.opened.length, 1)
    const [incident] = report.opened
    assert.equal(incident?.assetKey, 'landing/crm')
    assert.equal(incident?.condition, 'source_late')
    assert.equal(incident?.owner, 'team:crm')
    assert.equal(incident?.severity, 'warning')
    assert.deepEqual(incident?.affected, ['dashboards/forecast', 'dashboards/pipeline'])
    assert.match(incident!.message, /^landing\/crm is late: last updated 30h 0m ago, older than maxAge 26h/)
    assert.match(incident!.message, /holds up 4 downstream: raw\/crm, marts\/pipeline, dashboards\/forecast, dashboards\/pipeline/)
    const all = await store.listIncidents()
    assert.deepEqual(all.map((i) => `${i.assetKey} ${i.condition}`), ['landing/crm source_late'], 'no incident for raw/crm or marts/pipeline')
    assert.equal(logLines.length, 1)
    assert.match(logLines[0]!, /incident #\d+ opened: warning source_late on landing\/crm \(owner team:crm\)/)
  })

  test('an SLA output held up by a late source: one SLA incident on the output, paging the source owner; the source_late is folded into it', async () => {
    const world = lateCrmNight()
    const sla = new Map<string, SlaVerdict>([
      ['dashboards/pipeline', { state: 'late', dueAt: null, reason: 'not updated by its 07:00 UTC deadline' }],
      // An SLA output upstream of another one, late for the same reason: named, not raised.
      ['marts/pipeline', { state: 'late', dueAt: null, reason: 'not updated by its 07:00 UTC deadline' }],
    ])
    const report = await tick(world, T0, { sla })
    assert.deepEqual(report.opened.map((i) => [i.assetKey, i.condition, i.owner, i.severity]), [['dashboards/pipeline', 'sla_breached', 'team:crm', 'critical']])
    const [incident] = report.opened
    assert.match(incident!.message, /^dashboards\/pipeline freshness SLA breached: landing\/crm is 4h late \(team:crm\) · also breached: marts\/pipeline$/)
    assert.deepEqual(incident!.affected, ['dashboards/forecast', 'dashboards/pipeline'], 'every output the folded root cause holds up')
    assert.equal(logLines.length, 1)
  })

  test('SLA at risk, then breached, then met again: one at-risk announcement, one breach, one resolution, all to the root-cause owner', async () => {
    const landing = defineSource({ key: 'landing/crm', owner: 'team:crm', freshness: { deadline: '05:00' }, observe: files('landing/crm/*.csv') })
    const dashboard = defineAsset({ key: 'dashboards/crm', kind: 'dashboard', owner: 'team:finance', io: 'none', ins: { landing }, freshness: { deadline: '07:00' }, materialize: noop })
    const world = new World(buildGraphOrThrow(defineProject({ name: 'sla', assets: [landing, dashboard] })))
    const config: AlertsConfig = { escalateAfter: '4h', sinks: [{ type: 'log', name: 'log' }] }
    // Last landed yesterday at 03:00: late since today's 05:00 deadline.
    world.sourceUpdated.set('landing/crm', new Date('2026-03-01T03:00:00Z'))
    const atRisk: SlaVerdict = { state: 'at_risk', dueAt: new Date('2026-03-02T07:00:00Z'), reason: 'due by 07:00 and its ready time cannot be predicted' }
    const late: SlaVerdict = { state: 'late', dueAt: null, reason: 'not updated by its 07:00 UTC deadline' }
    const first = await tick(world, T0, { config, sla: new Map([['dashboards/crm', atRisk]]) })
    assert.deepEqual(first.opened.map((i) => [i.assetKey, i.condition, i.owner]), [['dashboards/crm', 'sla_at_risk', 'team:crm']])
    assert.equal(first.opened[0]!.message, 'dashboards/crm 07:00 deadline at risk: landing/crm is 1h late (team:crm)')
    assert.equal((await tick(world, at(30 * MINUTE), { config, sla: new Map([['dashboards/crm', atRisk]]) })).updated.length, 1)

    const breach = await tick(world, at(HOUR), { config, sla: new Map([['dashboards/crm', late]]) })
    assert.deepEqual(breach.opened.map((i) => [i.condition, i.owner, i.message]), [['sla_breached', 'team:crm', 'dashboards/crm 07:00 deadline breached: landing/crm is 2h late (team:crm)']])
    assert.deepEqual(breach.resolved, [], 'the at-risk incident is not announced as resolved')
    assert.deepEqual(breach.superseded.map((i) => i.condition), ['sla_at_risk'])
    assert.match(breach.superseded[0]!.resolution!, /^superseded: dashboards\/crm breached its freshness SLA/)

    // The export lands; the dashboard is still late until it rebuilds: the incident keeps paging team:crm.
    world.sourceUpdated.set('landing/crm', at(2 * HOUR))
    const catchingUp = await tick(world, at(2 * HOUR), { config, sla: new Map([['dashboards/crm', late]]) })
    assert.deepEqual(catchingUp.updated.map((i) => i.owner), ['team:crm'])
    const recovered = await tick(world, at(150 * MINUTE), { config })
    assert.deepEqual(recovered.resolved.map((i) => [i.condition, i.owner, i.resolution]), [['sla_breached', 'team:crm', 'recovered: dashboards/crm meets its freshness SLA again at 2026-03-02T08:30:00.000Z']])
    assert.deepEqual(logLines.map((line) => /incident #\d+ (\w+): \w+ (\w+) on \S+ \(owner ([^)]+)\)/.exec(line)!.slice(1).join(' ')), [
      'opened sla_at_risk team:crm', 'opened sla_breached team:crm', 'resolved sla_breached team:crm',
    ])
  })

  test('a source_late incident already open is resolved silently once an SLA incident carries it', async () => {
    const world = lateCrmNight()
    const opened = (await tick(world, T0)).opened
    assert.deepEqual(opened.map((i) => i.condition), ['source_late'])
    const sla = new Map<string, SlaVerdict>([['dashboards/pipeline', { state: 'at_risk', dueAt: at(HOUR), reason: 'due soon' }]])
    const next = await tick(world, at(MINUTE), { sla })
    assert.deepEqual(next.opened.map((i) => [i.assetKey, i.condition, i.owner]), [['dashboards/pipeline', 'sla_at_risk', 'team:crm']])
    assert.deepEqual(next.resolved, [])
    assert.deepEqual(next.superseded.map((i) => [i.assetKey, i.resolution]), [['landing/crm', `superseded: carried by the sla_at_risk incident on dashboards/pipeline (${at(MINUTE).toISOString()})`]])
    assert.equal(logLines.length, 2)
  })

  test('the same problem on three ticks is one incident seen three times, announced once', async () => {
    const world = lateCrmNight()
    const reports = []
    for (let i = 0; i < 3; i++) reports.push(await tick(world, at(i * MINUTE)))
    assert.deepEqual(reports.map((r) => [r.opened.length, r.updated.length]), [[1, 0], [0, 1], [0, 1]])
    const incidents = await store.listIncidents()
    assert.equal(incidents.length, 1)
    assert.equal(incidents[0]!.occurrences, 3)
    const deliveries = await store.listDeliveries(incidents[0]!.id)
    assert.deepEqual(deliveries.map((d) => [d.sink, d.event, d.attempt, d.ok]), [['log', 'opened', 1, true]])
    assert.equal(logLines.length, 1)
  })

  test('an open incident escalates once, after escalateAfter, and only when nobody acknowledged it', async () => {
    const world = lateCrmNight()
    const config: AlertsConfig = { escalateAfter: '30m', sinks: [{ type: 'log', name: 'log' }] }
    const opened = (await tick(world, T0, { config })).opened[0]!
    assert.equal((await tick(world, at(29 * MINUTE), { config })).escalated.length, 0)
    assert.equal((await tick(world, at(30 * MINUTE), { config })).escalated.length, 0, 'not longer than 30m yet')
    const escalation = await tick(world, at(31 * MINUTE), { config })
    assert.deepEqual(escalation.escalated.map((i) => i.id), [opened.id])
    assert.deepEqual(escalation.escalated[0]!.escalatedAt, at(31 * MINUTE))
    assert.equal((await tick(world, at(45 * MINUTE), { config })).escalated.length, 0, 'escalated once')
    const events = (await store.listDeliveries(opened.id)).map((d) => d.event)
    assert.deepEqual(events, ['opened', 'escalated'])
    assert.match(logLines[1]!, /incident #\d+ escalated: warning source_late on landing\/crm/)
  })

  test('an acknowledged incident is not escalated', async () => {
    const world = lateCrmNight()
    const opened = (await tick(world, T0)).opened[0]!
    await store.acknowledgeIncident(opened.id, 'carol', at(5 * MINUTE))
    const later = await tick(world, at(2 * HOUR))
    assert.equal(later.escalated.length, 0)
    assert.equal(later.updated[0]?.status, 'acknowledged')
    assert.deepEqual((await store.listDeliveries(opened.id)).map((d) => d.event), ['opened'])
  })

  test('when the source is fresh again its incident resolves itself, announced once with the reason', async () => {
    const world = lateCrmNight()
    const opened = (await tick(world, T0)).opened[0]!
    world.sourceUpdated.set('landing/crm', at(10 * MINUTE))
    world.steps.clear()
    const report = await tick(world, at(20 * MINUTE))
    assert.deepEqual(report.resolved.map((i) => i.id), [opened.id])
    const resolved = await store.getIncident(opened.id)
    assert.equal(resolved?.status, 'resolved')
    assert.equal(resolved?.resolution, 'recovered: landing/crm is fresh again at 2026-03-02T06:20:00.000Z')
    assert.deepEqual(resolved?.resolvedAt, at(20 * MINUTE))
    assert.equal((await tick(world, at(30 * MINUTE))).resolved.length, 0, 'resolved once')
    assert.deepEqual((await store.listDeliveries(opened.id)).map((d) => [d.event, d.ok]), [['opened', true], ['resolved', true]])
    assert.match(logLines[1]!, /incident #\d+ resolved: warning source_late on landing\/crm \(owner team:crm\): recovered: landing\/crm is fresh again/)
  })

  test('a failure of its own raises run_failed (critical) for its owner; it waits while the asset re-runs, then resolves', async () => {
    const world = new World(crmGraph)
    world.steps.set('raw/erp', { status: 'failed', message: 'asset raw/erp failed: division by zero' })
    const opened = (await tick(world, T0)).opened
    assert.deepEqual(opened.map((i) => [i.assetKey, i.condition, i.severity, i.owner, i.affected]), [['raw/erp', 'run_failed', 'critical', 'team:finance', ['raw/erp']]])
    assert.equal(opened[0]!.message, 'raw/erp failed: asset raw/erp failed: division by zero')

    world.steps.set('raw/erp', { status: 'running' })
    const whileRunning = await tick(world, at(MINUTE))
    assert.deepEqual([whileRunning.opened.length, whileRunning.updated.length, whileRunning.resolved.length], [0, 0, 0], 'the re-run decides')

    world.steps.delete('raw/erp')
    const after = await tick(world, at(2 * MINUTE))
    assert.equal(after.resolved[0]?.resolution, 'recovered: raw/erp is fresh again at 2026-03-02T06:02:00.000Z')
  })

  test('rules choose the classes that alert and their severity; without source_late the failure below it alerts its own owner', async () => {
    const world = lateCrmNight()
    const onlyRuns: AlertsConfig = { rules: [{ on: 'run_failed', severity: 'warning' }], sinks: [{ type: 'log', name: 'log' }] }
    const report = await tick(world, T0, { config: onlyRuns })
    assert.deepEqual(report.opened.map((i) => [i.assetKey, i.condition, i.severity, i.owner]), [['raw/crm', 'run_failed', 'warning', 'team:data']])
    assert.equal((await store.listIncidents()).filter((i) => i.condition === 'source_late').length, 0, 'source_late is not in the rules')
    assert.match(report.opened[0]!.message, /holds up 3 downstream: marts\/pipeline, dashboards\/forecast, dashboards\/pipeline/)

    const louder: AlertsConfig = { rules: [{ on: 'source_late', severity: 'critical' }], sinks: [] }
    const next = await tick(world, at(MINUTE), { config: louder })
    assert.deepEqual(next.opened.map((i) => [i.assetKey, i.condition, i.severity]), [['landing/crm', 'source_late', 'critical']])
    assert.match(next.resolved[0]!.resolution!, /^resolved: the alert rules no longer include run_failed/)
    const none = await tick(world, at(2 * MINUTE), { config: { rules: [], sinks: [] } })
    assert.equal(none.opened.length + (await store.listIncidents({ status: 'unresolved' })).length, 0)
  })

  test('drift, open circuits and SLA verdicts raise their own classes; drift waits for every reader to re-materialize', async () => {
    const world = new World(crmGraph)
    const sla = new Map<string, SlaVerdict>([
      ['raw/erp', { state: 'at_risk', dueAt: at(HOUR), reason: 'predicted ready at 07:30, after it is due at 07:00' }],
      ['dashboards/forecast', { state: 'late', dueAt: null, reason: 'not updated by its 06:00 UTC deadline' }],
    ])
    const drift = new Map([['landing/crm', 'removed amount; retyped stage VARCHAR → INTEGER']])
    const circuits = new Map([['marts/pipeline', 'circuit open: 3 automatic retries in the last 24h failed']])
    const report = await tick(world, T0, { sla, drift, circuits })
    assert.deepEqual(report.opened.map((i) => [i.assetKey, i.condition, i.severity]).sort(), [
      ['dashboards/forecast', 'sla_breached', 'critical'],
      ['landing/crm', 'schema_drift', 'warning'],
      ['marts/pipeline', 'circuit_open', 'warning'],
      ['raw/erp', 'sla_at_risk', 'warning'],
    ])
    const driftIncident = report.opened.find((i) => i.condition === 'schema_drift')!
    assert.equal(driftIncident.message, 'landing/crm schema drifted: removed amount; retyped stage VARCHAR → INTEGER')

    // Drift is reported on the tick it is observed; the readers have not re-run since.
    const next = await tick(world, at(10 * MINUTE))
    assert.deepEqual(next.resolved.map((i) => i.condition).sort(), ['circuit_open', 'sla_at_risk', 'sla_breached'])
    // An hour and a half later every reader (materialized an hour before each tick) has run since the drift.
    const later = await tick(world, at(90 * MINUTE))
    assert.deepEqual(later.resolved.map((i) => [i.condition, i.resolution]), [['schema_drift', 'recovered: every reader of landing/crm has materialized on its new schema (2026-03-02T07:30:00.000Z)']])
  })

  test('1,000 simultaneous failures are routed in one call', async () => {
    // 500 late sources, each with a failed asset and a dashboard below it; 500 assets failing on their own, each with a dashboard.
    const world = new World(buildGraphOrThrow(defineProject({ name: 'big', assets: bigProject() })))
    for (let i = 0; i < 500; i++) {
      world.sourceUpdated.set(`landing/s${i}`, at(-30 * HOUR))
      world.steps.set(`raw/s${i}`, { status: 'failed', message: `not ready: landing/s${i} is late`, upstream: `landing/s${i}` })
      world.steps.set(`raw/a${i}`, { status: 'failed', message: 'boom' })
    }
    const statuses = world.statuses(T0)
    assert.equal([...statuses.values()].filter((s) => !s.ready).length, 2500)
    const config: AlertsConfig = { sinks: [{ type: 'log', name: 'log' }] }
    const deliver = createDeliverer({ store, sinks: createSinks(config.sinks, { logWriter: (line) => logLines.push(line) }) })

    const started = performance.now()
    const report = await evaluateAlerts({ graph: world.graph, statuses, sla: new Map(), drift: new Map(), store, config, now: T0, deliver })
    const firstMs = performance.now() - started
    const again = performance.now()
    const second = await evaluateAlerts({ graph: world.graph, statuses, sla: new Map(), drift: new Map(), store, config, now: at(MINUTE), deliver })
    const secondMs = performance.now() - again
    console.log(`alerts: 1,000 root-cause failures (2,500 nodes not ready) routed: first tick ${firstMs.toFixed(0)} ms (1,000 opened, 1,000 deliveries), next tick ${secondMs.toFixed(0)} ms (1,000 updated)`)

    assert.equal(report.opened.length, 1000)
    assert.equal(report.opened.filter((i) => i.condition === 'source_late').length, 500)
    assert.equal(report.opened.filter((i) => i.condition === 'run_failed').length, 500)
    assert.ok(report.opened.every((i) => i.assetKey.startsWith('landing/') || i.assetKey.startsWith('raw/a')), 'nothing raised below a root cause')
    assert.ok(report.opened.every((i) => i.affected.length === 1 && i.affected[0]!.startsWith('dashboards/')))
    assert.equal(logLines.length, 1000)
    assert.deepEqual([second.opened.length, second.updated.length, second.resolved.length], [0, 1000, 0])
  })
})

function bigProject(): AnyNode[] {
  const nodes: AnyNode[] = []
  for (let i = 0; i < 500; i++) {
    const source = defineSource({ key: `landing/s${i}`, owner: `team:s${i}`, freshness: { maxAge: '26h' }, observe: files(`landing/s${i}/*.csv`) })
    const raw = defineAsset({ key: `raw/s${i}`, ins: { source }, materialize: noop })
    const own = defineAsset({ key: `raw/a${i}`, owner: `team:a${i}`, materialize: noop })
    nodes.push(source, raw, own,
      defineAsset({ key: `dashboards/s${i}`, kind: 'dashboard', io: 'none', ins: { raw }, materialize: noop }),
      defineAsset({ key: `dashboards/a${i}`, kind: 'dashboard', io: 'none', ins: { own }, materialize: noop }))
  }
  return nodes
}
