// Main-thread side of the layout: measures labels, asks the worker, caches answers per graph shape.
import type { ApiLineage } from '../api'
import { openLayoutCache, readLayout, writeLayout } from './layout-cache'
import type { LayoutEngine, LayoutRequest, LayoutResponse } from './layout-types'

export const NODE_HEIGHT = 34
export const LABEL_FONT = '500 12.5px -apple-system, BlinkMacSystemFont, "Segoe UI", Inter, Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif'
const MIN_WIDTH = 110
/** The widest node; a longer label is cut to fit. */
export const MAX_NODE_WIDTH = 250
/** Left padding (status dot) + right padding. */
const PADDING = 38

export interface GraphLayout {
  readonly keys: readonly string[]
  readonly index: ReadonlyMap<string, number>
  /** x, y, width per node; height is NODE_HEIGHT. */
  readonly x: Float64Array
  readonly y: Float64Array
  readonly w: Float64Array
  /** Edges as index pairs. */
  readonly edges: Int32Array
  readonly width: number
  readonly height: number
  /** How long the worker took to lay it out, ms (0 when it was kept from an earlier visit). */
  readonly ms: number
  readonly engine: LayoutEngine
  /** True when it was kept in the browser from an earlier visit (IndexedDB), not laid out now. */
  readonly cached: boolean
}

let worker: Worker | undefined
let nextId = 1
const waiting = new Map<number, { resolve: (r: LayoutResponse) => void; reject: (e: Error) => void }>()
const cache = new Map<string, GraphLayout>()

function getWorker(): Worker {
  if (worker) return worker
  worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'lineage-layout' })
  worker.onmessage = (message: MessageEvent<LayoutResponse>) => {
    const pending = waiting.get(message.data.id)
    if (!pending) return
    waiting.delete(message.data.id)
    if (message.data.error) pending.reject(new Error(message.data.error))
    else pending.resolve(message.data)
  }
  worker.onerror = (event) => {
    for (const pending of waiting.values()) pending.reject(new Error(event.message || 'the layout worker failed'))
    waiting.clear()
    worker?.terminate()
    worker = undefined
  }
  return worker
}

const shapes = new WeakMap<ApiLineage, string>()

/** Starts the layout worker and opens the kept layouts ahead of the first layout, while the page fetches the graph. */
export function warmLayout(): void {
  getWorker()
  void openLayoutCache()
}

/** Same nodes and edges in the same order: the same picture. Hashed once per fetched graph. */
export function shapeOf(lineage: ApiLineage): string {
  const known = shapes.get(lineage)
  if (known) return known
  let hash = 2166136261
  // FNV-1a over each key and a separator, without building the joined strings (5,000 keys: ~1 MB of text).
  const mix = (text: string, separator: number) => {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619)
    hash = Math.imul(hash ^ separator, 16777619)
  }
  for (const node of lineage.nodes) mix(node.key, 10)
  for (const edge of lineage.edges) {
    mix(edge.from, 62)
    mix(edge.to, 10)
  }
  const shape = `${lineage.nodes.length}:${lineage.edges.length}:${hash >>> 0}`
  shapes.set(lineage, shape)
  return shape
}

let measurer: CanvasRenderingContext2D | null | undefined
const charWidths = new Map<number, number>()
const widths = new Map<string, number>()

/**
 * A node's width for its key's label: the label and padding, within MIN_WIDTH..MAX_NODE_WIDTH.
 * The label is measured as the sum of its characters' widths, each measured once: 5,000
 * measureText calls took ~70 ms of the main thread; kerning, left out, moves a label by a pixel.
 */
export function labelWidth(key: string): number {
  const known = widths.get(key)
  if (known !== undefined) return known
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d')
    if (measurer) measurer.font = LABEL_FONT
  }
  let text = 0
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i)
    let width = charWidths.get(code)
    if (width === undefined) {
      width = measurer ? measurer.measureText(key[i]!).width : 7
      charWidths.set(code, width)
    }
    text += width
  }
  const width = Math.min(MAX_NODE_WIDTH, Math.max(MIN_WIDTH, Math.ceil(text) + PADDING))
  widths.set(key, width)
  return width
}

/** A cached layout for this shape, if one was made already in this page. */
export function cachedLayout(lineage: ApiLineage): GraphLayout | undefined {
  return cache.get(shapeOf(lineage))
}

export async function layoutGraph(lineage: ApiLineage): Promise<GraphLayout> {
  const shape = shapeOf(lineage)
  const hit = cache.get(shape)
  if (hit) return hit
  const keys = lineage.nodes.map((n) => n.key)
  const index = new Map(keys.map((k, i) => [k, i]))
  const widths = new Float64Array(keys.length)
  keys.forEach((key, i) => (widths[i] = labelWidth(key)))
  const edgeList: number[] = []
  for (const edge of lineage.edges) {
    const from = index.get(edge.from)
    const to = index.get(edge.to)
    if (from !== undefined && to !== undefined) edgeList.push(from, to)
  }
  const edges = Int32Array.from(edgeList)
  const kept = await readLayout(shape, widths)
  const response = kept ? { ...kept, ms: 0 } : await askWorker(widths, edges)
  const x = new Float64Array(keys.length)
  const y = new Float64Array(keys.length)
  for (let i = 0; i < keys.length; i++) {
    x[i] = response.positions[i * 2]!
    y[i] = response.positions[i * 2 + 1]!
  }
  const engine = response.engine ?? 'elk'
  if (!kept) void writeLayout(shape, { widths, positions: response.positions, width: response.width, height: response.height, engine })
  const layout: GraphLayout = { keys, index, x, y, w: widths, edges, width: response.width, height: response.height, ms: response.ms, engine, cached: Boolean(kept) }
  if (cache.size > 8) cache.delete(cache.keys().next().value!)
  cache.set(shape, layout)
  return layout
}

function askWorker(widths: Float64Array, edges: Int32Array): Promise<LayoutResponse> {
  const id = nextId++
  const request: LayoutRequest = { id, widths: widths.slice(), height: NODE_HEIGHT, edges: edges.slice() }
  return new Promise<LayoutResponse>((resolve, reject) => {
    waiting.set(id, { resolve, reject })
    getWorker().postMessage(request, [request.widths.buffer, request.edges.buffer])
  })
}
