// A run looks at a source once per readiness poll interval, not once per step that reads it; a
// step still waiting looks again at its next poll, so data landing meanwhile is seen.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { defineSource, files } from '../src/model/source.js'
import { ManualClock } from '../src/engine/clock.js'
import { openProject } from './helpers/temp-project.js'

const landing = defineSource({ key: 'landing/events', observe: files('landing/*.csv') })
const readers = [1, 2, 3].map((i) => defineAsset({ key: `raw/r${i}`, io: 'none', ins: { landing }, materialize: () => undefined }))

test('three steps reading one source within a poll interval: one look, recorded once; the next run looks again', async () => {
  const clock = new ManualClock('2026-03-01T05:00:00Z')
  const p = await openProject({ assets: [landing, ...readers], concurrency: 1 }, { clock, settings: { readinessPollMs: 60_000 } })
  try {
    await mkdir(join(p.dir, 'landing'), { recursive: true })
    await writeFile(join(p.dir, 'landing', 'a.csv'), 'id\n1\n')
    const looks = async () => (await p.instance.store.listEvents({ limit: 10_000 })).filter((e) => e.type === 'observation').length
    assert.equal((await p.instance.materialize()).status, 'succeeded')
    assert.equal(await looks(), 1)
    assert.equal((await p.instance.materialize(undefined, { force: true })).status, 'succeeded')
    assert.equal(await looks(), 2, 'each run looks for itself')
  } finally {
    await p.close()
  }
})

test('a step waiting for a source looks again at each poll and starts once the data lands', async () => {
  const p = await openProject({ assets: [landing, readers[0]!] }, { settings: { readinessTimeoutMs: 60_000, readinessPollMs: 20 } })
  try {
    const run = p.instance.materialize()
    // Missing until a file matches: the step records that it waits, then starts when the file is there.
    await new Promise<void>((resolve) => {
      const off = p.instance.subscribe((event) => {
        if (event.type === 'step' && event.status === 'waiting') {
          off()
          resolve()
        }
      })
    })
    await mkdir(join(p.dir, 'landing'), { recursive: true })
    await writeFile(join(p.dir, 'landing', 'a.csv'), 'id\n1\n')
    const result = await run
    assert.equal(result.status, 'succeeded')
  } finally {
    await p.close()
  }
})
