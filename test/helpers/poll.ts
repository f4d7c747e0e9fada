import type { Tributary } from '../../src/instance/tributary.js'
import type { RunRecord } from '../../src/store/records.js'
import type { Store } from '../../src/store/store.js'

/** Calls `probe` until it gives a value (not undefined), every `everyMs`; throws naming `what` after `timeoutMs`. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** The id of the newest run of `store` once its step of `key` (and `partition`) is running. */
export async function runningStep(store: Store, key: string, partition: string | null = null, timeoutMs = 60_000): Promise<string> {
  return poll(`${key}${partition ? ` ${partition}` : ''} to run`, async () => {
    const run = (await store.listRuns({ limit: 1 }).catch(() => []))[0]
    const steps = run ? await store.listSteps(run.id).catch(() => []) : []
    return steps.find((s) => s.assetKey === key && s.partition === partition)?.status === 'running' ? run!.id : undefined
  }, timeoutMs, 50)
}

/** Resolves with the run once it has ended (on the instance's run_finished event, or at once if it already has); throws after `timeoutMs`. */
export async function runFinished(instance: Tributary, runId: string, timeoutMs = 30_000): Promise<RunRecord> {
  let unsubscribe: () => unknown = () => undefined
  let timer: NodeJS.Timeout | undefined
  const finished = new Promise<void>((resolve, reject) => {
    unsubscribe = instance.subscribe((event) => {
      if (event.type === 'run_finished' && event.runId === runId) resolve()
    })
    timer = setTimeout(() => reject(new Error(`run ${runId} did not finish in ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    const run = await instance.store.getRun(runId)
    if (!run || run.status === 'running') await finished
    return (await instance.store.getRun(runId))!
  } finally {
    clearTimeout(timer)
    unsubscribe()
  }
}
