// Backlog offers (run-executor): in a forced run on queue workers, a step launched while more steps
// are ready than slots are free offers its worker its share of that backlog, each step after the
// one before; a step its worker kept is adopted in that slot, one it did not goes back to the queue,
// and a slot free with nothing else ready takes a held step back. The workers here are a stand-in
// that keeps every offered step (as a worker that can run it does).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planRun } from '../src/engine/plan.js'
import { executeRun } from '../src/engine/run-executor.js'
import type { RemoteAttempt, RemoteOutcome } from '../src/execution/executor.js'
import { defineAsset, type AnyNode } from '../src/model/asset.js'
import { remoteDeps, remoteExecutor } from './helpers/remote-executor.js'
import { openProject } from './helpers/temp-project.js'
import { poll } from './helpers/poll.js'

// Independent no-op assets (all ready at once), and a stand-in for the workers: each attempt ends
// at once (or when `hold` lets it), keeping the step it was offered, as its completion would.
// `keeps` false: workers that keep nothing (stopping, say). `hold`: attempts that end only when their promise settles; `handedOffAnyway`: what an attempt says
// it kept whatever it was offered; `onStart`: told each attempt's step as it starts.
async function backlogRun(keys: readonly string[], options: {
  concurrency: number; force: boolean; hold?: Readonly<Record<string, Promise<void>>>; handedOffAnyway?: Readonly<Record<string, string>>; onStart?: (key: string) => void
  keeps?: boolean
}) {
  // A key `up>key` is an asset reading `up` (defined before it).
  const made = new Map<string, AnyNode>()
  for (const spec of keys) {
    const [up, key] = spec.includes('>') ? spec.split('>') as [string, string] : [undefined, spec]
    made.set(key, defineAsset({ key, io: 'none', ...(up ? { ins: { up: made.get(up)! } } : {}), materialize: () => undefined }))
  }
  const assets = [...made.values()]
  const project = await openProject({ assets }, { settings: { concurrency: options.concurrency } })
  const started: string[] = []
  const adopted: string[] = []
  const ifQueued: string[] = []
  const offered = new Map<string, string>()
  let running = 0
  let most = 0
  const attempt = async (kind: string[], a: RemoteAttempt): Promise<RemoteOutcome> => {
    kind.push(a.assetKey)
    if (a.ifQueued) ifQueued.push(a.assetKey)
    if (a.next) offered.set(a.assetKey, a.next.assetKey)
    most = Math.max(most, ++running)
    options.onStart?.(a.assetKey)
    await options.hold?.[a.assetKey]
    running--
    const kept = options.handedOffAnyway?.[a.assetKey] ?? (options.keeps === false ? undefined : a.next?.assetKey)
    return { status: 'succeeded', durationMs: 0, published: { dataVersion: `v-${a.assetKey}`, rowCount: 1 }, ...(kept ? { handedOff: { assetKey: kept, partition: null } } : {}) }
  }
  try {
    const remote = remoteExecutor({
      runAttempt: (a) => attempt(started, a),
      startAttempt: async (a) => ({ acquired: true, holder: a.runId, stale: false, outcome: attempt(started, a) }),
      adoptAttempt: (a) => attempt(adopted, a),
    })
    const deps = await remoteDeps(project.instance, project.dir, remote)
    const result = await executeRun(deps, planRun(project.instance.graph, [...made.keys()]), { runId: `r-${keys.length}-${options.force}`, trigger: 'test', force: options.force })
    return { result, started, adopted, offered, most, ifQueued }
  } finally {
    await project.close()
  }
}

test('a forced run offers the backlog: each launched step its share, one after the other; kept steps are adopted in its slot, each step runs once, never more at once than the concurrency', async () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f']
  const { result, started, adopted, offered, most } = await backlogRun(keys, { concurrency: 2, force: true })
  assert.equal(result.status, 'succeeded')
  assert.equal(result.counts.succeeded, 6)
  assert.deepEqual([...started, ...adopted].sort(), keys)
  // a takes a slot with 5 ready and 1 slot left: 4 wait whatever happens, its share is 2, from the
  // back of the queue (e, then f); b takes the last slot: d waits behind it; c is left for the first
  // slot whose chain ends.
  assert.deepEqual(started, ['a', 'b', 'c'])
  assert.deepEqual(adopted.sort(), ['d', 'e', 'f'])
  assert.deepEqual(Object.fromEntries(offered), { a: 'e', e: 'f', b: 'd' })
  assert.ok(most <= 2, `${most} attempts at once`)
})

test('steps held for one its worker did not keep go back to the head of the queue, in order: each runs once, started by the control plane', async () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f']
  const { result, started, adopted, offered, most } = await backlogRun(keys, { concurrency: 2, force: true, keeps: false })
  assert.equal(result.status, 'succeeded')
  assert.deepEqual(adopted, [])
  assert.deepEqual([...started].sort(), keys)
  // e and f were held for a, d for b: back at the head of the queue (before c) as the first of them ends.
  assert.deepEqual(started.slice(0, 2), ['a', 'b'])
  assert.ok(['d', 'e'].includes(started[2]!), `third started: ${started[2]}`)
  assert.ok(offered.size > 0)
  assert.ok(most <= 2, `${most} attempts at once`)
})

test('a run that is not forced offers only steps an upstream published in the run feeds (the completion can tell they are not up to date); the others are decided here', async () => {
  const roots = await backlogRun(['a', 'b', 'c', 'd'], { concurrency: 2, force: false })
  assert.equal(roots.result.status, 'succeeded')
  assert.deepEqual(roots.started.sort(), ['a', 'b', 'c', 'd'])
  assert.equal(roots.offered.size, 0)
  const fed = await backlogRun(['u', 'u>a', 'u>b', 'u>c', 'u>d'], { concurrency: 2, force: false })
  assert.equal(fed.result.status, 'succeeded')
  assert.equal(fed.result.counts.succeeded, 5)
  assert.deepEqual([...fed.started, ...fed.adopted].sort(), ['a', 'b', 'c', 'd', 'u'])
  assert.ok(fed.adopted.length > 0, `adopted: ${fed.adopted.join(', ')}`)
  assert.ok(fed.most <= 2, `${fed.most} attempts at once`)
})

test('a slot free with nothing else ready takes back the step held for a running one; that one saying it kept it anyway (a race lost) is not adopted twice', async () => {
  let release: () => void = () => undefined
  const slow = new Promise<void>((resolve) => (release = resolve))
  // aslow takes a slot with b and c ready and 1 slot left: c is held for it; b takes the last slot
  // and ends; with nothing ready, its slot takes c back, which runs while aslow still runs.
  let cStarted = false
  const run = backlogRun(['aslow', 'b', 'c'], { concurrency: 2, force: true, hold: { aslow: slow }, handedOffAnyway: { aslow: 'c' }, onStart: (key) => void (cStarted ||= key === 'c') })
  // Should c wait for aslow instead (no take-back), aslow is let go after a while: c is then adopted, and the test fails on that.
  await poll('c started while aslow runs', async () => (cStarted ? true : undefined), 10_000, 5).catch(() => undefined)
  release()
  const { result, started, adopted, offered, ifQueued } = await run
  assert.equal(result.status, 'succeeded')
  assert.equal(result.counts.succeeded, 3)
  assert.deepEqual(offered, new Map([['aslow', 'c']]))
  assert.deepEqual(started, ['aslow', 'b', 'c'])
  assert.deepEqual(adopted, [])
  assert.deepEqual(ifQueued, ['c'], 'the step taken back is enqueued only if still queued')
})
