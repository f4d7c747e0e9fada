import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset } from '../model/asset.js'
import type { CheckContext, CheckDefinition } from '../model/check.js'
import { acceptedValues, check, customSql, metricChange, metricRange, notNull, recency, reconcile, relationships, rowCount, schema, unique, volumeChange } from './builtins.js'

const customers = defineAsset({ key: 'raw/customers', materialize: () => [] })

function assertShape(def: CheckDefinition, expected: { name: string; type: string; args?: Record<string, unknown>; references?: string[] }) {
  assert.equal(def.name, expected.name)
  assert.equal(def.type, expected.type)
  if (expected.args) assert.deepEqual({ ...def.args }, expected.args)
  assert.deepEqual([...def.references], expected.references ?? [])
  assert.deepEqual([...def.problems], [])
  assert.equal(def.severity, 'error')
  assert.equal(def.blocking, true)
  assert.ok(Object.isFrozen(def))
}

test('notNull and unique: names, types, column lists', () => {
  assertShape(notNull('id'), { name: 'not_null(id)', type: 'not_null', args: { columns: ['id'] } })
  assertShape(notNull(['a', 'b']), { name: 'not_null(a, b)', type: 'not_null', args: { columns: ['a', 'b'] } })
  assertShape(unique('opportunity_id'), { name: 'unique(opportunity_id)', type: 'unique', args: { columns: ['opportunity_id'] } })
  assertShape(unique(['account_id', 'day']), { name: 'unique(account_id, day)', type: 'unique', args: { columns: ['account_id', 'day'] } })
})

test('acceptedValues, rowCount, volumeChange, recency, schema: names and args', () => {
  assertShape(acceptedValues('stage', ['open', 'won', 'lost']), { name: 'accepted_values(stage)', type: 'accepted_values', args: { column: 'stage', values: ['open', 'won', 'lost'] } })
  assertShape(rowCount({ min: 1 }), { name: 'row_count(1..)', type: 'row_count', args: { min: 1, max: undefined } })
  assertShape(rowCount({ max: 10 }), { name: 'row_count(..10)', type: 'row_count' })
  assertShape(rowCount({ min: 0, max: 0 }), { name: 'row_count(0..0)', type: 'row_count' })
  assertShape(volumeChange({ maxDecrease: 0.5 }), { name: 'volume_change', type: 'volume_change', args: { maxDecrease: 0.5, maxIncrease: undefined } })
  assertShape(recency('updated_at', '26h'), { name: 'recency(updated_at)', type: 'recency', args: { column: 'updated_at', maxAge: '26h' } })
  assertShape(schema({ id: 'INTEGER', name: 'VARCHAR' }), { name: 'schema', type: 'schema', args: { columns: { id: 'INTEGER', name: 'VARCHAR' }, exact: false } })
  assert.equal(schema({ id: 'INTEGER' }, { exact: true }).args.exact, true)
})

test('relationships references its target by asset or by key', () => {
  assertShape(relationships('customer_id', { to: customers, field: 'id' }), {
    name: 'relationships(customer_id → raw/customers.id)',
    type: 'relationships',
    args: { column: 'customer_id', to: 'raw/customers', field: 'id' },
    references: ['raw/customers'],
  })
  assert.deepEqual([...relationships('customer_id', { to: 'raw/customers', field: 'id' }).references], ['raw/customers'])
})

test('customSql and check are named by their first argument unless overridden', async () => {
  assertShape(customSql('no_negative_amounts', 'select * from {{ this }} where amount < 0'), { name: 'no_negative_amounts', type: 'custom_sql', args: { sql: 'select * from {{ this }} where amount < 0' } })
  assert.equal(customSql('x', 'select * from {{ this }}', { name: 'y' }).name, 'y')
  const custom = check('positive_total', () => ({ passed: true }))
  assertShape(custom, { name: 'positive_total', type: 'custom', args: {} })
  assert.equal(check('a', () => ({ passed: true }), { name: 'b' }).name, 'b')
  // A synchronous evaluate is wrapped to return a promise.
  const outcome = await custom.evaluate!({} as CheckContext)
  assert.deepEqual(outcome, { passed: true })
  assert.equal(notNull('id').evaluate, undefined)
})

test('options: the name option overrides generated names', () => {
  assert.equal(unique('id', { name: 'pk' }).name, 'pk')
  assert.equal(rowCount({ min: 1 }, { name: 'not_empty' }).name, 'not_empty')
})

test('severity error blocks by default; warn does not; blocking can be set explicitly', () => {
  const makers: ((options?: { severity?: 'warn' | 'error'; blocking?: boolean }) => CheckDefinition)[] = [
    (o) => notNull('id', o),
    (o) => unique('id', o),
    (o) => acceptedValues('stage', ['open'], o),
    (o) => relationships('customer_id', { to: customers, field: 'id' }, o),
    (o) => rowCount({ min: 1 }, o),
    (o) => volumeChange({ maxIncrease: 2 }, o),
    (o) => recency('at', '1h', o),
    (o) => schema({ id: 'INTEGER' }, o),
    (o) => customSql('c', 'select * from {{ this }}', o),
    (o) => check('t', () => ({ passed: true }), o),
  ]
  for (const make of makers) {
    const byDefault = make()
    assert.equal(byDefault.severity, 'error', byDefault.name)
    assert.equal(byDefault.blocking, true, byDefault.name)
    const warn = make({ severity: 'warn' })
    assert.equal(warn.severity, 'warn', warn.name)
    assert.equal(warn.blocking, false, warn.name)
    assert.equal(make({ severity: 'warn', blocking: true }).blocking, true, warn.name)
    assert.equal(make({ severity: 'error', blocking: false }).blocking, false, warn.name)
    assert.deepEqual([...make({ severity: 'warn' }).problems], [], warn.name)
  }
})

test('an unknown severity is a problem', () => {
  const bad = notNull('id', { severity: 'fatal' as never })
  assert.deepEqual([...bad.problems], [`severity must be 'warn' or 'error', got "fatal"`])
})

test('column problems: empty lists and names that are not identifiers', () => {
  assert.deepEqual([...notNull([]).problems], ['name at least one column'])
  assert.deepEqual([...unique([]).problems], ['name at least one column'])
  assert.deepEqual([...notNull('').problems], ['"" is not a column name'])
  assert.deepEqual([...unique(['id', 'bad column', '1st']).problems], ['"bad column" is not a column name', '"1st" is not a column name'])
  assert.deepEqual([...notNull('a;drop').problems], ['"a;drop" is not a column name'])
})

test('acceptedValues needs a valid column and at least one value', () => {
  assert.deepEqual([...acceptedValues('stage', []).problems], ['list at least one accepted value'])
  assert.deepEqual([...acceptedValues('', ['a']).problems], ['"" is not a column name'])
  assert.deepEqual([...acceptedValues('stage', undefined as never).problems], ['list at least one accepted value'])
})

test('relationships needs a target and a valid field', () => {
  const noTarget = relationships('customer_id', { to: '', field: 'id' })
  assert.deepEqual([...noTarget.problems], ['`to` must be an asset or its key'])
  assert.deepEqual([...noTarget.references], [])
  assert.deepEqual([...relationships('customer_id', { to: customers, field: 'bad field' }).problems], ['"bad field" is not a column name'])
  assert.deepEqual([...relationships('customer_id', { to: customers, field: undefined as never }).problems], ['undefined is not a column name'])
})

test('rowCount problems: no bounds, negative or fractional bounds, min above max', () => {
  assert.deepEqual([...rowCount({}).problems], ['give min, max or both'])
  assert.deepEqual([...rowCount({ min: -1 }).problems], ['min must be a whole number ≥ 0, got -1'])
  assert.deepEqual([...rowCount({ max: 1.5 }).problems], ['max must be a whole number ≥ 0, got 1.5'])
  assert.deepEqual([...rowCount({ min: 5, max: 1 }).problems], ['min (5) is greater than max (1)'])
  assert.deepEqual([...rowCount({ min: Number.NaN }).problems], ['min must be a whole number ≥ 0, got NaN'])
})

test('volumeChange problems: no limits, out-of-range fractions', () => {
  assert.deepEqual([...volumeChange({}).problems], ['give maxDecrease, maxIncrease or both'])
  assert.deepEqual([...volumeChange({ maxDecrease: 1.5 }).problems], ['maxDecrease must be between 0 and 1, got 1.5'])
  assert.deepEqual([...volumeChange({ maxDecrease: -0.1 }).problems], ['maxDecrease must be between 0 and 1, got -0.1'])
  assert.deepEqual([...volumeChange({ maxIncrease: -1 }).problems], ['maxIncrease must be ≥ 0, got -1'])
  assert.deepEqual([...volumeChange({ maxDecrease: 0, maxIncrease: 5 }).problems], [])
})

test('recency, schema, customSql and check problems', () => {
  assert.deepEqual([...recency('updated_at', 'soon').problems], ['maxAge "soon" is not a duration'])
  assert.deepEqual([...recency('updated_at', 3_600_000).problems], [])
  assert.deepEqual([...schema({}).problems], ['name at least one column'])
  assert.deepEqual([...schema({ id: '' }).problems], ['type of id must be a type name'])
  assert.deepEqual([...customSql('c', 'select * from raw.t where x < 0').problems], ['the SQL must read the checked relation as {{ this }}'])
  assert.deepEqual([...check('c', 'nope' as never).problems], ['give an evaluate function'])
})

test('metricRange, metricChange, reconcile: names, args, references; bad arguments are problems, not throws', () => {
  assertShape(metricRange('sum(amount)', { min: 0, max: 1e6 }), { name: 'metric_range(sum(amount))', type: 'metric_range', args: { sql: 'sum(amount)', min: 0, max: 1e6 } })
  assertShape(metricChange('sum(amount)', { maxDecrease: 0.3 }), { name: 'metric_change(sum(amount))', type: 'metric_change', args: { sql: 'sum(amount)', maxDecrease: 0.3, maxIncrease: undefined } })
  assertShape(reconcile('sum(total)', { with: customers, sql: 'sum(amount)' }, { tolerance: 0.01 }), {
    name: 'reconcile(sum(total) = raw/customers.sum(amount))', type: 'reconcile', args: { sql: 'sum(total)', to: 'raw/customers', otherSql: 'sum(amount)', tolerance: 0.01 }, references: ['raw/customers'],
  })
  const problems = (def: CheckDefinition) => [...def.problems]
  assert.deepEqual(problems(metricRange('', { min: 1 })), ["give the metric as a SQL aggregate, e.g. 'sum(amount)'"])
  assert.deepEqual(problems(metricRange('sum(a); drop table x', { max: 1 })), ['the metric "sum(a); drop table x" must be one expression, without \';\''])
  assert.deepEqual(problems(metricRange('sum(a)', { min: 5, max: 1 })), ['min (5) is greater than max (1)'])
  assert.deepEqual(problems(metricRange('sum(a)', {})), ['give min, max or both'])
  assert.deepEqual(problems(metricChange('sum(a)', { maxDecrease: 2 })), ['maxDecrease must be between 0 and 1, got 2'])
  assert.deepEqual(problems(reconcile('sum(a)', { with: '' }, { tolerance: -1 })), ['`with` must be an asset or its key', 'tolerance must be a fraction ≥ 0, got -1'])
})
