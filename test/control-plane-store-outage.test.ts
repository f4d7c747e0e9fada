// A control plane whose PostgreSQL store goes out of reach for a moment (a restart, a failover):
// its statements are tried again where that is safe (postgres({ retryFor })), the outage is told
// on the instance's events, and the run goes on. Real PostgreSQL, a real outage (the database
// closed to connections, its sessions ended).
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { defineProject } from '../src/model/project.js'
import type { StoreOutage } from '../src/store/store.js'
import { postgres } from '../src/store/store-config.js'
import { Tributary } from '../src/instance/tributary.js'
import { createDatabase, POSTGRES_SERVER, query } from './helpers/postgres-database.js'
import { poll } from './helpers/poll.js'
import { tempDir } from './helpers/temp-project.js'

async function cutOff(name: string): Promise<void> {
  await query(`${POSTGRES_SERVER}/postgres`, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
  await query(`${POSTGRES_SERVER}/postgres`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name])
}

const letIn = (name: string) => query(`${POSTGRES_SERVER}/postgres`, `ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)

describe('a control plane whose store goes out of reach for a moment', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  })

  // A project whose step `held` runs until the test writes `go`, and whose downstream `after` reads it.
  async function open(retryFor: string) {
    const database = await createDatabase()
    const { dir, cleanup } = await tempDir('cp-outage-')
    cleanups.push(database.drop, cleanup)
    const held = defineAsset({
      key: 'held', io: 'none', async materialize() {
        await writeFile(join(dir, 'started'), '')
        while (!existsSync(join(dir, 'go'))) await new Promise((resolve) => setTimeout(resolve, 20))
      },
    })
    const downstream = defineAsset({ key: 'after', io: 'none', ins: { held }, materialize: () => undefined })
    const instance = await Tributary.open({
      projectDir: dir,
      project: defineProject({ name: 'outage', assets: [held, downstream], store: postgres({ url: database.url, retryFor }) }),
      settings: { readinessTimeoutMs: 0, readinessPollMs: 10, heartbeatMs: 200 },
    })
    cleanups.push(() => instance.close())
    const told: StoreOutage[] = []
    instance.events.on('store_unreachable', (outage) => told.push(outage))
    instance.events.on('store_reachable', (outage) => told.push(outage))
    // A run whose step `held` runs, and ends while the store is closed.
    const runThroughOutage = async () => {
      const run = instance.start()
      await poll('the step to start', async () => (existsSync(join(dir, 'started')) ? true : undefined))
      await cutOff(database.name)
      await writeFile(join(dir, 'go'), '')
      return run
    }
    return { database, instance, told, runThroughOutage }
  }

  test('a step ending while the store is closed is recorded once it opens again, and the run succeeds; the outage and its end are told', async () => {
    const { database, instance, told, runThroughOutage } = await open('1m')
    const run = await runThroughOutage()
    // The step's end cannot be written: it is tried again, and the outage told.
    await poll('the outage to be told', async () => (told.length > 0 ? true : undefined))
    assert.equal(told[0]!.type, 'store_unreachable')
    assert.match(told[0]!.type === 'store_unreachable' ? told[0]!.message : '', /^TRB4020: the PostgreSQL store \S+ cannot be reached: .*not currently accepting connections/)
    await letIn(database.name)
    const result = await run.done
    assert.equal(result.status, 'succeeded', JSON.stringify(await instance.store.listSteps(run.runId)))
    assert.deepEqual(told.map((o) => o.type), ['store_unreachable', 'store_reachable'])
    const steps = await instance.store.listSteps(run.runId)
    assert.deepEqual(steps.map((s) => [s.assetKey, s.status, s.attempt]).sort(), [['after', 'succeeded', 1], ['held', 'succeeded', 1]])
  })

  test("with retryFor '0s' the same outage fails the run (TRB4020), as before", async () => {
    const { database, told, runThroughOutage } = await open('0s')
    const run = await runThroughOutage()
    await assert.rejects(run.done, /TRB4020/)
    assert.deepEqual(told, [])
    await letIn(database.name)
  })
})
