import assert from 'node:assert/strict'
import { test } from 'node:test'
import { referencedColumns } from './schema-breaks.js'
import { breakingChange, describeSchemaChange } from './schema-change.js'

test('referencedColumns finds column names as whole words, bare or quoted, in any case', () => {
  const sql = 'select c.ID, "Amount", sum(amount_eur) as total from landing.crm c where region_code = 1 group by 1, 2'
  assert.deepEqual(referencedColumns(sql, ['id', 'amount', 'region', 'eur', 'region_code', 'total']), ['id', 'amount', 'region_code', 'total'])
  assert.deepEqual(referencedColumns('select * from landing.crm', ['amount']), [], 'a star reads no column by name')
})

test('breakingChange: removed and retyped columns break, added ones alone do not', () => {
  const shape = (fingerprint: string, columns: [string, string][]) => ({ schemaFingerprint: fingerprint, columns: columns.map(([name, type]) => ({ name, type })) })
  const before = shape('a', [['id', 'INTEGER'], ['amount', 'INTEGER']])
  assert.equal(breakingChange(before, shape('b', [['id', 'INTEGER'], ['amount', 'INTEGER'], ['region', 'VARCHAR']])), undefined)
  const change = breakingChange(before, shape('c', [['id', 'VARCHAR'], ['amount_eur', 'INTEGER']]))!
  assert.equal(describeSchemaChange(change), 'removed amount; retyped id INTEGER → VARCHAR; added amount_eur')
  assert.equal(breakingChange(undefined, before), undefined, 'nothing to compare with')
})
