import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyzeStatements } from './referenced-tables.js'
import { SQL_CORPUS } from './sql-corpus.js'

test(`DuckDB's parser reads the exact tables and files of ${SQL_CORPUS.length} realistic statements`, () => {
  assert.ok(SQL_CORPUS.length >= 40)
  const analyses = analyzeStatements(SQL_CORPUS.map((entry) => entry.sql))
  const wrong = SQL_CORPUS.flatMap((entry) => {
    const analysis = analyses.get(entry.sql)!
    if (!analysis.ok) return [`${entry.name}: refused: ${analysis.message}`]
    const tables = analysis.tables.map((t) => `${t.schema ?? '-'}.${t.name}`)
    const expected = { tables: [...entry.tables].sort(), files: [...(entry.files ?? [])].sort() }
    return JSON.stringify({ tables, files: analysis.files }) === JSON.stringify(expected) ? [] : [`${entry.name}: read ${JSON.stringify({ tables, files: analysis.files })}, expected ${JSON.stringify(expected)}`]
  })
  assert.deepEqual(wrong, [])
})
