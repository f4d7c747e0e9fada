// A backfill that stopped short can be finished by other runs: a repair run that rebuilt the
// failed day counts, so the page says what is really left, not what its own runs left.
import { useEffect, useRef, useState } from 'react'
import { api, keyPath, withQuery, type ApiAssetDetail, type ApiPartitionStatus, type ApiRunDetail, type ApiStep } from './api'
import type { BackfillGroup, Progress } from './backfills'
import { useLiveEvents } from './live'

/** How a step is named in a set of repairs. */
export const stepKey = (assetKey: string, partition: string | null) => `${assetKey}\0${partition ?? ''}`

/**
 * The steps of a stopped backfill (its latest state per asset and partition) that did not
 * succeed there but whose asset partition a later run has published since, by step key.
 * Empty while it runs or once it succeeded; refetched when a run finishes.
 */
export function useRepairs(group: BackfillGroup, steps: ReadonlyMap<string, readonly ApiStep[]> | undefined): ReadonlySet<string> {
  const [repaired, setRepaired] = useState<ReadonlySet<string>>(new Set())
  const [generation, setGeneration] = useState(0)
  useLiveEvents((event) => {
    if (event.type === 'run_finished') setGeneration((g) => g + 1)
  })
  const stopped = group.status === 'failed' || group.status === 'canceled' || group.status === 'paused'
  const open = stopped && steps ? [...steps.values()].flat().filter((step) => step.status !== 'succeeded') : []
  const signature = open.map((step) => stepKey(step.assetKey, step.partition)).join(' ')
  useEffect(() => {
    if (open.length === 0) return setRepaired(new Set())
    const controller = new AbortController()
    const stoppedAt = Date.parse(group.latest.run.finishedAt ?? group.latest.run.startedAt)
    const published = async (assetKey: string): Promise<Map<string, number>> => {
      // When each partition (or the unpartitioned asset, under '') was last published.
      const at = new Map<string, number>()
      const partitioned = open.some((step) => step.assetKey === assetKey && step.partition !== null)
      if (partitioned) {
        const status = await api.get<ApiPartitionStatus>(withQuery('/api/partitions', { key: assetKey }), controller.signal)
        for (const p of status.partitions) if (p.lastUpdated && p.status !== 'failed') at.set(p.key, Date.parse(p.lastUpdated))
      } else {
        const detail = await api.get<ApiAssetDetail>(`/api/assets/${keyPath(assetKey)}`, controller.signal)
        if (detail.lastUpdated && detail.status !== 'failed') at.set('', Date.parse(detail.lastUpdated))
      }
      return at
    }
    const assets = [...new Set(open.map((step) => step.assetKey))]
    Promise.all(assets.map(async (key) => [key, await published(key)] as const)).then(
      (entries) => {
        const byAsset = new Map(entries)
        const found = new Set<string>()
        for (const step of open) {
          const at = byAsset.get(step.assetKey)?.get(step.partition ?? '')
          const settled = step.finishedAt ? Date.parse(step.finishedAt) : stoppedAt
          if (at !== undefined && at > settled) found.add(stepKey(step.assetKey, step.partition))
        }
        setRepaired(found)
      },
      () => undefined, // Without the answer the page shows the backfill's own runs, as before.
    )
    return () => controller.abort()
  }, [signature, generation, group.latest.run.id])
  return repaired
}

/**
 * The group as it stands once repairs count: repaired steps move from failed, skipped or left to
 * succeeded, and a backfill with nothing left is succeeded ("repaired" says how many).
 */
export function withRepairs(group: BackfillGroup, steps: ReadonlyMap<string, readonly ApiStep[]>, repaired: ReadonlySet<string>): BackfillGroup {
  if (repaired.size === 0) return group
  const moved = (list: readonly ApiStep[]) => list.filter((step) => repaired.has(stepKey(step.assetKey, step.partition)))
  const all = moved([...steps.values()].flat())
  const assets = group.assets.map((asset) => ({ ...asset, ...shift(asset, moved(steps.get(asset.key) ?? [])) }))
  const progress = shift(group.progress, all)
  const done = progress.total - progress.succeeded === 0
  return { ...group, progress, assets, repaired: all.length, ...(done ? { status: 'succeeded' as const } : {}) }
}

function shift(progress: Progress, repairedSteps: readonly ApiStep[]): Progress {
  let { succeeded, failed, skipped, remaining, done } = progress
  for (const step of repairedSteps) {
    succeeded++
    if (step.status === 'failed' || step.status === 'blocked') failed--
    else if (step.status === 'skipped') skipped--
    else {
      remaining--
      done++
    }
  }
  return { ...progress, succeeded, failed: Math.max(0, failed), skipped: Math.max(0, skipped), remaining: Math.max(0, remaining), done: Math.min(done, progress.total) }
}

/** Each asset's steps over the backfill's runs, the latest state of each partition, refetched as its progress moves; nothing while not `enabled`. */
export function useStepsByAsset(group: BackfillGroup, enabled = true): ReadonlyMap<string, readonly ApiStep[]> | undefined {
  const [steps, setSteps] = useState<ReadonlyMap<string, readonly ApiStep[]>>()
  // Runs that ended do not change: fetched once.
  const ended = useRef(new Map<string, ApiRunDetail>())
  const signature = group.runs.map(({ run, done, counts }) => `${run.id}:${run.status}:${done}:${counts.running}`).join(' ')
  useEffect(() => {
    if (!enabled) return
    const controller = new AbortController()
    const load = async (runId: string) => {
      const known = ended.current.get(runId)
      if (known) return known
      const detail = await api.get<ApiRunDetail>(`/api/runs/${encodeURIComponent(runId)}`, controller.signal)
      if (detail.run.finishedAt) ended.current.set(runId, detail)
      return detail
    }
    Promise.all(group.runs.map(({ run }) => load(run.id))).then(
      (details) => {
        const latest = new Map<string, ApiStep>()
        // A resumed run holds only what was left, so a later run's step is the newer news.
        for (const detail of details) for (const step of detail.steps) latest.set(`${step.assetKey}\0${step.partition ?? ''}`, step)
        const byAsset = new Map<string, ApiStep[]>()
        for (const step of latest.values()) byAsset.set(step.assetKey, [...(byAsset.get(step.assetKey) ?? []), step])
        for (const list of byAsset.values()) list.sort((a, b) => (a.partition ?? '').localeCompare(b.partition ?? ''))
        setSteps(byAsset)
      },
      () => undefined, // The bars above still tell the story; the squares come with the next change.
    )
    return () => controller.abort()
  }, [signature, enabled])
  return steps
}
