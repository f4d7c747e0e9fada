import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { AutomationDaemon } from '../src/automation/daemon.js'
import { ManualClock } from '../src/engine/clock.js'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { defineSchedule, eager, fileSensor, onMissing, pollSensor } from '../src/model/automation.js'
import type { ProjectSpec } from '../src/model/project.js'
import { defineSource, files, table } from '../src/model/source.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { nextEvent } from './helpers/events.js'
import { runFinished } from './helpers/poll.js'
import { openProject } from './helpers/temp-project.js'

async function setup(spec: Omit<ProjectSpec, 'name'>, start = '2026-03-02T04:00:00Z') {
  const clock = new ManualClock(start)
  const project = await openProject(spec, { clock })
  const automation = await SqliteAutomationStore.open(join(project.dir, '.tributary/metadata.sqlite'))
  await automation.migrate()
  const daemon = (holder = 'daemon-a') => new AutomationDaemon(() => project.instance, automation, { clock, holder, waitForRuns: true })
  return { ...project, clock, automation, daemon, close: async () => { await automation.close(); await project.close() } }
}

const noop = (key: string, extra: Record<string, unknown> = {}) => defineAsset({ key, io: 'none', async materialize() {}, ...extra })

describe('automation daemon', () => {
  test('a schedule fires once per tick; a restart neither loses nor repeats a tick', async () => {
    const p = await setup({ assets: [noop('jobs/a')], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'jobs/a' })] })
    try {
      assert.deepEqual((await p.daemon().runOnce()).fired, [], 'a new schedule starts from now')
      p.clock.set('2026-03-02T05:00:30Z')
      const first = await p.daemon().runOnce()
      assert.equal(first.fired.length, 1)
      assert.match(first.fired[0]!.reason, /2026-03-02T05:00:00.000Z/)
      assert.deepEqual((await p.daemon('daemon-restarted').runOnce()).fired, [], 'same tick, new process: not repeated')
      p.clock.set('2026-03-02T06:00:10Z')
      assert.equal((await p.daemon('daemon-restarted').runOnce()).fired.length, 1)
      assert.equal((await p.instance.store.listRuns()).length, 2)
    } finally {
      await p.close()
    }
  })

  test('catch-up policies after downtime: latest fires once, all fires each missed tick, skip fires none', async () => {
    for (const [catchUp, expected] of [['latest', 1], ['all', 4], ['skip', 0]] as const) {
      const p = await setup({ assets: [noop('jobs/a')], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'jobs/a', catchUp })] })
      try {
        await p.daemon().runOnce()
        p.clock.set('2026-03-02T08:30:00Z') // down through 05:00, 06:00, 07:00, 08:00
        const report = await p.daemon().runOnce()
        assert.equal(report.fired.length, expected, catchUp)
        p.clock.advance(60_000)
        assert.equal((await p.daemon().runOnce()).fired.length, 0, `${catchUp}: the cursor moved past every missed tick`)
      } finally {
        await p.close()
      }
    }
  })

  test('two daemons racing on one store never both fire the same tick', async () => {
    const p = await setup({ assets: [noop('jobs/a')], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'jobs/a' })] })
    try {
      await p.daemon().runOnce()
      p.clock.set('2026-03-02T05:00:30Z')
      const [a, b] = await Promise.all([p.daemon('a').runOnce(), p.daemon('b').runOnce()])
      assert.equal(a.fired.length + b.fired.length, 1)
    } finally {
      await p.close()
    }
  })

  test('eager and onMissing conditions request runs with their reasons, recorded as decisions', async () => {
    let rows = [{ id: 1 }]
    const base = defineAsset({ key: 'raw/base', async materialize() { return rows } })
    const model = sqlAsset({ key: 'marts/model', sql: 'select * from raw.base', automation: eager() })
    const fresh = sqlAsset({ key: 'marts/new', sql: 'select count(*) as n from raw.base', automation: onMissing() })
    const p = await setup({ assets: [base, model, fresh] })
    try {
      await p.instance.materialize('raw/base marts/model')
      const first = await p.daemon().runOnce()
      assert.deepEqual(first.fired.map((f) => f.selection), ['marts/new'])
      assert.match(first.fired[0]!.reason, /never materialized/)
      assert.equal((await p.instance.ready('marts/new')).ready, true)
      rows = [{ id: 1 }, { id: 2 }]
      p.clock.advance(60_000)
      await p.instance.materialize('raw/base')
      const second = await p.daemon().runOnce()
      assert.equal(second.fired.length, 1)
      assert.match(second.fired[0]!.reason, /marts\/model: requested because raw\/base updated at/)
      const decisions = await p.automation.listDecisions({ assetKey: 'marts/model' })
      assert.equal(decisions[0]!.requested, true)
      assert.equal(decisions[0]!.runId, second.fired[0]!.runId)
      assert.equal((await p.daemon().runOnce()).fired.length, 0, 'nothing new: nothing requested')
    } finally {
      await p.close()
    }
  })

  test('a file sensor fires on new files; a polling sensor fires when its function says so', async () => {
    let calls = 0
    const p = await setup({
      assets: [noop('jobs/load'), noop('jobs/poll')],
      sensors: [
        fileSensor({ name: 'drops', pattern: 'inbox/*.csv', selection: 'jobs/load' }),
        pollSensor({ name: 'api', selection: 'jobs/poll', poll: (cursor) => ({ cursor: String(++calls), request: cursor === '1', reason: 'the vendor API has a new export' }) }),
      ],
    })
    try {
      const first = await p.daemon().runOnce()
      assert.deepEqual(first.fired.map((f) => f.by), [])
      await mkdir(join(p.dir, 'inbox'), { recursive: true })
      await writeFile(join(p.dir, 'inbox/a.csv'), 'id\n1\n')
      const second = await p.daemon().runOnce()
      assert.deepEqual(second.fired.map((f) => [f.by, f.selection]).sort(), [['sensor:api', 'jobs/poll'], ['sensor:drops', 'jobs/load']])
      assert.equal((await p.daemon().runOnce()).fired.length, 0)
    } finally {
      await p.close()
    }
  })

  test('schema drift of a source is detected and described', async () => {
    const crm = defineSource({ key: 'landing/crm', observe: files('crm/*.csv') })
    const p = await setup({ assets: [crm, noop('jobs/x', { ins: { crm } })] })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount,stage\n1,10,open\n')
      assert.equal((await p.daemon().runOnce()).drift.size, 0)
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount_eur,stage,region\n1,10,open,eu\n')
      const report = await p.daemon().runOnce()
      assert.equal(report.drift.get('landing/crm'), 'removed amount; added amount_eur, region')
    } finally {
      await p.close()
    }
  })

  test('schema drift is reported once, even when status, a run or the UI observed the new schema first', async () => {
    const crm = defineSource({ key: 'landing/crm', observe: files('crm/*.csv') })
    const p = await setup({ assets: [crm, noop('jobs/x', { ins: { crm } })] })
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount,stage\n1,10,open\n')
      assert.equal((await p.daemon().runOnce()).drift.size, 0)
      await writeFile(join(p.dir, 'crm/a.csv'), 'id,amount_eur,stage\n1,10,open\n')
      p.clock.advance(60_000)
      // Someone runs `tributary status` between two ticks: it records the new schema first.
      await p.instance.status()
      const report = await p.daemon().runOnce()
      assert.equal(report.drift.get('landing/crm'), 'removed amount; added amount_eur')
      p.clock.advance(60_000)
      assert.equal((await p.daemon().runOnce()).drift.size, 0, 'reported once')
      assert.equal((await p.daemon('another-daemon').runOnce()).drift.size, 0, 'by whichever daemon saw it first')
    } finally {
      await p.close()
    }
  })

  test('a source whose new schema breaks a reader: one drift on the source, no run of the source or the reader', async () => {
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: table('landing.crm') })
    const reader = sqlAsset({ key: 'marts/amounts', sql: 'select id, amount from landing.crm', automation: eager() })
    const p = await setup({ assets: [crm, reader] })
    const replace = async (select: string) => {
      const session = await (await p.instance.warehouse()).session()
      try {
        await session.createFromSelect({ schema: 'landing', name: 'crm' }, select)
      } finally {
        await session.close()
      }
    }
    try {
      await replace('select 1 as id, 10 as amount')
      await p.instance.materialize()
      assert.equal((await p.daemon().runOnce()).fired.length, 0)
      p.clock.advance(60_000)
      await replace('select 2 as id, 20 as amount_eur')
      const report = await p.daemon().runOnce()
      assert.equal(report.drift.get('landing/crm'), 'removed amount; added amount_eur')
      assert.deepEqual(report.fired, [], 'neither the source (it is not built) nor the blocked reader is started')
      assert.equal(report.statuses.get('landing/crm')!.status, 'failed')
      assert.equal(report.statuses.get('marts/amounts')!.rootCause!.key, 'landing/crm')
    } finally {
      await p.close()
    }
  })

  test('a flapping asset is retried within its budget, then the circuit opens and says so', async () => {
    let calls = 0
    const flaky = defineAsset({ key: 'raw/flaky', io: 'none', async materialize() { calls++; throw new Error('upstream API down') } })
    const p = await setup({ assets: [flaky], remediation: { maxAttempts: 2, window: '1h' } })
    try {
      await p.instance.materialize()
      assert.equal(calls, 1)
      const fired = []
      for (let tick = 0; tick < 4; tick++) {
        p.clock.advance(60_000)
        const report = await p.daemon().runOnce()
        fired.push(report.fired.length)
        if (tick === 3) assert.match(report.circuits.get('raw/flaky')!, /circuit open: 2 automatic retries/)
      }
      assert.deepEqual(fired, [1, 1, 0, 0])
      assert.equal(calls, 3, 'two automatic retries, then no storm')
      p.clock.advance(2 * 3_600_000)
      assert.equal((await p.daemon().runOnce()).fired.length, 1, 'the budget refills after the window')
    } finally {
      await p.close()
    }
  })

  test('forecast: an asset whose source is overdue before its deadline is at risk', async () => {
    const crm = defineSource({ key: 'landing/crm', owner: 'team:crm', observe: files('crm/*.csv'), freshness: { maxAge: '20h' } })
    const load = defineAsset({ key: 'raw/crm', ins: { crm }, async materialize({ crm }, ctx) { await ctx.loadCsv(crm.files) } })
    const dashboard = sqlAsset({ key: 'dash/board', kind: 'dashboard', sql: 'select count(*) as n from raw.crm', freshness: { deadline: '07:00', timezone: 'UTC' } })
    const p = await setup({ assets: [crm, load, dashboard] }, '2026-03-01T05:00:00Z')
    try {
      await mkdir(join(p.dir, 'crm'), { recursive: true })
      await writeFile(join(p.dir, 'crm/a.csv'), 'id\n1\n')
      const { utimes } = await import('node:fs/promises')
      await utimes(join(p.dir, 'crm/a.csv'), p.clock.now(), p.clock.now())
      await p.instance.materialize()
      p.clock.set('2026-03-02T05:30:00Z') // the next export has not landed; the deadline is 07:00
      const report = await p.daemon().runOnce()
      const verdict = report.forecast.sla.get('dash/board')!
      assert.equal(verdict.state, 'at_risk')
      assert.equal(verdict.dueAt!.toISOString(), '2026-03-02T07:00:00.000Z')
      p.clock.set('2026-03-02T07:05:00Z')
      assert.equal((await p.daemon().runOnce()).forecast.sla.get('dash/board')!.state, 'late')
    } finally {
      await p.close()
    }
  })
})

describe('automation daemon: restart mid-tick', () => {
  test('a tick claimed by a daemon that died before starting its run is taken over, once', async () => {
    const p = await setup({ assets: [noop('jobs/a')], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'jobs/a' })] })
    try {
      await p.daemon().runOnce()
      p.clock.set('2026-03-02T05:00:30Z')
      // The daemon claims 05:00 and dies before it starts the run (as a SIGKILL between the two would leave it).
      assert.equal(await p.automation.claimTick('schedule:hourly@2026-03-02T05:00:00.000Z', 'dead-daemon', p.clock.now()), true)
      assert.equal((await p.daemon('restarted').runOnce()).fired.length, 0, 'too soon to presume the claimer dead')
      p.clock.set('2026-03-02T05:07:00Z')
      const report = await p.daemon('restarted').runOnce()
      assert.deepEqual(report.fired.map((f) => f.by), ['schedule:hourly'])
      assert.match(report.fired[0]!.reason, /05:00:00/)
      p.clock.set('2026-03-02T05:20:00Z')
      assert.equal((await p.daemon('another').runOnce()).fired.length, 0, 'a completed tick is never fired again')
      assert.equal((await p.instance.store.listRuns()).length, 1)
    } finally {
      await p.close()
    }
  })
})

describe('automation daemon: the loop on the clock', () => {
  test('each tick of the loop is announced on the instance events: what it fired, and why a tick failed (with what it had fired)', async () => {
    let polls = 0
    const flaky = pollSensor({
      name: 'flaky', selection: 'jobs/p',
      poll: () => {
        if (++polls === 2) throw new Error('vendor API down')
        return { cursor: null, request: false }
      },
    })
    const p = await setup({ assets: [noop('jobs/a'), noop('jobs/p')], schedules: [defineSchedule({ name: 'hourly', cron: '0 * * * *', selection: 'jobs/a' })], sensors: [flaky] })
    const stop = new AbortController()
    try {
      const first = nextEvent(p.instance.events, 'tick_done')
      const loop = p.daemon().start({ interval: '1m', signal: stop.signal })
      assert.deepEqual(await first, { type: 'tick_done', at: new Date('2026-03-02T04:00:00Z'), holder: 'daemon-a', fired: [], error: null })
      // The loop waits on the clock: the next tick comes when the test moves time, not before.
      await p.clock.timersSet(1)
      const second = nextEvent(p.instance.events, 'tick_done')
      p.clock.advance(3_600_000)
      const failed = await second
      assert.equal(failed.error, 'vendor API down')
      assert.deepEqual(failed.fired.map((f) => f.by), ['schedule:hourly'], 'the schedule fired before the sensor failed the tick')
      await runFinished(p.instance, failed.fired[0]!.runId!)
      await p.clock.timersSet(1)
      const third = nextEvent(p.instance.events, 'tick_done')
      p.clock.advance(60_000)
      assert.deepEqual(await third, { type: 'tick_done', at: new Date('2026-03-02T05:01:00Z'), holder: 'daemon-a', fired: [], error: null }, 'the loop goes on after a failed tick')
      stop.abort()
      await loop
    } finally {
      stop.abort()
      await p.close()
    }
  })
})
