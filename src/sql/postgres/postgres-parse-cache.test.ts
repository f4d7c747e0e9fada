import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ParseCache } from '../parse-cache.js'
import { analyzeStatements } from '../referenced-tables.js'
import { PostgresSqlAnalyzer } from './postgres-analyzer.js'

test("PostgreSQL analyses are kept in the cache file: a new process's analyzer parses nothing the file holds", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pg-parse-cache-'))
  try {
    const file = join(dir, 'sql-analysis.json')
    const sql = "select distinct on (id) id, payload #>> '{a,b}' as channel from raw.orders order by id"
    const first = await PostgresSqlAnalyzer.load(new ParseCache())
    const analysed = analyzeStatements([sql], { analyzer: first, cacheFile: file }).get(sql)!
    assert.equal(first.parsed, 1)
    assert.ok(analysed.ok)
    const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(stored), [ParseCache.key(first.dialect, sql)])

    const second = await PostgresSqlAnalyzer.load(new ParseCache())
    const again = analyzeStatements([sql], { analyzer: second, cacheFile: file }).get(sql)!
    assert.equal(second.parsed, 0, 'read from the file, not parsed')
    assert.deepEqual(again, analysed)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
