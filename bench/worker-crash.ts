// What a crashing asset costs on the process pool: its worker dies (SIGKILL from inside), the
// step fails, the control plane stays up, and the next step runs on a replacement worker. Measured
// from the moment of death, as the dying worker wrote it, to the next step's code starting.
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { defineAsset, type ProgressEvent } from '../src/index.js'
import { quantile, result, type BenchResult } from './harness.js'
import { withPoolInstance } from './pool-project.js'

const RUNS = 5

// Epoch milliseconds with sub-millisecond precision, comparable across processes of one machine.
const EPOCH_NOW = 'performance.timeOrigin + performance.now()'

// One function for both assets (the pool project shares it): `a_crash` notes the time and kills
// its own worker; `b_next` notes when its code starts.
const MATERIALIZE = `async (_inputs, ctx) => {
  const { writeFileSync } = await import('node:fs')
  if (ctx.assetKey === 'a_crash') {
    writeFileSync(ctx.projectDir + '/died-at', String(${EPOCH_NOW}))
    process.kill(process.pid, 'SIGKILL')
    await new Promise(() => undefined)
  }
  writeFileSync(ctx.projectDir + '/next-started-at', String(${EPOCH_NOW}))
}`

/** Death of a worker → the crashed step recorded failed, and → the next step's code starting, at concurrency 1 (so the next step needs the replacement worker). */
export async function workerCrash(): Promise<BenchResult[]> {
  const assets = [
    defineAsset({ key: 'a_crash', io: 'none', materialize: () => undefined }),
    defineAsset({ key: 'b_next', io: 'none', materialize: () => undefined }),
  ]
  return withPoolInstance('crash', assets, MATERIALIZE, { concurrency: 1 }, async (instance, projectDir) => {
    const failedAfter: number[] = []
    const nextAfter: number[] = []
    // A first run loads the worker, as a control plane that has been up a while has.
    await instance.materialize('b_next')
    for (let run = 0; run < RUNS; run++) {
      await rm(join(projectDir, 'died-at'), { force: true })
      await rm(join(projectDir, 'next-started-at'), { force: true })
      let failedAt = Number.NaN
      const onProgress = (event: ProgressEvent) => {
        if (event.type === 'step' && event.key === 'a_crash' && event.status === 'failed') failedAt = performance.timeOrigin + performance.now()
      }
      const outcome = await instance.materialize(undefined, { onProgress })
      if (outcome.counts.failed !== 1 || outcome.counts.succeeded !== 1) throw new Error(`crash run ended ${JSON.stringify(outcome.counts)}`)
      const diedAt = Number(await readFile(join(projectDir, 'died-at'), 'utf8'))
      const nextAt = Number(await readFile(join(projectDir, 'next-started-at'), 'utf8'))
      // With one slot the next step can only start after the crash: anything else measures nothing.
      if (!(nextAt > diedAt && failedAt > diedAt)) throw new Error(`b_next started before a_crash died (${nextAt} ≤ ${diedAt})`)
      failedAfter.push(failedAt - diedAt)
      nextAfter.push(nextAt - diedAt)
    }
    return [
      result(`worker crash (pool, c=1): death → crashed step recorded failed, median of ${RUNS}`, quantile(failedAfter, 0.5), 'ms'),
      result(`worker crash (pool, c=1): death → next step's code starting (one worker restart), median of ${RUNS}`, quantile(nextAfter, 0.5), 'ms'),
      result(`worker crash (pool, c=1): death → next step's code starting, worst of ${RUNS}`, quantile(nextAfter, 1), 'ms'),
    ]
  })
}
