import assert from 'node:assert/strict'
import { test } from 'node:test'
import { referencedTables } from './referenced-tables.js'

test('finds joined tables, subqueries and IN-subqueries', () => {
  const sql = `select a.segment, sum(o.amount) from raw.opportunities o join raw.accounts a using (account_id)
    where o.id in (select id from raw.flags) group by 1`
  assert.deepEqual(referencedTables(sql), [
    { schema: 'raw', name: 'accounts' },
    { schema: 'raw', name: 'flags' },
    { schema: 'raw', name: 'opportunities' },
  ])
})

test('CTE names are not tables, but what they read is', () => {
  const sql = `with paid as (select * from raw.payments where status = 'paid') select * from paid join staging.fx on true`
  assert.deepEqual(referencedTables(sql), [
    { schema: 'raw', name: 'payments' },
    { schema: 'staging', name: 'fx' },
  ])
})

test('unqualified tables keep a null schema', () => {
  assert.deepEqual(referencedTables('select * from orders'), [{ schema: null, name: 'orders' }])
})

test('a syntax error reports TRB1005 with line and column', () => {
  assert.throws(
    () => referencedTables('select *\nform raw.t', 'marts/x'),
    (error: any) => error.code === 'TRB1005' && error.context.position.line === 2 && /marts\/x/.test(error.message),
  )
})

test('anything but one SELECT is rejected', () => {
  assert.throws(() => referencedTables('delete from raw.t'), /exactly one SELECT/)
  assert.throws(() => referencedTables('select 1; select 2'), /exactly one SELECT/)
})
