import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { runAutomationDemo } from '../examples/revenue/automation-demo.js'
import { tempDir } from './helpers/temp-project.js'

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'revenue')

test('the automated late-CRM night: one at-risk alert to team:crm before 07:00, one breach after, one resolution once the dashboard rebuilt by itself; nobody else paged', async () => {
  const temp = await tempDir('revenue-automation-')
  try {
    await cp(join(EXAMPLE, 'tributary.config.ts'), join(temp.dir, 'tributary.config.ts'))
    await cp(join(EXAMPLE, 'assets'), join(temp.dir, 'assets'), { recursive: true })
    const result = await runAutomationDemo(temp.dir)
    const describe = result.alerts.map((a) => `${a.at.toISOString()} ${a.event} ${a.condition} ${a.assetKey} ${a.owner}`)

    assert.ok(result.alerts.every((a) => a.owner === 'team:crm'), `no alert to any other owner: ${describe.join('; ')}`)
    assert.equal(result.alerts.length, 3, describe.join('; '))
    const [atRisk, breach, resolution] = result.alerts

    assert.equal(atRisk!.event, 'opened')
    assert.equal(atRisk!.condition, 'sla_at_risk')
    assert.equal(atRisk!.assetKey, 'dashboards/revenue')
    assert.ok(atRisk!.at.getTime() < result.deadline.getTime(), 'at risk before the 07:00 deadline')
    assert.match(atRisk!.text, /^dashboards\/revenue 07:00 deadline at risk: landing\/crm_(accounts|opportunities) is .*late \(team:crm\)/)

    assert.equal(breach!.event, 'opened')
    assert.equal(breach!.condition, 'sla_breached')
    assert.equal(breach!.assetKey, 'dashboards/revenue')
    assert.ok(breach!.at.getTime() >= result.deadline.getTime(), 'breached at or after the deadline')
    assert.ok(breach!.at.getTime() < result.exportLandedAt.getTime())
    assert.match(breach!.text, /07:00 deadline breached: landing\/crm_\w+ is 2h late \(team:crm\)/)

    assert.equal(resolution!.event, 'resolved')
    assert.equal(resolution!.incidentId, breach!.incidentId)
    assert.ok(resolution!.at.getTime() > result.exportLandedAt.getTime(), 'resolved after the export landed')
    assert.match(resolution!.text, /^recovered: dashboards\/revenue meets its freshness SLA again/)

    // The dashboard rebuilt by itself: an automation-triggered run after the export landed built it.
    assert.equal(result.dashboard.ready, true)
    const rebuild = result.runs.find((r) => r.runId === result.dashboard.runId)
    assert.equal(rebuild?.trigger, 'automation', JSON.stringify(result.runs))
    assert.equal(rebuild?.status, 'succeeded')
    assert.ok(result.dashboard.updatedAt!.getTime() > result.exportLandedAt.getTime())
    assert.ok(resolution!.at.getTime() >= result.dashboard.updatedAt!.getTime())
    // The nightly schedule ran at 05:00 and could not build the CRM-fed assets.
    assert.deepEqual(result.runs.map((r) => [r.trigger, r.status]), [['schedule:nightly', 'failed'], ['automation', 'succeeded']])
  } finally {
    await temp.cleanup()
  }
})
