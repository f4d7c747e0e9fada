import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SqlAnalysis } from './sql-analysis.js'

/** The cache file's name inside the project's state directory. */
export const SQL_ANALYSIS_CACHE = 'sql-analysis.json'

// Bounds the file: entries not used by the latest validation are dropped beyond this many.
const MAX_ENTRIES = 50_000

/**
 * Analyses keyed by the hash of (dialect, statement), in memory and optionally in a JSON file
 * (`.tributary/sql-analysis.json`), so a warm validation never starts the parser.
 */
export class ParseCache {
  private readonly entries = new Map<string, SqlAnalysis>()
  private readonly loaded = new Set<string>()
  private dirty = false

  /** The cache key of a statement for a dialect. */
  static key(dialect: string, sql: string): string {
    return createHash('sha256').update(dialect).update('\0').update(sql).digest('base64url').slice(0, 24)
  }

  /** The analysis stored under key, if any. */
  get(key: string): SqlAnalysis | undefined {
    return this.entries.get(key)
  }

  /** Stores an analysis; the next save writes it. */
  set(key: string, analysis: SqlAnalysis): void {
    this.entries.set(key, analysis)
    this.dirty = true
  }

  /** Reads a cache file once per process; a missing or unreadable file is an empty cache (it is only a cache). */
  load(file: string): void {
    if (this.loaded.has(file)) return
    this.loaded.add(file)
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SqlAnalysis>
      for (const [key, analysis] of Object.entries(stored)) if (!this.entries.has(key)) this.entries.set(key, analysis)
    } catch {
      // Absent or corrupt: rebuilt by this validation.
    }
  }

  /** Writes the cache atomically when something new was stored, keeping `used` first when trimming. */
  save(file: string, used: ReadonlySet<string>): void {
    if (!this.dirty) return
    if (this.entries.size > MAX_ENTRIES) {
      for (const key of this.entries.keys()) {
        if (this.entries.size <= MAX_ENTRIES) break
        if (!used.has(key)) this.entries.delete(key)
      }
    }
    try {
      mkdirSync(dirname(file), { recursive: true })
      const temporary = `${file}.${process.pid}.tmp`
      writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.entries)))
      // Rename is atomic: a concurrent reader sees the old file or the new one, never half of one.
      renameSync(temporary, file)
      this.dirty = false
    } catch {
      // A read-only project directory only loses the warm start.
    }
  }
}
