import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyzeStatements } from './referenced-tables.js'
import { SQL_CORPUS } from './sql-corpus.js'

test(`DuckDB's parser reads the exact tables, files and column lineage of ${SQL_CORPUS.length} realistic statements`, () => {
  assert.ok(SQL_CORPUS.length >= 40)
  const analyses = analyzeStatements(SQL_CORPUS.map((entry) => entry.sql))
  const wrong = SQL_CORPUS.flatMap((entry) => {
    const analysis = analyses.get(entry.sql)!
    if (!analysis.ok) return [`${entry.name}: refused: ${analysis.message}`]
    const tables = analysis.tables.map((t) => `${t.schema ?? '-'}.${t.name}`)
    const expected = { tables: [...entry.tables].sort(), files: [...(entry.files ?? [])].sort() }
    const wrongReads = JSON.stringify({ tables, files: analysis.files }) === JSON.stringify(expected) ? [] : [`${entry.name}: read ${JSON.stringify({ tables, files: analysis.files })}, expected ${JSON.stringify(expected)}`]
    if (!entry.columns) return wrongReads
    const columns = analysis.columns.map((c) => [`${c.name}${c.except ? `-${c.except.join(',')}` : ''}`, c.sources.map((s) => `${s.table}.${s.column}:${s.kind}${s.ambiguous ? '?' : ''}`)])
    const filters = analysis.filters.map((f) => `${f.table}.${f.column}`).sort()
    const lineage = JSON.stringify({ columns, filters }) === JSON.stringify({ columns: entry.columns, filters: [...(entry.filters ?? [])].sort() }) ? [] : [`${entry.name}: lineage ${JSON.stringify({ columns, filters })}`]
    return [...wrongReads, ...lineage]
  })
  assert.deepEqual(wrong, [])
})
