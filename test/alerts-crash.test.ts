// kill -9 in the middle of a delivery: the notification is in the store, and the next process delivers it (resolves too).
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { AlertsConfig } from '../src/model/alerts.js'
import { SqliteAutomationStore } from '../src/store/sqlite/sqlite-automation-store.js'
import { receiver } from './helpers/alert-world.js'

const CHILD = join(import.meta.dirname, 'helpers', 'alert-child.ts')

describe('alerts: delivery survives kill -9', () => {
  let dir: string
  let hook: Awaited<ReturnType<typeof receiver>>
  let current: ChildProcess | undefined
  const children: ChildProcess[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trb-alert-crash-'))
    // 1st request fails, the 2nd and 4th arrive and their process is killed before any answer, the rest succeed.
    hook = await receiver([500, 'hang', 200, 'hang', 200], (_, index) => {
      if (index === 1 || index === 3) current?.kill('SIGKILL')
    })
  })
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await hook.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the alert child to its end; resolves with how it ended and what it printed. */
  function runChild(mode: 'late' | 'fresh' | 'resolve', config: AlertsConfig, incidentId?: number) {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, join(dir, 'metadata.sqlite'), mode, JSON.stringify(config), ...(incidentId ? [String(incidentId)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    current = child
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  }

  test('a webhook that fails, then is cut off by SIGKILL mid-delivery, still gets the opened and the resolve-by-hand, once each, under one id', async () => {
    const config: AlertsConfig = { sinks: [{ type: 'webhook', name: 'slack', url: hook.url }], delivery: { backoff: '100ms', timeout: '2s' } }

    // Process 1 opens the incident: attempt 1 answered 500, attempt 2 in flight when it is killed.
    const first = await runChild('late', config)
    assert.equal(first.signal, 'SIGKILL', first.stderr)
    assert.equal(hook.received.length, 2)

    const store = await SqliteAutomationStore.open(join(dir, 'metadata.sqlite'))
    try {
      const pending = (await store.listOutbox())[0]!
      assert.deepEqual([pending?.event, pending?.status, pending?.attempts], ['opened', 'pending', 2], 'the notification outlived the process')

      // Process 2: the same problem (no new incident); it takes over the dead process's attempt once its lease ends.
      const second = await runChild('late', config)
      assert.equal(second.code, 0, second.stderr)
      assert.deepEqual(JSON.parse(second.stdout), { delivered: 1, retrying: 0, exhausted: 0 })
      assert.deepEqual(hook.events(), ['opened', 'opened', 'opened'])
      const deliveries = await store.listDeliveries(pending.incidentId)
      assert.deepEqual(deliveries.map((d) => [d.event, d.attempt, d.ok]), [['opened', 1, false], ['opened', 2, false], ['opened', 3, true]])
      assert.equal(deliveries[0]!.error, 'webhook answered HTTP 500: try later')
      assert.match(deliveries[1]!.error!, /^interrupted: .* stopped before the attempt ended$/)

      // Process 3 resolves by hand and is killed while announcing it; process 4 (a tick) announces it.
      const third = await runChild('resolve', config, pending.incidentId)
      assert.equal(third.signal, 'SIGKILL', third.stderr)
      assert.equal((await store.getIncident(pending.incidentId))?.status, 'resolved', 'the resolve was committed with its notification')
      const fourth = await runChild('fresh', config)
      assert.equal(fourth.code, 0, fourth.stderr)
      assert.deepEqual(JSON.parse(fourth.stdout), { delivered: 1, retrying: 0, exhausted: 0 })

      assert.deepEqual(hook.events(), ['opened', 'opened', 'opened', 'resolved', 'resolved'])
      assert.equal(hook.received[4]!.body.tributary.incident.resolution, 're-sent the CRM export')
      const ids = hook.received.map((r) => r.deliveryId)
      assert.equal(new Set(ids.slice(0, 3)).size, 1, 'retries of the opened carry one delivery id')
      assert.equal(new Set(ids.slice(3)).size, 1, 'retries of the resolved carry one delivery id')
      assert.deepEqual(await store.countOutbox(), { pending: 0, delivered: 2, exhausted: 0 })
      assert.equal((await store.listIncidents()).length, 1)
    } finally {
      await store.close()
    }
  })
})
