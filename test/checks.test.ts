import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { acceptedValues, check, customSql, notNull, recency, relationships, rowCount, schema, unique, volumeChange } from '../src/checks/builtins.js'
import { evaluateCheck, type CheckEvaluationContext } from '../src/checks/evaluate.js'
import type { CheckDefinition, CheckOutcome } from '../src/model/check.js'
import { ErrorCode, TributaryError } from '../src/model/errors.js'
import { DuckDbWarehouse } from '../src/warehouse/duckdb/index.js'
import type { WarehouseSession } from '../src/warehouse/warehouse.js'

const root = await mkdtemp(join(tmpdir(), 'tributary-checks-'))
after(() => rm(root, { recursive: true, force: true }))

const NOW = new Date('2024-06-01T12:00:00Z')
const STAGING = '"raw"."__trb_stage_orders"'

let counter = 0
/** A fresh warehouse holding raw.accounts and a staged raw.orders; closed when the test ends. */
async function fixture(t: { after: (fn: () => Promise<void>) => void }): Promise<WarehouseSession> {
  const warehouse = await DuckDbWarehouse.open(join(root, `case-${++counter}`, 'warehouse.duckdb'))
  t.after(() => warehouse.close())
  const session = await warehouse.session()
  await session.createFromRows({ schema: 'raw', name: 'accounts' }, [
    { id: 1, name: 'Acme' },
    { id: 2, name: "O'Brien & Co" },
    { id: 3, name: 'Globex' },
  ])
  await session.createFromRows({ schema: 'raw', name: '__trb_stage_orders' }, [
    { id: 1, account_id: 1, stage: 'open', owner: "O'Brien", amount: 10.5, updated_at: new Date('2024-06-01T11:00:00Z') },
    { id: 2, account_id: 2, stage: 'won', owner: 'ann', amount: 20, updated_at: new Date('2024-06-01T10:00:00Z') },
    { id: 3, account_id: null, stage: 'lost', owner: 'bob', amount: 5, updated_at: new Date('2024-05-31T09:00:00Z') },
    { id: 4, account_id: 9, stage: 'pending', owner: null, amount: 7, updated_at: null },
    { id: 4, account_id: null, stage: null, owner: 'cy', amount: 1, updated_at: null },
  ])
  return session
}

function context(session: WarehouseSession, overrides: Partial<CheckEvaluationContext> = {}): CheckEvaluationContext {
  return {
    relation: STAGING,
    assetKey: 'raw/orders',
    warehouse: session,
    previousRowCount: undefined,
    now: NOW,
    resolveRelation: (key) => (key === 'raw/accounts' ? '"raw"."accounts"' : undefined),
    ...overrides,
  }
}

async function evaluate(session: WarehouseSession, definition: CheckDefinition, overrides: Partial<CheckEvaluationContext> = {}): Promise<CheckOutcome> {
  assert.deepEqual(definition.problems, [], `fixture check ${definition.name} is invalid`)
  return evaluateCheck(definition, context(session, overrides))
}

const ids = (outcome: CheckOutcome) => (outcome.sample ?? []).map((row) => row.id).sort()

describe('row checks', () => {
  test('not_null counts rows with nulls and samples them', async (t) => {
    const session = await fixture(t)
    assert.deepEqual(await evaluate(session, notNull('id')), { passed: true, failingRows: 0, sample: [], message: 'no rows have null id' })
    const one = await evaluate(session, notNull('account_id'))
    assert.equal(one.passed, false)
    assert.equal(one.failingRows, 2)
    assert.equal(one.message, '2 rows have null account_id')
    assert.deepEqual(ids(one), [3, 4])
    assert.deepEqual(Object.keys(one.sample![0]!), ['id', 'account_id', 'stage', 'owner', 'amount', 'updated_at'])
    const many = await evaluate(session, notNull(['stage', 'owner']))
    assert.equal(many.failingRows, 2)
    assert.equal(many.message, '2 rows have a null in stage or owner')
  })

  test('unique reports duplicated keys with their occurrences, ignoring null keys', async (t) => {
    const session = await fixture(t)
    assert.deepEqual(await evaluate(session, unique('owner')), { passed: true, failingRows: 0, sample: [], message: 'no duplicated owner values' })
    assert.deepEqual(await evaluate(session, unique('id')), {
      passed: false, failingRows: 2, sample: [{ id: 4, occurrences: 2 }], message: '2 rows share 1 duplicated id value',
    })
    // Rows 3 and 5 share a null account_id; a null is not a duplicate.
    assert.equal((await evaluate(session, unique('account_id'))).passed, true)
    assert.equal((await evaluate(session, unique(['id', 'stage']))).passed, true)
    await session.exec(`insert into ${STAGING} values (1, 1, 'open', 'zed', 1, null), (2, 5, 'won', 'x', 1, null)`)
    const pairs = await evaluate(session, unique(['id', 'stage']))
    assert.equal(pairs.failingRows, 4)
    assert.equal(pairs.message, '4 rows share 2 duplicated (id, stage) combinations')
    assert.deepEqual(pairs.sample!.map((row) => [row.id, row.stage, row.occurrences]).sort(), [[1, 'open', 2], [2, 'won', 2]])
  })

  test('accepted_values binds values as parameters, so quotes are data', async (t) => {
    const session = await fixture(t)
    const passing = await evaluate(session, acceptedValues('stage', ['open', 'won', 'lost', 'pending']))
    assert.deepEqual(passing, { passed: true, failingRows: 0, sample: [], message: 'no rows have stage outside the accepted values' })
    const failing = await evaluate(session, acceptedValues('stage', ['open', 'won', 'lost']))
    assert.equal(failing.failingRows, 1)
    assert.deepEqual(ids(failing), [4])
    assert.equal(failing.message, '1 row has stage outside the accepted values (found "pending")')
    assert.equal((await evaluate(session, acceptedValues('owner', ["O'Brien", 'ann', 'bob', 'cy']))).passed, true)
    const injected = await evaluate(session, acceptedValues('owner', ["x') or ('1' = '1", 'ann', 'bob', 'cy']))
    assert.equal(injected.failingRows, 1)
    assert.equal(injected.message, `1 row has owner outside the accepted values (found "O'Brien")`)
    assert.equal((await evaluate(session, acceptedValues('account_id', [1, 2, 9]))).passed, true)
  })

  test('relationships finds values missing from the other asset', async (t) => {
    const session = await fixture(t)
    const failing = await evaluate(session, relationships('account_id', { to: 'raw/accounts', field: 'id' }))
    assert.equal(failing.passed, false)
    assert.equal(failing.failingRows, 1)
    assert.deepEqual(ids(failing), [4])
    assert.equal(failing.message, '1 row has account_id missing from raw/accounts.id')
    await session.exec(`delete from ${STAGING} where account_id = 9`)
    const passing = await evaluate(session, relationships('account_id', { to: 'raw/accounts', field: 'id' }))
    assert.deepEqual(passing, { passed: true, failingRows: 0, sample: [], message: 'no rows have account_id missing from raw/accounts.id' })
    assert.deepEqual(await evaluate(session, relationships('account_id', { to: 'raw/unknown', field: 'id' })), {
      passed: false, message: 'cannot check against raw/unknown: it has no warehouse relation',
    })
    const unpublished = await evaluate(session, relationships('account_id', { to: 'raw/accounts', field: 'id' }), { resolveRelation: () => '"raw"."not_there"' })
    assert.equal(unpublished.passed, false)
    assert.match(unpublished.message!, /^could not run the check: Catalog Error: Table with name not_there does not exist!$/)
  })

  test('custom_sql treats returned rows as failures', async (t) => {
    const session = await fixture(t)
    const failing = await evaluate(session, customSql('positive_large', 'select id, amount from {{ this }} where amount < 6;\n'))
    assert.deepEqual(failing, { passed: false, failingRows: 2, sample: failing.sample, message: 'the query returned 2 rows' })
    assert.deepEqual([...failing.sample!].sort((a, b) => Number(a.id) - Number(b.id)), [{ id: 3, amount: 5 }, { id: 4, amount: 1 }])
    const passing = await evaluate(session, customSql('positive', "select * from {{ this }} where amount < 0 or owner = 'it''s'"))
    assert.deepEqual(passing, { passed: true, failingRows: 0, sample: [], message: 'the query returned no rows' })
    await session.exec(`insert into ${STAGING} select range + 100, 1, 'open', 'x', 0, null from range(20)`)
    const capped = await evaluate(session, customSql('zero', 'select * from {{ this }} where amount = 0'))
    assert.equal(capped.failingRows, 20)
    assert.equal(capped.sample!.length, 5)
  })
})

describe('table checks', () => {
  test('row_count compares the count with min and max', async (t) => {
    const session = await fixture(t)
    assert.deepEqual(await evaluate(session, rowCount({ min: 1 })), { passed: true, message: '5 rows, within 1..∞' })
    assert.deepEqual(await evaluate(session, rowCount({ min: 6, max: 10 })), { passed: false, message: '5 rows, fewer than the minimum of 6' })
    assert.deepEqual(await evaluate(session, rowCount({ max: 4 })), { passed: false, message: '5 rows, more than the maximum of 4' })
  })

  test('volume_change compares with the previous materialization', async (t) => {
    const session = await fixture(t)
    const limits = volumeChange({ maxDecrease: 0.5, maxIncrease: 1 })
    assert.deepEqual(await evaluate(session, limits), { passed: true, message: 'no previous materialization to compare with' })
    assert.deepEqual(await evaluate(session, limits, { previousRowCount: 4 }), { passed: true, message: 'row count changed +25% (4 → 5 rows)' })
    assert.deepEqual(await evaluate(session, limits, { previousRowCount: 20 }), { passed: false, message: 'row count fell 75% (20 → 5 rows); at most 50% allowed' })
    assert.deepEqual(await evaluate(session, limits, { previousRowCount: 10 }), { passed: true, message: 'row count changed -50% (10 → 5 rows)' })
    assert.deepEqual(await evaluate(session, limits, { previousRowCount: 2 }), { passed: false, message: 'row count rose 150% (2 → 5 rows); at most 100% allowed' })
    assert.equal((await evaluate(session, volumeChange({ maxDecrease: 0.1 }), { previousRowCount: 1 })).passed, true)
    assert.equal((await evaluate(session, limits, { previousRowCount: 0 })).passed, true)
  })

  test('recency compares the newest timestamp with now', async (t) => {
    const session = await fixture(t)
    assert.deepEqual(await evaluate(session, recency('updated_at', '2h')), { passed: true, message: 'the newest updated_at (2024-06-01T11:00:00.000Z) is 1h 0m old' })
    assert.deepEqual(await evaluate(session, recency('updated_at', '30m')), {
      passed: false, message: 'the newest updated_at (2024-06-01T11:00:00.000Z) is 1h 0m old; at most 30m 0s allowed',
    })
    assert.equal((await evaluate(session, recency('updated_at', '30m'), { now: new Date('2024-06-01T11:10:00Z') })).passed, true)
    await session.exec(`alter table ${STAGING} add column stamped timestamptz; alter table ${STAGING} add column day date; alter table ${STAGING} add column text varchar`)
    await session.exec(`update ${STAGING} set stamped = timestamptz '2024-06-01 13:00:00+02', day = date '2024-05-31', text = '2024-06-01 11:30:00'`)
    assert.equal((await evaluate(session, recency('stamped', '1h'))).passed, true)
    assert.equal((await evaluate(session, recency('stamped', '59m'))).passed, false)
    assert.equal((await evaluate(session, recency('day', '36h'))).passed, true)
    assert.equal((await evaluate(session, recency('day', '35h'))).passed, false)
    assert.deepEqual(await evaluate(session, recency('text', '31m')), { passed: true, message: 'the newest text (2024-06-01T11:30:00.000Z) is 30m 0s old' })
    await session.exec(`update ${STAGING} set updated_at = null`)
    assert.deepEqual(await evaluate(session, recency('updated_at', '1d')), { passed: false, message: 'updated_at has no values' })
    assert.deepEqual(await evaluate(session, recency('owner', '1d')), { passed: false, message: 'the newest owner, "cy", is not a time' })
  })

  test('schema compares column names and types, case-insensitively and through aliases', async (t) => {
    const session = await fixture(t)
    const full = { id: 'bigint', account_id: 'INT8', stage: 'text', owner: 'VARCHAR', amount: 'double', updated_at: 'timestamp' }
    assert.deepEqual(await evaluate(session, schema(full, { exact: true })), { passed: true, message: 'all 6 expected columns match, and no others' })
    assert.deepEqual(await evaluate(session, schema({ ID: 'BIGINT' })), { passed: true, message: 'all 1 expected columns match' })
    const wrong = await evaluate(session, schema({ id: 'integer', amount: 'DOUBLE', missing_col: 'varchar' }, { exact: true }))
    assert.equal(wrong.passed, false)
    assert.equal(wrong.message, 'id is BIGINT, expected integer; missing column missing_col; unexpected column account_id (BIGINT); unexpected column stage (VARCHAR); unexpected column owner (VARCHAR); unexpected column updated_at (TIMESTAMP)')
    assert.equal(wrong.sample!.length, 5)
    assert.deepEqual(wrong.sample![0], { column: 'id', expected: 'integer', actual: 'BIGINT' })
    await session.exec(`create table raw.money as select 1.25::decimal(10, 2) as price`)
    assert.equal((await evaluate(session, schema({ price: 'decimal' }), { relation: '"raw"."money"' })).passed, true)
    assert.equal((await evaluate(session, schema({ price: 'NUMERIC(10, 2)' }), { relation: '"raw"."money"' })).passed, true)
    assert.equal((await evaluate(session, schema({ price: 'decimal(12,2)' }), { relation: '"raw"."money"' })).passed, false)
    assert.deepEqual(await evaluate(session, schema({ a: 'int' }), { relation: '"raw"."nothing"' }), { passed: false, message: '"raw"."nothing" does not exist or has no columns' })
  })
})

describe('custom checks and failures', () => {
  test('custom checks receive the context and their outcome is returned', async (t) => {
    const session = await fixture(t)
    let seen: unknown
    const ok = check('has_rows', async (ctx) => {
      seen = { relation: ctx.relation, assetKey: ctx.assetKey, now: ctx.now }
      const [row] = await ctx.warehouse.query(`select count(*) as n from ${ctx.relation} where amount > $1`, [6])
      return { passed: Number(row!.n) === 3, message: `${row!.n} large` }
    })
    assert.deepEqual(await evaluate(session, ok), { passed: true, message: '3 large' })
    assert.deepEqual(seen, { relation: STAGING, assetKey: 'raw/orders', now: NOW })
    assert.deepEqual(await evaluate(session, check('never', () => ({ passed: false, failingRows: 7 }))), { passed: false, failingRows: 7 })
    assert.deepEqual(await evaluate(session, check('throws', () => { throw new Error('boom\nstack') })), { passed: false, message: 'the check threw: boom' })
    const badSql = await evaluate(session, check('bad_sql', async (ctx) => { await ctx.warehouse.query('select nope from ' + ctx.relation); return { passed: true } }))
    assert.equal(badSql.passed, false)
    assert.match(badSql.message!, /^the check threw: Binder Error: Referenced column "nope" not found/)
    assert.deepEqual(await evaluate(session, check('wrong', () => 'yes' as unknown as CheckOutcome)), { passed: false, message: 'the check returned "yes", not { passed: boolean }' })
  })

  test('a check whose query fails returns a failed outcome with the reason', async (t) => {
    const session = await fixture(t)
    for (const definition of [notNull('no_such_column'), unique('no_such_column'), acceptedValues('amount', ['x']), rowCount({ min: 1 }), customSql('broken', 'selec * from {{ this }}')]) {
      const outcome = await evaluate(session, definition, definition.type === 'row_count' ? { relation: '"raw"."gone"' } : {})
      assert.equal(outcome.passed, false, definition.name)
      assert.match(outcome.message!, /^could not run the check: (Binder|Conversion|Catalog|Parser) Error: [^\n]+$/, definition.name)
    }
  })

  test('transient warehouse errors, invalid checks and unknown types throw', async (t) => {
    const session = await fixture(t)
    const transient = new TributaryError(ErrorCode.WarehouseQuery, 'DuckDB query failed: IO Error: disk full', { retryable: true })
    // A warehouse that fails the way a full disk would: real DuckDB cannot be made to do this on demand.
    const flaky = { query: async () => { throw transient }, exec: async () => { throw transient } }
    await assert.rejects(evaluate(session, notNull('id'), { warehouse: flaky }), (error) => error === transient)
    await assert.rejects(evaluateCheck(notNull('not a column'), context(session)), (error: unknown) => error instanceof TributaryError && error.code === 'TRB1010')
    await assert.rejects(evaluateCheck({ ...notNull('id'), type: 'toString' }, context(session)), /unknown type toString/)
  })

  test('severity and blocking do not change how a check is evaluated', async (t) => {
    const session = await fixture(t)
    const warn = notNull('account_id', { severity: 'warn' })
    const error = notNull('account_id')
    const [warnOutcome, errorOutcome] = [await evaluate(session, warn), await evaluate(session, error)]
    assert.deepEqual(warnOutcome, errorOutcome)
    assert.deepEqual([warn.severity, warn.blocking, error.severity, error.blocking], ['warn', false, 'error', true])
    assert.ok(Object.isFrozen(warn))
  })
})
