// Shared pieces of the benchmarks: results, budgets, statistics and throwaway project directories.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { defineProject, Tributary, type AnyNode } from '../src/index.js'

/** A limit a figure must stay within: `max` for costs, `min` for rates. */
export type Budget = { readonly max: number } | { readonly min: number }

/** One row of the report, as written to bench/results/*.json. */
export interface BenchResult {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** The budget in words (`<= 1.25`, `>= 1000`), or null when the figure is only reported. */
  readonly budget: string | null
  /** null when there is no budget. */
  readonly withinBudget: boolean | null
}

/** A result row; with a budget it is judged, without one it is reported only. */
export function result(name: string, value: number, unit: string, budget?: Budget): BenchResult {
  if (!budget) return { name, value, unit, budget: null, withinBudget: null }
  if ('max' in budget) return { name, value, unit, budget: `<= ${budget.max}`, withinBudget: value <= budget.max }
  return { name, value, unit, budget: `>= ${budget.min}`, withinBudget: value >= budget.min }
}

/** A result row whose budget is strict (`< max`). */
export function resultBelow(name: string, value: number, unit: string, max: number): BenchResult {
  return { name, value, unit, budget: `< ${max}`, withinBudget: value < max }
}

/** The q-th quantile (0..1) of `values` by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length
}

/** Deterministic pseudo-random numbers, so every run builds the same graph. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` distinct indexes below `below`. */
export function pick(random: () => number, count: number, below: number): number[] {
  const chosen = new Set<number>()
  while (chosen.size < Math.min(count, below)) chosen.add(Math.floor(random() * below))
  return [...chosen]
}

/** Milliseconds `work` takes, with its value. */
export async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await work()
  return { ms: performance.now() - started, value }
}

/** Runs `work` in a fresh temporary directory that is removed afterwards, whatever happens. */
export async function inTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `tributary-bench-${prefix}-`))
  try {
    return await work(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Opens an instance over `assets` in a fresh temporary directory, hands it to `work`, then closes and removes it. */
export async function withInstance<T>(
  prefix: string,
  assets: readonly AnyNode[],
  options: { concurrency?: number },
  work: (instance: Tributary) => Promise<T>,
): Promise<T> {
  return inTempDir(prefix, async (projectDir) => {
    const project = defineProject({ name: `bench-${prefix}`, assets, ...(options.concurrency ? { concurrency: options.concurrency } : {}) })
    const instance = await Tributary.open({ projectDir, project })
    try {
      return await work(instance)
    } finally {
      await instance.close()
    }
  })
}

/** Rounds for display and JSON: 3 significant decimals for small figures, fewer for big ones. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  const abs = Math.abs(value)
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 4
  return Number(value.toFixed(digits))
}
