// Layouts kept in the browser (IndexedDB) across visits, so reopening the lineage of a graph whose
// shape has not changed skips the layout. Best effort: any failure is a miss, never an error.
import type { LayoutEngine } from './layout-types'

/** What is kept of one layout: node i's top-left corner at positions[2i], positions[2i+1]. */
export interface StoredLayout {
  /** The node widths it was made for: a layout for other widths (another font) is not used. */
  readonly widths: Float64Array
  readonly positions: Float64Array
  readonly width: number
  readonly height: number
  readonly engine: LayoutEngine
}

interface Row extends StoredLayout {
  readonly key: string
  readonly storedAt: number
}

const DATABASE = 'tributary-lineage'
const STORE = 'layouts'
/** Layouts kept; the oldest go first. Default: 20 (a 5,000-node one is ~120 kB). */
const KEEP = 20
/** A slower IndexedDB counts as a miss: the worker lays the graph out meanwhile anyway. Default: 250 ms. */
const READ_TIMEOUT_MS = 250
// The bundle's own URL carries its content hash: a new build of the UI (maybe a new layout) starts afresh.
const VERSION = import.meta.url

let database: Promise<IDBDatabase | null> | undefined

/** Opens the store (once; later calls share it). Resolves to null where IndexedDB is unavailable. */
export function openLayoutCache(): Promise<IDBDatabase | null> {
  database ??= new Promise((resolve) => {
    try {
      const request = indexedDB.open(DATABASE, 1)
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' }).createIndex('storedAt', 'storedAt')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => resolve(null)
      request.onblocked = () => resolve(null)
    } catch {
      resolve(null)
    }
  })
  return database
}

function keyOf(shape: string): string {
  return `${VERSION}\n${shape}`
}

/** The layout kept for this shape and these widths, if any. */
export async function readLayout(shape: string, widths: Float64Array): Promise<StoredLayout | undefined> {
  const db = await openLayoutCache()
  if (!db) return undefined
  const row = await new Promise<Row | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS)
    try {
      const request = db.transaction(STORE, 'readonly').objectStore(STORE).get(keyOf(shape))
      request.onsuccess = () => {
        clearTimeout(timer)
        resolve(request.result as Row | undefined)
      }
      request.onerror = () => resolve(undefined)
    } catch {
      resolve(undefined)
    }
  })
  if (!row || row.widths.length !== widths.length || row.positions.length !== widths.length * 2) return undefined
  for (let i = 0; i < widths.length; i++) if (row.widths[i] !== widths[i]) return undefined
  return row
}

/** Keeps a layout for this shape, dropping the oldest beyond KEEP. */
export async function writeLayout(shape: string, layout: StoredLayout): Promise<void> {
  const db = await openLayoutCache()
  if (!db) return
  await new Promise<void>((resolve) => {
    try {
      const transaction = db.transaction(STORE, 'readwrite')
      const store = transaction.objectStore(STORE)
      const row: Row = { ...layout, key: keyOf(shape), storedAt: Date.now() }
      store.put(row)
      const counted = store.count()
      counted.onsuccess = () => {
        let extra = counted.result - KEEP
        if (extra <= 0) return
        const oldest = store.index('storedAt').openKeyCursor()
        oldest.onsuccess = () => {
          const cursor = oldest.result
          if (!cursor || extra-- <= 0) return
          store.delete(cursor.primaryKey)
          cursor.continue()
        }
      }
      transaction.oncomplete = () => resolve()
      transaction.onerror = () => resolve()
      transaction.onabort = () => resolve()
    } catch {
      resolve()
    }
  })
}
