import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import type { GraphNode } from '../graph/asset-graph.js'
import type { ObservationRecord } from '../store/records.js'
import type { WarehouseSession } from '../warehouse/warehouse.js'
import { compileGlob, type FileGlob } from '../graph/file-glob.js'

/** Reading CSVs to count rows stops being worth it past this many bytes in total. */
const COUNT_ROWS_UP_TO_BYTES = 64 * 1024 * 1024

/** Looks at a source now: does it exist, when did it change, how many rows, which columns. */
export async function observeSource(
  node: GraphNode,
  options: { projectDir: string; now: Date; previous: ObservationRecord | undefined; session: () => Promise<WarehouseSession> },
): Promise<ObservationRecord & { readonly files: readonly string[] }> {
  const def = node.def
  if (def.type !== 'source') throw new Error(`${node.key} is not a source`)
  if (def.observe.type === 'files') {
    const files = await matchFiles(options.projectDir, def.observe.pattern)
    return { ...(await observeFiles(node.key, files, options.now)), files }
  }
  const session = await options.session()
  try {
    const relation = node.relation!
    if (!(await session.relationExists(relation))) {
      return { sourceKey: node.key, observedAt: options.now, exists: false, lastUpdated: null, dataVersion: null, rowCount: null, schemaFingerprint: null, columns: null, files: [] }
    }
    const { columns, rowCount, dataVersion } = await session.inspect(relation)
    // A table has no modification time we can trust; it changed when its content hash changed.
    const changed = options.previous?.dataVersion !== dataVersion
    return {
      sourceKey: node.key, observedAt: options.now, exists: true,
      lastUpdated: changed || !options.previous?.lastUpdated ? options.now : options.previous.lastUpdated,
      dataVersion, rowCount, columns, schemaFingerprint: fingerprint(columns.map((c) => `${c.name}:${c.type}`)), files: [],
    }
  } finally {
    await session.close()
  }
}

// Compiled once per pattern: a run matches a files source's glob for every step that reads it.
const globs = new Map<string, FileGlob>()

/** Absolute paths of the files matching a glob (see compileGlob: `*`, `?`, `**`, braces), sorted. Throws TRB2011 for a bad glob. */
export async function matchFiles(projectDir: string, pattern: string): Promise<string[]> {
  let glob = globs.get(pattern)
  if (!glob) globs.set(pattern, (glob = compileGlob(pattern)))
  const found = new Set<string>()
  for (const base of glob.bases) {
    const dir = resolve(projectDir, base)
    let entries: string[]
    try {
      // Only a glob with wildcards above the file name needs the whole tree under its base.
      entries = (await readdir(dir, { recursive: glob.deep })).map((entry) => entry.split(sep).join('/'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue
      throw error
    }
    for (const entry of entries) if (glob.matches(base === '' ? entry : `${base}/${entry}`)) found.add(join(dir, entry))
  }
  return [...found].sort()
}

async function observeFiles(sourceKey: string, files: readonly string[], now: Date): Promise<ObservationRecord> {
  if (files.length === 0) {
    return { sourceKey, observedAt: now, exists: false, lastUpdated: null, dataVersion: null, rowCount: null, schemaFingerprint: null, columns: null }
  }
  const stats = await Promise.all(files.map((file) => stat(file)))
  const version = createHash('sha256')
  let lastUpdated = 0
  let bytes = 0
  for (const [index, info] of stats.entries()) {
    version.update(`${files[index]}\0${info.size}\0${info.mtimeMs}\n`)
    lastUpdated = Math.max(lastUpdated, info.mtimeMs)
    bytes += info.size
  }
  const csv = files.every((file) => file.toLowerCase().endsWith('.csv'))
  let rowCount: number | null = null
  let columns: { name: string; type: string }[] | null = null
  if (csv) {
    const headers = new Set<string>()
    let rows = 0
    for (const file of files) {
      const { header, lines } = await scanCsv(file, bytes <= COUNT_ROWS_UP_TO_BYTES)
      for (const column of header) headers.add(column)
      rows += Math.max(0, lines - 1)
    }
    rowCount = bytes <= COUNT_ROWS_UP_TO_BYTES ? rows : null
    columns = [...headers].map((name) => ({ name, type: 'VARCHAR' }))
  }
  return {
    sourceKey, observedAt: now, exists: true, lastUpdated: new Date(lastUpdated), dataVersion: version.digest('hex').slice(0, 16),
    rowCount, columns, schemaFingerprint: columns ? fingerprint(columns.map((c) => c.name)) : null,
  }
}

async function scanCsv(file: string, countLines: boolean): Promise<{ header: string[]; lines: number }> {
  let header: string[] | undefined
  let lines = 0
  let first = ''
  let lastByte = 10
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    if (header === undefined) {
      first += chunk.toString('utf8')
      const end = first.indexOf('\n')
      if (end >= 0) header = first.slice(0, end).replace(/\r$/, '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
    }
    if (!countLines && header) break
    for (const byte of chunk) if (byte === 10) lines++
    lastByte = chunk[chunk.length - 1] ?? lastByte
  }
  if (lastByte !== 10) lines++
  return { header: header ?? (first.trim() === '' ? [] : first.replace(/\r?\n?$/, '').split(',')), lines: countLines ? lines : 0 }
}

function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}
