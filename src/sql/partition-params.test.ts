import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bindPartitionParams } from './partition-params.js'

test('partition placeholders become literals; without a partition they are NULL', () => {
  const sql = 'select * from raw.p where day = {{ partition_key }} and at >= {{partition_start}} and at < {{  partition_end  }}'
  assert.equal(
    bindPartitionParams(sql, { key: '2026-03-01', start: new Date('2026-02-28T23:00:00Z'), end: new Date('2026-03-01T23:00:00Z') }),
    "select * from raw.p where day = '2026-03-01' and at >= TIMESTAMP '2026-02-28 23:00:00.000' and at < TIMESTAMP '2026-03-01 23:00:00.000'",
  )
  assert.equal(bindPartitionParams(sql, null), 'select * from raw.p where day = NULL and at >= NULL and at < NULL')
  assert.equal(bindPartitionParams("select {{ partition_key }}", { key: "o'brien", start: null, end: null }), "select 'o''brien'")
  assert.equal(bindPartitionParams('select {{ this }}', null), 'select {{ this }}', 'other placeholders are left alone')
})
