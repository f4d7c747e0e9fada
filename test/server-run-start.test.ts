// A run the API accepts is a run recorded: while another process holds the warehouse, POST
// /api/runs still answers 202, and GET /api/runs/{id} shows the run failed with TRB5001. The asset
// writes a table, so its run needs the warehouse (a run of io:'none' assets never opens it).
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defineAsset } from '../src/model/asset.js'
import { serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))

describe('server: a run that cannot start', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  let holder: ChildProcess | undefined
  const logs: string[] = []
  before(async () => {
    p = await openProject({ assets: [defineAsset({ key: 'ops/heartbeat', materialize: () => [{ beat: 1 }] })] })
    s = await serveInstance(p.instance, { log: (line) => logs.push(line) })
    // Another process holds the warehouse file, as a CLI materialize would.
    const script = join(p.dir, 'hold.mts')
    await writeFile(script, `
      import { DuckDbWarehouse } from ${JSON.stringify(new URL('../src/warehouse/duckdb/index.ts', import.meta.url).href)}
      const warehouse = await DuckDbWarehouse.open(${JSON.stringify(join(p.instance.stateDir, 'warehouse.duckdb'))})
      console.log('ready')
      process.stdin.resume()
      process.stdin.on('end', async () => { await warehouse.close(); process.exit(0) })
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] })
    holder = child
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())
      child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)))
    })
  })
  after(async () => {
    if (holder && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder!.on('exit', resolve))
      holder.kill('SIGKILL')
      await exited
    }
    await s?.server.close()
    await p?.close()
  })

  test('202, then the run is there, failed with the lock error, and run_finished was announced', async () => {
    const started = await s.api.post('/api/runs', { body: { selection: 'ops/heartbeat' } })
    assert.equal(started.status, 202, started.text)
    const runId = started.body.runId as string
    // Answered only once recorded: no waiting, no 404 window.
    const run = await s.api.get(`/api/runs/${runId}`)
    assert.equal(run.status, 200, run.text)
    assert.equal(run.body.run.status, 'failed')
    assert.equal(run.body.run.error.code, 'TRB5001')
    assert.match(run.body.run.error.message, /locked/)
    assert.equal(run.body.run.trigger, 'api')
    assert.equal(run.body.run.selection, 'ops/heartbeat')
    const listed = await s.api.get('/api/runs')
    assert.deepEqual(listed.body.map((r: { id: string }) => r.id), [runId])
    assert.ok(logs.some((line) => line.includes(`run ${runId} could not run`)), 'logged for the operator')
  })
})
