import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import type { IncidentRecord } from '../src/store/automation-store.js'
import { createDeliverer } from '../src/alerts/deliverer.js'
import { cli } from './helpers/cli.js'
import { tempDir } from './helpers/temp-project.js'

const AT = new Date('2026-03-02T06:00:00Z')

describe('alerts: tributary incidents', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let late: IncidentRecord
  let failed: IncidentRecord

  before(async () => {
    ;({ dir, cleanup } = await tempDir('incidents-'))
    assert.equal(cli(['init', '--project', dir]).code, 0)
    // The daemon's side, done directly: two incidents in the project's automation store.
    const store = await SqliteAutomationStore.open(join(dir, '.tributary', 'metadata.sqlite'))
    await store.migrate()
    late = (await store.raiseIncident({
      assetKey: 'landing/orders', condition: 'source_late', severity: 'warning', owner: 'team:sales',
      message: 'landing/orders is late: last updated 30h 0m ago, older than maxAge 26h', affected: ['marts/daily_revenue'], at: AT,
    })).incident
    failed = (await store.raiseIncident({
      assetKey: 'raw/orders', condition: 'run_failed', severity: 'critical', owner: 'team:data', message: 'raw/orders failed: boom', affected: ['marts/daily_revenue'], at: AT,
    })).incident
    await store.close()
  })
  after(async () => cleanup())

  test('lists incidents newest first, filtered by status, as a table or JSON', () => {
    const json = cli(['incidents', '--project', dir, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const listed = JSON.parse(json.stdout) as IncidentRecord[]
    assert.deepEqual(listed.map((i) => [i.id, i.assetKey, i.condition, i.status, i.owner]), [
      [failed.id, 'raw/orders', 'run_failed', 'open', 'team:data'],
      [late.id, 'landing/orders', 'source_late', 'open', 'team:sales'],
    ])
    const plain = cli(['incidents', 'list', '--status', 'open', '--project', dir])
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^ID\s+STATUS\s+SEVERITY\s+CONDITION\s+ASSET\s+OWNER\s+OPENED\s+SEEN\s+MESSAGE/)
    assert.match(plain.stdout, new RegExp(`\\n${late.id}\\s+● open\\s+warning\\s+source_late\\s+landing/orders\\s+team:sales\\s+.*1×\\s+landing/orders is late`))
    assert.match(cli(['incidents', '--status', 'resolved', '--project', dir]).stdout, /no resolved incidents/)
  })

  test('ack stops escalation and names who; resolve closes with a message; both are idempotent', () => {
    const ack = cli(['incidents', 'ack', String(late.id), '--by', 'alice', '--project', dir])
    assert.equal(ack.code, 0, ack.stderr)
    assert.match(ack.stdout, new RegExp(`incident #${late.id} acknowledged by alice: source_late on landing/orders`))
    assert.match(cli(['incidents', 'ack', String(late.id), '--project', dir]).stdout, /already acknowledged by alice/)

    const resolve = cli(['incidents', 'resolve', String(late.id), '--message', 're-sent the export', '--project', dir, '--json'])
    assert.equal(resolve.code, 0, resolve.stderr)
    const resolved = JSON.parse(resolve.stdout) as IncidentRecord
    assert.deepEqual([resolved.status, resolved.resolution, resolved.acknowledgedBy], ['resolved', 're-sent the export', 'alice'])
    assert.match(cli(['incidents', 'resolve', String(late.id), '--message', 'again', '--project', dir]).stdout, /already resolved .*: re-sent the export/)

    const unresolved = JSON.parse(cli(['incidents', '--status', 'unresolved', '--project', dir, '--json']).stdout) as IncidentRecord[]
    assert.deepEqual(unresolved.map((i) => i.id), [failed.id])
  })

  test('unknown ids, resolved incidents and bad usage exit 2 with TRB6001', () => {
    const unknown = cli(['incidents', 'ack', '999', '--project', dir])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /TRB6001 no incident #999/)
    assert.match(unknown.stderr, /hint: List incidents/)
    const unknownJson = cli(['incidents', 'resolve', '999', '--message', 'x', '--project', dir, '--json'])
    assert.equal(unknownJson.code, 2)
    assert.equal((JSON.parse(unknownJson.stdout) as { error: { code: string } }).error.code, 'TRB6001')

    const ackResolved = cli(['incidents', 'ack', String(late.id), '--project', dir])
    assert.equal(ackResolved.code, 2)
    assert.match(ackResolved.stderr, /TRB6001 landing\/orders: incident #\d+ is resolved; there is nothing to acknowledge/)

    for (const args of [['resolve', String(failed.id)], ['ack', 'abc'], ['--status', 'closed'], ['frobnicate']]) {
      const result = cli(['incidents', ...args, '--project', dir])
      assert.equal(result.code, 2, `incidents ${args.join(' ')}`)
      assert.match(result.stderr, /TRB6001 /)
    }
    const stillOpen = JSON.parse(cli(['incidents', '--status', 'open', '--project', dir, '--json']).stdout) as IncidentRecord[]
    assert.deepEqual(stillOpen.map((i) => i.id), [failed.id], 'resolve without --message changed nothing')
  })

  test('deliveries: exhausted notifications are listed (table, JSON, and under every incidents listing); resolve tells the sinks', async () => {
    const store = await SqliteAutomationStore.open(join(dir, '.tributary', 'metadata.sqlite'))
    let paged: IncidentRecord
    try {
      // A pager that refuses everything, tried twice: the notification is exhausted, not dropped.
      paged = (await store.raiseIncident({
        assetKey: 'marts/daily_revenue', condition: 'sla_breached', severity: 'critical', owner: 'team:sales', message: 'marts/daily_revenue missed 07:00', affected: [], at: AT, notify: ['pager'],
      })).incident
      const refusing = { name: 'pager', send: () => Promise.reject(new Error('pager answered HTTP 503')) }
      await createDeliverer({ store, sinks: [refusing], attempts: 2, backoffMs: 1 }).drain()
    } finally {
      await store.close()
    }

    const json = cli(['incidents', 'deliveries', '--status', 'exhausted', '--project', dir, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const [entry, ...more] = JSON.parse(json.stdout) as { incidentId: number; assetKey: string; sink: string; event: string; status: string; attempts: number; lastError: string; attemptLog: { attempt: number; ok: boolean; error: string }[] }[]
    assert.equal(more.length, 0)
    assert.deepEqual([entry!.incidentId, entry!.assetKey, entry!.sink, entry!.event, entry!.status, entry!.attempts, entry!.lastError], [paged.id, 'marts/daily_revenue', 'pager', 'opened', 'exhausted', 2, 'pager answered HTTP 503'])
    assert.deepEqual(entry!.attemptLog.map((a) => [a.attempt, a.ok, a.error]), [[1, false, 'pager answered HTTP 503'], [2, false, 'pager answered HTTP 503']])
    const plain = cli(['incidents', 'deliveries', '--project', dir])
    assert.match(plain.stdout, new RegExp(`^ID\\s+INCIDENT\\s+EVENT\\s+SINK\\s+STATUS\\s+ATTEMPTS\\s+WHEN\\s+LAST ERROR\\n\\d+\\s+#${paged.id} marts/daily_revenue\\s+opened\\s+pager\\s+✗ exhausted\\s+2\\s+.*pager answered HTTP 503`))
    assert.match(cli(['incidents', '--project', dir]).stdout, /1 notification could not be delivered: tributary incidents deliveries --status exhausted/)
    assert.equal(cli(['incidents', 'deliveries', '--status', 'lost', '--project', dir]).code, 2)
    assert.equal(cli(['incidents', '--deliveries', '--status', 'exhausted', '--project', dir, '--json']).stdout, json.stdout, '--deliveries is the subcommand')

    // The project's sinks (the default log sink) hear of a resolve by hand.
    const resolve = cli(['incidents', 'resolve', String(paged.id), '--message', 'rebuilt by hand', '--project', dir])
    assert.equal(resolve.code, 0, resolve.stderr)
    assert.match(resolve.stdout, /announced to log/)
    assert.match(resolve.stderr, new RegExp(`incident #${paged.id} resolved: .*marts/daily_revenue`))
    const mine = JSON.parse(cli(['incidents', 'deliveries', String(paged.id), '--project', dir, '--json']).stdout) as { event: string; sink: string; status: string }[]
    assert.deepEqual(mine.map((d) => [d.event, d.sink, d.status]), [['resolved', 'log', 'delivered'], ['opened', 'pager', 'exhausted']])
  })
})
