import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contractColumns, contractProblems } from '../model/contract.js'
import { contractBreaches } from './contract-check.js'

const contract = { columns: contractColumns({ columns: { id: { type: 'int', nullable: false }, amount: 'decimal', segment: { type: 'text' } } }), exact: false }

test('a schema that keeps the contract has no breaches (aliases and DECIMAL precision understood)', () => {
  assert.deepEqual(contractBreaches(contract, [{ name: 'ID', type: 'INTEGER' }, { name: 'amount', type: 'DECIMAL(12,2)' }, { name: 'segment', type: 'VARCHAR' }, { name: 'extra', type: 'DATE' }]), [])
})

test('each offending column has its own reason: missing, retyped, nulls; unexpected with exact', () => {
  const breaches = contractBreaches({ ...contract, exact: true }, [{ name: 'id', type: 'INTEGER' }, { name: 'amount', type: 'VARCHAR' }, { name: 'note', type: 'VARCHAR' }], new Map([['id', 3]]))
  assert.deepEqual(breaches.map((b) => b.reason), [
    'id has 3 null(s); the contract says not null',
    'amount is VARCHAR; the contract says decimal',
    'segment is missing; the contract guarantees it (text)',
    'note (VARCHAR) is not in the exact contract',
  ])
})

test('contract definitions are validated', () => {
  assert.deepEqual(contractProblems(undefined), [])
  assert.match(contractProblems({ columns: {} })[0]!, /lists no columns/)
  assert.deepEqual(contractProblems({ columns: { id: { type: '' }, ok: { type: 'int', nullable: 'no' } } }), ['column id has no type', 'nullable of column ok must be true or false'])
})
