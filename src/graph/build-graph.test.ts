import assert from 'node:assert/strict'
import { test } from 'node:test'
import { notNull, relationships, rowCount, unique } from '../checks/builtins.js'
import { defineAsset, sqlAsset, type AnyNode } from '../model/asset.js'
import { DefinitionError, ErrorCode, type ErrorCodeValue } from '../model/errors.js'
import { defineProject, type ProjectSpec } from '../model/project.js'
import { defineSchedule, fileSensor } from '../model/automation.js'
import { defineSource, files, table } from '../model/source.js'
import { buildGraph, buildGraphOrThrow } from './build-graph.js'

const noop = () => []

function build(assets: readonly unknown[], extra: Partial<ProjectSpec> = {}) {
  return buildGraph(defineProject({ name: 'test', assets: assets as AnyNode[], ...extra }))
}

function problemsOf(assets: readonly unknown[], extra: Partial<ProjectSpec> = {}): DefinitionError[] {
  const { graph, problems } = build(assets, extra)
  assert.ok(problems.length > 0, 'expected problems')
  assert.equal(graph, undefined, 'no graph when there are problems')
  return [...problems]
}

/** Asserts exactly one problem with this code, about this asset (or none), with a hint, and returns it. */
function one(problems: readonly DefinitionError[], code: ErrorCodeValue, assetKey: string | undefined, message?: RegExp): DefinitionError {
  const matching = problems.filter((p) => p.code === code && p.context.assetKey === assetKey && (!message || message.test(p.message)))
  assert.equal(matching.length, 1, `expected one ${code} for ${assetKey}${message ? ` matching ${message}` : ''}, got: ${problems.map((p) => `${p.context.assetKey}: ${p.message}`).join(' | ')}`)
  const problem = matching[0]!
  assert.ok(problem instanceof DefinitionError)
  assert.ok(problem.message.startsWith(`${code}: `))
  assert.equal(typeof problem.hint, 'string')
  assert.ok(problem.hint!.length > 10, 'hint says what to do')
  return problem
}

function codes(problems: readonly DefinitionError[]): string[] {
  return problems.map((p) => p.code).sort()
}

// --- a valid project -------------------------------------------------------------------------

const landing = defineSource({ key: 'landing/payments', owner: 'team:payments', observe: files('landing/payments/*.csv') })
const replicaCustomers = defineSource({ key: 'replica/customers', observe: table('replica.customers') })
const rawPayments = defineAsset({ key: 'raw/payments', ins: { landing }, materialize: noop })
const orders = sqlAsset({ key: 'orders', sql: 'select p.*, c.segment from raw.payments p join replica.customers c using (customer_id)' })
const revenue = sqlAsset({ key: 'marts/revenue', sql: 'with o as (select * from orders) select segment, sum(amount) as total from o group by 1' })
const report = defineAsset({ key: 'reports/revenue_pdf', io: 'files', ins: { revenue }, materialize: noop })
const validAssets: AnyNode[] = [report, revenue, orders, rawPayments, replicaCustomers, landing]

test('a valid project builds a graph without problems', () => {
  const { graph, problems } = build(validAssets)
  assert.deepEqual(problems, [])
  assert.ok(graph)
  assert.equal(graph.nodes.size, 6)
})

test('upstream and downstream come from ins, SQL and are sorted', () => {
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: validAssets }))
  assert.deepEqual(graph.get('landing/payments').upstream, [])
  assert.deepEqual(graph.get('landing/payments').downstream, ['raw/payments'])
  assert.deepEqual(graph.get('raw/payments').upstream, ['landing/payments'])
  assert.deepEqual(graph.get('raw/payments').downstream, ['orders'])
  assert.deepEqual(graph.get('orders').upstream, ['raw/payments', 'replica/customers'])
  assert.deepEqual(graph.get('orders').downstream, ['marts/revenue'])
  // The CTE name `o` is not a table; the CTE's own read of `orders` is.
  assert.deepEqual(graph.get('marts/revenue').upstream, ['orders'])
  assert.deepEqual(graph.get('marts/revenue').downstream, ['reports/revenue_pdf'])
  assert.deepEqual(graph.get('reports/revenue_pdf').upstream, ['marts/revenue'])
  assert.deepEqual(graph.get('reports/revenue_pdf').downstream, [])
  assert.equal(graph.get('orders').def, orders)
})

test('relations: schema/table keys, single-segment keys in main, table sources, none for files', () => {
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: validAssets }))
  assert.deepEqual(graph.get('raw/payments').relation, { schema: 'raw', name: 'payments' })
  assert.deepEqual(graph.get('orders').relation, { schema: 'main', name: 'orders' })
  assert.deepEqual(graph.get('marts/revenue').relation, { schema: 'marts', name: 'revenue' })
  assert.deepEqual(graph.get('replica/customers').relation, { schema: 'replica', name: 'customers' })
  assert.equal(graph.get('landing/payments').relation, undefined)
  assert.equal(graph.get('reports/revenue_pdf').relation, undefined)
})

test('a one-part table source maps to main; SQL may name main explicitly and in any case', () => {
  const accounts = defineSource({ key: 'ext/accounts', observe: table('accounts') })
  const a = sqlAsset({ key: 'marts/a', sql: 'select * from MAIN.Accounts' })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [accounts, a] }))
  assert.deepEqual(graph.get('ext/accounts').relation, { schema: 'main', name: 'accounts' })
  assert.deepEqual(graph.get('marts/a').upstream, ['ext/accounts'])
})

test('the topological order is upstream first, ties by key, and independent of declaration order', () => {
  const expected = ['landing/payments', 'raw/payments', 'replica/customers', 'orders', 'marts/revenue', 'reports/revenue_pdf']
  assert.deepEqual(build(validAssets).graph!.order, expected)
  assert.deepEqual(build([...validAssets].reverse()).graph!.order, expected)
  const shuffled = [orders, landing, report, replicaCustomers, revenue, rawPayments]
  assert.deepEqual(build(shuffled).graph!.order, expected)
})

test('a relationships check adds its target as an upstream', () => {
  const customers = defineAsset({ key: 'raw/customers', materialize: noop })
  const payments = defineAsset({ key: 'raw/payments', checks: [relationships('customer_id', { to: customers, field: 'id' })], materialize: noop })
  const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [payments, customers] }))
  assert.deepEqual(graph.get('raw/payments').upstream, ['raw/customers'])
  assert.deepEqual(graph.get('raw/customers').downstream, ['raw/payments'])
  assert.deepEqual(graph.order, ['raw/customers', 'raw/payments'])
})

test('code version: SQL changes change it, whitespace does not; version always does', () => {
  const version = (def: AnyNode) => build([def]).graph!.get(def.key).codeVersion
  const base = version(sqlAsset({ key: 'marts/x', sql: 'select 1 as a' }))
  assert.match(base, /^[0-9a-f]{16}$/)
  assert.equal(version(sqlAsset({ key: 'marts/x', sql: 'select 1 as a' })), base)
  assert.equal(version(sqlAsset({ key: 'marts/x', sql: '  select\n\t1   as a\n' })), base)
  assert.notEqual(version(sqlAsset({ key: 'marts/x', sql: 'select 2 as a' })), base)
  assert.notEqual(version(sqlAsset({ key: 'marts/x', sql: 'select 1 as b' })), base)
  const v1 = version(sqlAsset({ key: 'marts/x', sql: 'select 1 as a', version: '1' }))
  const v2 = version(sqlAsset({ key: 'marts/x', sql: 'select 1 as a', version: '2' }))
  assert.notEqual(v1, base)
  assert.notEqual(v2, v1)
})

test('code version of TypeScript assets follows the function source and version', () => {
  const version = (def: AnyNode) => build([def]).graph!.get(def.key).codeVersion
  const a = version(defineAsset({ key: 'raw/x', materialize: () => [{ a: 1 }] }))
  assert.equal(version(defineAsset({ key: 'raw/x', materialize: () => [{ a: 1 }] })), a)
  assert.notEqual(version(defineAsset({ key: 'raw/x', materialize: () => [{ a: 2 }] })), a)
  assert.notEqual(version(defineAsset({ key: 'raw/x', version: '2', materialize: () => [{ a: 1 }] })), a)
  // Metadata that is not code leaves it alone.
  assert.equal(version(defineAsset({ key: 'raw/x', owner: 'team:x', materialize: () => [{ a: 1 }] })), a)
})

test('buildGraphOrThrow throws the first problem', () => {
  assert.throws(
    () => buildGraphOrThrow(defineProject({ name: 't', assets: [defineAsset({ key: 'bad key', materialize: noop })] })),
    (error: unknown) => error instanceof DefinitionError && error.code === 'TRB1002',
  )
})

// --- every validation error ------------------------------------------------------------------

test('TRB1001: a key declared twice (by assets or a source) is reported once per duplicate', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a', materialize: noop }),
    defineSource({ key: 'raw/a', observe: files('a/*.csv') }),
    defineAsset({ key: 'raw/b', materialize: noop }),
  ])
  const problem = one(problems, ErrorCode.DuplicateKey, 'raw/a')
  assert.match(problem.message, /raw\/a is declared twice/)
  assert.deepEqual(codes(problems), ['TRB1001'])
})

test('TRB1002: keys with bad characters or shapes', () => {
  for (const key of ['raw payments', '/raw', 'raw/', 'raw//x', '1raw', 'raw/x.y', 'raw/ü', '']) {
    const problems = problemsOf([defineAsset({ key, io: 'files', materialize: noop })])
    assert.equal(problems.length, 1, `${JSON.stringify(key)}: ${problems.map((p) => p.message).join(' | ')}`)
    const problem = problems[0]!
    assert.equal(problem.code, 'TRB1002', key)
    assert.equal(problem.context.assetKey, key === '' ? undefined : key)
    assert.ok(problem.hint)
    assert.ok(problem.message.includes(JSON.stringify(key)))
  }
  const notAString = problemsOf([defineSource({ key: 42 as never, observe: files('a/*.csv') })])
  one(notAString, ErrorCode.InvalidKey, '42')
})

test('TRB1002: a table asset key must map to schema.table', () => {
  const threeSegments = problemsOf([defineAsset({ key: 'a/b/c', materialize: noop })])
  one(threeSegments, ErrorCode.InvalidKey, 'a/b/c', /does not map to a warehouse table/)
  const sqlThree = problemsOf([sqlAsset({ key: 'marts/x/y', sql: 'select 1' })])
  one(sqlThree, ErrorCode.InvalidKey, 'marts/x/y')
  const dashed = problemsOf([defineAsset({ key: 'raw/my-table', materialize: noop })])
  one(dashed, ErrorCode.InvalidKey, 'raw/my-table')
  // The same keys are fine for assets that do not live in a table, and for sources.
  const ok = build([
    defineAsset({ key: 'a/b/c', io: 'files', materialize: noop }),
    defineAsset({ key: 'raw/my-table', io: 'none', materialize: noop }),
    defineSource({ key: 'landing/x/y', observe: files('x/*.csv') }),
  ])
  assert.deepEqual(ok.problems, [])
})

test('TRB1003: ins referencing something not in the project', () => {
  const ghost = defineSource({ key: 'landing/ghost', observe: files('ghost/*.csv') })
  const problems = problemsOf([defineAsset({ key: 'raw/a', ins: { ghost }, materialize: noop })])
  const problem = one(problems, ErrorCode.UnknownDependency, 'raw/a')
  assert.match(problem.message, /reads ins\.ghost \(landing\/ghost\), which is not in the project/)
  const undefinedInput = problemsOf([defineAsset({ key: 'raw/b', ins: { missing: undefined as never }, materialize: noop })])
  one(undefinedInput, ErrorCode.UnknownDependency, 'raw/b', /ins\.missing \(undefined\)/)
})

test('TRB1004: two SQL assets reading each other print the cycle path', () => {
  const problems = problemsOf([
    sqlAsset({ key: 'marts/b', sql: 'select * from marts.a' }),
    sqlAsset({ key: 'marts/a', sql: 'select * from marts.b' }),
  ])
  const problem = one(problems, ErrorCode.Cycle, 'marts/a')
  assert.equal(problem.message, 'TRB1004: dependency cycle: marts/a → marts/b → marts/a')
  assert.deepEqual(codes(problems), ['TRB1004'])
})

test('TRB1004: a three-asset cycle, with an acyclic branch left out of the path', () => {
  const problems = problemsOf([
    defineSource({ key: 'src/s', observe: table('src.s') }),
    sqlAsset({ key: 'x/a', sql: 'select * from x.b join src.s on true' }),
    sqlAsset({ key: 'x/b', sql: 'select * from x.c' }),
    sqlAsset({ key: 'x/c', sql: 'select * from x.a' }),
  ])
  const problem = one(problems, ErrorCode.Cycle, 'x/a')
  assert.equal(problem.message, 'TRB1004: dependency cycle: x/a → x/b → x/c → x/a')
})

test('a relationships check pointing at a downstream asset is no edge and no cycle: the check reads its last published version', () => {
  const a = defineAsset({ key: 'raw/a', checks: [relationships('b_id', { to: 'raw/b', field: 'id' })], materialize: noop })
  const b = sqlAsset({ key: 'raw/b', sql: 'select * from raw.a' })
  const c = sqlAsset({ key: 'raw/c', sql: 'select * from raw.b' })
  const { graph, problems } = build([a, b, c, defineAsset({ key: 'raw/d', checks: [relationships('c_id', { to: 'raw/c', field: 'id' })], ins: { a }, materialize: noop })])
  assert.deepEqual(problems.map((p) => p.message), [])
  assert.deepEqual(graph!.get('raw/a').upstream, [], 'raw/b reads raw/a: the reference is not an edge')
  assert.deepEqual(graph!.get('raw/b').downstream, ['raw/c'])
  assert.deepEqual(graph!.get('raw/d').upstream, ['raw/a', 'raw/c'], 'a reference that closes no cycle still orders the referenced asset first')
  // Two checks referring to each other: the first orders, the second would close a cycle and does not.
  const x = defineAsset({ key: 'raw/x', checks: [relationships('y_id', { to: 'raw/y', field: 'id' })], materialize: noop })
  const y = defineAsset({ key: 'raw/y', checks: [relationships('x_id', { to: 'raw/x', field: 'id' })], materialize: noop })
  const pair = build([x, y])
  assert.deepEqual(pair.problems.map((p) => p.message), [])
  assert.deepEqual([pair.graph!.get('raw/x').upstream, pair.graph!.get('raw/y').upstream], [['raw/y'], []])
})

test('TRB1004: a real cycle next to a relationships check names only read dependencies', () => {
  const a = sqlAsset({ key: 'raw/a', sql: 'select * from raw.b', checks: [relationships('b_id', { to: 'raw/b', field: 'id' })] })
  const b = sqlAsset({ key: 'raw/b', sql: 'select * from raw.a' })
  const problem = one(problemsOf([a, b]), ErrorCode.Cycle, 'raw/a')
  assert.equal(problem.message, 'TRB1004: dependency cycle: raw/a → raw/b → raw/a')
})

test('TRB1005: SQL syntax errors carry the line and column', () => {
  const problems = problemsOf([sqlAsset({ key: 'marts/a', sql: 'select a,\n  b\nfrom raw.t wher x = 1' })])
  const problem = one(problems, ErrorCode.SqlSyntax, 'marts/a')
  assert.deepEqual(problem.context.position, { line: 3, column: 17 })
  assert.match(problem.message, /SQL of marts\/a does not parse at line 3, column 17/)
  const truncated = one(problemsOf([sqlAsset({ key: 'marts/b', sql: 'select * from' })]), ErrorCode.SqlSyntax, 'marts/b')
  assert.deepEqual(truncated.context.position, { line: 1, column: 14 })
  const notSelect = one(problemsOf([sqlAsset({ key: 'marts/c', sql: 'delete from raw.t' })]), ErrorCode.SqlSyntax, 'marts/c')
  assert.match(notSelect.message, /exactly one SELECT/)
})

test('TRB1006: SQL reading an unknown table, with did-you-mean for a near typo', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/payments', materialize: noop }),
    sqlAsset({ key: 'marts/a', sql: 'select * from raw.paymnts' }),
    sqlAsset({ key: 'marts/b', sql: 'select * from vendor.zzz_feed' }),
    sqlAsset({ key: 'marts/c', sql: 'select * from orders' }),
  ])
  const typo = one(problems, ErrorCode.SqlUnknownTable, 'marts/a')
  assert.match(typo.message, /reads raw\.paymnts, which is neither an asset nor a declared source/)
  assert.equal(typo.hint, 'Did you mean raw.payments (asset raw/payments)?')
  const far = one(problems, ErrorCode.SqlUnknownTable, 'marts/b')
  assert.match(far.hint!, /defineSource\(\{ key: 'vendor\/zzz_feed', observe: table\('vendor\.zzz_feed'\) \}\)/)
  const unqualified = one(problems, ErrorCode.SqlUnknownTable, 'marts/c')
  assert.match(unqualified.message, /reads orders,/)
  assert.match(unqualified.hint!, /key: 'main\/orders'/)
  assert.deepEqual(codes(problems), ['TRB1006', 'TRB1006', 'TRB1006'])
})

test('TRB1006: a files source has no relation, so SQL cannot read it by its key', () => {
  const problems = problemsOf([
    defineSource({ key: 'landing/crm', observe: files('landing/crm/*.csv') }),
    sqlAsset({ key: 'marts/a', sql: 'select * from landing.crm' }),
  ])
  one(problems, ErrorCode.SqlUnknownTable, 'marts/a')
})

test('TRB1007: invalid durations in maxAge, timeout, readinessTimeout and retry delays', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a', freshness: { maxAge: 'soon' }, materialize: noop }),
    defineAsset({ key: 'raw/b', timeout: '5 minutes', materialize: noop }),
    defineAsset({ key: 'raw/c', readinessTimeout: 'abc', materialize: noop }),
    defineAsset({ key: 'raw/d', retry: { attempts: 3, initialDelay: -1, maxDelay: '1x' }, materialize: noop }),
    defineSource({ key: 'landing/e', freshness: { maxAge: '10' }, observe: files('e/*.csv') }),
  ])
  one(problems, ErrorCode.InvalidDuration, 'raw/a', /freshness\.maxAge of raw\/a is "soon"/)
  one(problems, ErrorCode.InvalidDuration, 'raw/b', /timeout of raw\/b is "5 minutes"/)
  one(problems, ErrorCode.InvalidDuration, 'raw/c', /readinessTimeout of raw\/c is "abc"/)
  one(problems, ErrorCode.InvalidDuration, 'raw/d', /retry\.initialDelay of raw\/d is -1/)
  one(problems, ErrorCode.InvalidDuration, 'raw/d', /retry\.maxDelay of raw\/d is "1x"/)
  one(problems, ErrorCode.InvalidDuration, 'landing/e', /freshness\.maxAge of landing\/e is "10"/)
  assert.equal(problems.length, 6)
})

test('TRB1008: an unknown time zone', () => {
  const problems = problemsOf([defineAsset({ key: 'raw/a', freshness: { deadline: '07:00', timezone: 'Mars/Olympus_Mons' }, materialize: noop })])
  one(problems, ErrorCode.InvalidTimezone, 'raw/a', /"Mars\/Olympus_Mons", which is not a known time zone/)
  assert.deepEqual(codes(problems), ['TRB1008'])
})

test('TRB1009: deadlines that are not HH:MM', () => {
  for (const deadline of ['7am', '24:00', '7:00', '07:60']) {
    const problems = problemsOf([defineSource({ key: 'landing/a', freshness: { deadline }, observe: files('a/*.csv') })])
    one(problems, ErrorCode.InvalidDeadline, 'landing/a', new RegExp(`deadline of landing/a is "${deadline}"`))
    assert.equal(problems.length, 1)
  }
  assert.deepEqual(build([defineSource({ key: 'landing/a', freshness: { deadline: '07:00', timezone: 'Europe/London' }, observe: files('a/*.csv') })]).problems, [])
})

test('TRB1010: invalid check arguments, unknown relationship targets, duplicate names', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a', checks: [notNull([])], materialize: noop }),
    defineAsset({ key: 'raw/b', checks: [rowCount({ min: 5, max: 1 })], materialize: noop }),
    defineAsset({ key: 'raw/c', checks: [rowCount({ min: -1 })], materialize: noop }),
    defineAsset({ key: 'raw/d', checks: [relationships('x_id', { to: 'raw/ghosts', field: 'id' })], materialize: noop }),
    defineAsset({ key: 'raw/e', checks: [unique('id'), unique('id', { severity: 'warn' })], materialize: noop }),
  ])
  one(problems, ErrorCode.InvalidCheck, 'raw/a', /check not_null\(\) on raw\/a: name at least one column/)
  one(problems, ErrorCode.InvalidCheck, 'raw/b', /min \(5\) is greater than max \(1\)/)
  one(problems, ErrorCode.InvalidCheck, 'raw/c', /min must be a whole number ≥ 0, got -1/)
  one(problems, ErrorCode.InvalidCheck, 'raw/d', /refers to raw\/ghosts, which is not in the project/)
  one(problems, ErrorCode.InvalidCheck, 'raw/e', /two checks on raw\/e are both named unique\(id\)/)
  assert.deepEqual([...new Set(codes(problems))], ['TRB1010'])
  assert.equal(problems.length, 5)
})

test('TRB1010: an entry of checks that is not a check is reported, not thrown', () => {
  let result: ReturnType<typeof build> | undefined
  assert.doesNotThrow(() => {
    result = build([
      defineAsset({ key: 'raw/f', checks: [{ not: 'a check' } as never], materialize: noop }),
      defineAsset({ key: 'raw/g', checks: [undefined as never], materialize: noop }),
    ])
  })
  assert.equal(result!.graph, undefined)
  one(result!.problems, ErrorCode.InvalidCheck, 'raw/f', /is not a check definition/)
  one(result!.problems, ErrorCode.InvalidCheck, 'raw/g', /is not a check definition/)
})

test('TRB1010: renaming one of two same-named checks fixes it', () => {
  assert.deepEqual(build([defineAsset({ key: 'raw/e', checks: [unique('id'), unique('id', { name: 'unique_id_again' })], materialize: noop })]).problems, [])
})

test('TRB1013: entries that are not definitions, and not a project at all', () => {
  const problems = problemsOf([null, 'raw/x', { type: 'table', key: 'raw/y' }, defineAsset({ key: 'raw/ok', materialize: noop })])
  const invalid = problems.filter((p) => p.code === 'TRB1013')
  assert.equal(invalid.length, 3)
  assert.deepEqual(invalid.map((p) => p.message), [
    'TRB1013: assets[0] is not an asset or source definition',
    'TRB1013: assets[1] is not an asset or source definition',
    'TRB1013: assets[2] is not an asset or source definition',
  ])
  for (const p of invalid) {
    assert.equal(p.context.assetKey, undefined)
    assert.ok(p.hint)
  }
  const notProject = buildGraph({ name: 'x', assets: [] } as never)
  assert.equal(notProject.graph, undefined)
  one(notProject.problems, ErrorCode.InvalidDefinition, undefined, /does not export a project/)
  one(buildGraph(undefined as never).problems, ErrorCode.InvalidDefinition, undefined)
})

test('TRB1013: an asset without materialize, a SQL asset without SQL', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a' } as never),
    sqlAsset({ key: 'marts/b', sql: '   ' }),
  ])
  one(problems, ErrorCode.InvalidDefinition, 'raw/a', /asset raw\/a has no materialize function/)
  one(problems, ErrorCode.InvalidDefinition, 'marts/b', /SQL asset marts\/b has no SQL/)
  assert.equal(problems.length, 2)
})

test('TRB1013: freshness with neither maxAge nor deadline', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a', freshness: {}, materialize: noop }),
    defineSource({ key: 'landing/b', freshness: { timezone: 'Europe/London' }, observe: files('b/*.csv') }),
  ])
  one(problems, ErrorCode.InvalidDefinition, 'raw/a', /freshness of raw\/a sets neither maxAge nor deadline/)
  one(problems, ErrorCode.InvalidDefinition, 'landing/b', /sets neither maxAge nor deadline/)
  assert.equal(problems.length, 2)
})

test('TRB1013: missing observers; TRB2011: a files glob too long or expanding too far; ** and braces are fine', () => {
  const problems = problemsOf([
    defineSource({ key: 'landing/a', observe: files(`landing/${'a'.repeat(600)}.csv`) }),
    defineSource({ key: 'landing/b', observe: files('land/{1..100000}.csv') }),
    defineSource({ key: 'landing/c', observe: files('') }),
    defineSource({ key: 'landing/d', observe: undefined as never }),
  ])
  one(problems, ErrorCode.InvalidGlob, 'landing/a', /files pattern of landing\/a: the file glob .* is 612 characters long; at most 512/)
  one(problems, ErrorCode.InvalidGlob, 'landing/b', /braces that expand to more than 256 patterns/)
  one(problems, ErrorCode.InvalidDefinition, 'landing/c', /source landing\/c has no valid observe/)
  one(problems, ErrorCode.InvalidDefinition, 'landing/d', /source landing\/d has no valid observe/)
  assert.equal(problems.length, 4)
  for (const pattern of ['landing/ok/part-??-*.csv', 'landing/*/a.csv', 'landing/**/*.{csv,tsv}']) {
    assert.deepEqual(build([defineSource({ key: 'landing/ok', observe: files(pattern) })]).problems, [])
  }
})

test('TRB1014: a pool the project does not define', () => {
  const asset = defineAsset({ key: 'raw/a', pool: 'gpu', materialize: noop })
  const problems = problemsOf([asset], { pools: { warehouse: 2 } })
  one(problems, ErrorCode.UnknownPool, 'raw/a', /uses pool "gpu", which the project does not define/)
  one(problemsOf([asset]), ErrorCode.UnknownPool, 'raw/a')
  assert.deepEqual(build([defineAsset({ key: 'raw/a', pool: 'warehouse', materialize: noop })], { pools: { warehouse: 2 } }).problems, [])
})

test('TRB1015: invalid retry attempts, factor and jitter', () => {
  const problems = problemsOf([
    defineAsset({ key: 'raw/a', retry: { attempts: 0 }, materialize: noop }),
    defineAsset({ key: 'raw/b', retry: { attempts: 2.5 }, materialize: noop }),
    defineAsset({ key: 'raw/c', retry: { factor: 0.5 }, materialize: noop }),
    defineAsset({ key: 'raw/d', retry: { jitter: 2 }, materialize: noop }),
    defineAsset({ key: 'raw/e', retry: { jitter: -0.1 }, materialize: noop }),
    defineAsset({ key: 'raw/f', retry: { factor: Number.NaN }, materialize: noop }),
  ])
  one(problems, ErrorCode.InvalidRetry, 'raw/a', /retry\.attempts of raw\/a must be a whole number ≥ 1, got 0/)
  one(problems, ErrorCode.InvalidRetry, 'raw/b', /got 2\.5/)
  one(problems, ErrorCode.InvalidRetry, 'raw/c', /retry\.factor of raw\/c must be ≥ 1, got 0\.5/)
  one(problems, ErrorCode.InvalidRetry, 'raw/d', /retry\.jitter of raw\/d must be between 0 and 1, got 2/)
  one(problems, ErrorCode.InvalidRetry, 'raw/e', /got -0\.1/)
  one(problems, ErrorCode.InvalidRetry, 'raw/f', /got NaN/)
  assert.equal(problems.length, 6)
  const fine = defineAsset({ key: 'raw/ok', retry: { attempts: 1, factor: 1, jitter: 0, initialDelay: '1s', maxDelay: '1m' }, materialize: noop })
  assert.deepEqual(build([fine]).problems, [])
  assert.deepEqual(build([defineAsset({ key: 'raw/ok', retry: { jitter: 1, attempts: 5 }, materialize: noop })]).problems, [])
})

test('several problems at once are all reported', () => {
  const ghost = defineAsset({ key: 'raw/ghost', materialize: noop })
  const problems = problemsOf([
    defineAsset({ key: 'bad key', materialize: noop }),
    defineAsset({ key: 'raw/a', materialize: noop }),
    defineAsset({ key: 'raw/a', materialize: noop }),
    defineAsset({ key: 'raw/b', ins: { ghost }, pool: 'gpu', retry: { attempts: 0 }, materialize: noop }),
    sqlAsset({ key: 'marts/c', sql: 'select * from raw.nope', freshness: { deadline: '7am', timezone: 'Nowhere/City' } }),
    defineSource({ key: 'landing/d', freshness: { maxAge: 'a while' }, observe: files('') }),
    sqlAsset({ key: 'marts/e', sql: 'select * fro raw.a' }),
  ])
  assert.deepEqual(codes(problems), ['TRB1001', 'TRB1002', 'TRB1003', 'TRB1005', 'TRB1006', 'TRB1007', 'TRB1008', 'TRB1009', 'TRB1013', 'TRB1014', 'TRB1015'])
  one(problems, ErrorCode.InvalidKey, 'bad key')
  one(problems, ErrorCode.DuplicateKey, 'raw/a')
  one(problems, ErrorCode.UnknownDependency, 'raw/b')
  one(problems, ErrorCode.UnknownPool, 'raw/b')
  one(problems, ErrorCode.InvalidRetry, 'raw/b')
  one(problems, ErrorCode.SqlUnknownTable, 'marts/c')
  one(problems, ErrorCode.InvalidDeadline, 'marts/c')
  one(problems, ErrorCode.InvalidTimezone, 'marts/c')
  one(problems, ErrorCode.InvalidDuration, 'landing/d')
  one(problems, ErrorCode.InvalidDefinition, 'landing/d')
  one(problems, ErrorCode.SqlSyntax, 'marts/e')
})

test('two nodes that map to the same warehouse relation are reported', () => {
  const sourceClash = build([
    defineSource({ key: 'replica/accounts', observe: table('raw.accounts') }),
    defineAsset({ key: 'raw/accounts', materialize: noop }),
  ])
  assert.equal(sourceClash.graph, undefined)
  assert.ok(sourceClash.problems.some((p) => p.context.assetKey === 'raw/accounts' || p.context.assetKey === 'replica/accounts'))
  const caseClash = build([
    defineAsset({ key: 'raw/Payments', materialize: noop }),
    defineAsset({ key: 'raw/payments', materialize: noop }),
  ])
  assert.equal(caseClash.graph, undefined)
  assert.ok(caseClash.problems.some((p) => p.context.assetKey === 'raw/payments' || p.context.assetKey === 'raw/Payments'))
})

test('fields of the wrong type are reported, not thrown', () => {
  const cases: [string, Record<string, unknown>, ErrorCodeValue][] = [
    ['raw/a', { timeout: null }, ErrorCode.InvalidDuration],
    ['raw/b', { freshness: { maxAge: null } }, ErrorCode.InvalidDuration],
    ['raw/c', { retry: { initialDelay: true } }, ErrorCode.InvalidDuration],
    ['raw/d', { checks: unique('id') }, ErrorCode.InvalidCheck],
  ]
  for (const [key, spec, code] of cases) {
    let result: ReturnType<typeof build> | undefined
    assert.doesNotThrow(() => {
      result = build([defineAsset({ key, materialize: noop, ...spec } as never)])
    }, key)
    assert.ok(result!.problems.some((p) => p.code === code && p.context.assetKey === key), key)
  }
})

test('TRB1016 / TRB1007: invalid project settings are reported', () => {
  const asset = sqlAsset({ key: 'marts/a', sql: 'select 1 as x' })
  const { problems } = buildGraph(defineProject({ name: 'p', assets: [asset], concurrency: 0, pools: { db: 1.5 }, readinessTimeout: 'soon' }))
  assert.deepEqual(problems.map((p) => p.code).sort(), ['TRB1007', 'TRB1016', 'TRB1016'])
})

test('TRB1019: a field a definition does not take is named, with the likely one, in assets, sources, the project, schedules and sensors', () => {
  const orders = defineAsset({ key: 'raw/orders', materialize: noop })
  const problems = problemsOf([
    orders,
    // Dagster's spelling of inputs: without the check, revenue would run with no upstream.
    defineAsset({ key: 'marts/revenue', deps: [orders.key], materialize: noop } as never),
    defineAsset({ key: 'marts/costs', ins: { orders }, freshnes: { maxAge: '1h' }, retry: { attemps: 3 }, materialize: noop } as never),
    sqlAsset({ key: 'marts/margin', sql: 'select * from raw.orders', query: 'select 1' } as never),
    defineSource({ key: 'landing/files', observe: files('landing/*.csv'), freshness: { maxAge: '1h', timeZone: 'UTC' } } as never),
  ], {
    concurency: 2,
    schedules: [{ ...defineSchedule({ name: 'nightly', cron: '0 5 * * *' }), tz: 'UTC' }],
    sensors: [{ ...fileSensor({ name: 'drops', pattern: 'landing/*.csv', selection: '' }), glob: '*.csv' }],
  } as never)
  assert.deepEqual(codes(problems), Array(8).fill(ErrorCode.UnknownDefinitionField))
  const deps = one(problems, ErrorCode.UnknownDefinitionField, 'marts/revenue', /asset marts\/revenue sets deps, which it does not take \(did you mean ins\?\)/)
  assert.match(deps.hint!, /ins: \{ orders, customers \}/)
  one(problems, ErrorCode.UnknownDefinitionField, 'marts/costs', /asset marts\/costs sets freshnes.*did you mean freshness\?/)
  const retry = one(problems, ErrorCode.UnknownDefinitionField, 'marts/costs', /retry of marts\/costs sets attemps.*did you mean attempts\?/)
  assert.match(retry.hint!, /Rename it to attempts, or remove it; it takes attempts, initialDelay, factor, maxDelay, jitter, retryOn\./)
  one(problems, ErrorCode.UnknownDefinitionField, 'marts/margin', /SQL asset marts\/margin sets query.*did you mean sql\?/)
  one(problems, ErrorCode.UnknownDefinitionField, 'landing/files', /freshness of landing\/files sets timeZone.*did you mean timezone\?/)
  const project = one(problems, ErrorCode.UnknownDefinitionField, undefined, /defineProject sets concurency.*did you mean concurrency\?/)
  assert.doesNotMatch(project.hint!, /\btype\b/, 'the field the define function sets is not offered')
  const schedule = one(problems, ErrorCode.UnknownDefinitionField, undefined, /schedule nightly sets tz, which it does not take$/)
  assert.match(schedule.hint!, /^Remove it; it takes name, cron, timezone,/)
  one(problems, ErrorCode.UnknownDefinitionField, undefined, /sensor drops sets glob/)
})

test('TRB1019: a valid project written with every field is not refused', () => {
  const orders = defineSource({ key: 'landing/orders', owner: 'team:a', description: 'd', group: 'g', tags: ['t'], kind: 'file', freshness: { maxAge: '1h', deadline: '07:00', timezone: 'UTC' }, checks: [], observe: files('landing/*.csv') })
  const { problems } = build([
    orders,
    defineAsset({
      key: 'raw/orders', ins: { orders }, io: 'table', retry: { attempts: 2, initialDelay: '1s', factor: 2, maxDelay: '1m', jitter: 0.1, retryOn: () => true },
      timeout: '1m', version: '1', readinessTimeout: '1m', partitionColumn: 'partition_key', partitionMappings: {}, materialize: noop,
    }),
  ], { concurrency: 2, pools: {}, readinessTimeout: '1m', readinessPollInterval: '1s', stepTimeout: '1h', stateDir: '.tributary', schedules: [defineSchedule({ name: 'n', cron: '0 5 * * *' })], remediation: { maxAttempts: 1 }, workers: {} })
  assert.deepEqual(problems.map((p) => p.message), [])
})
