import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { SelectionError } from '../model/errors.js'
import { defineProject } from '../model/project.js'
import { defineSource, files } from '../model/source.js'
import type { AssetGraph } from './asset-graph.js'
import { buildGraphOrThrow } from './build-graph.js'
import { kindOf, MAX_SELECTION_LENGTH, select, wildcardMatch } from './selection.js'

const noop = () => []

// landing/crm → raw/crm → staging/crm → marts/pipeline → reports/pipeline; raw/events alone.
const landing = defineSource({ key: 'landing/crm', owner: 'team:crm', group: 'ingest', tags: ['daily'], observe: files('landing/crm/*.csv') })
const rawCrm = defineAsset({ key: 'raw/crm', ins: { landing }, owner: 'team:data', group: 'ingest', tags: ['daily', 'pii'], materialize: noop })
const rawEvents = defineAsset({ key: 'raw/events', io: 'files', owner: 'team:data', group: 'ingest', materialize: noop })
const staging = sqlAsset({ key: 'staging/crm', group: 'staging', sql: 'select * from raw.crm' })
const pipeline = sqlAsset({ key: 'marts/pipeline', kind: 'model', owner: 'team:finance', group: 'marts', tags: ['finance'], sql: 'select * from staging.crm' })
const report = defineAsset({ key: 'reports/pipeline', kind: 'dashboard', io: 'none', owner: 'team:finance', tags: ['finance'], ins: { pipeline }, materialize: noop })

const graph: AssetGraph = buildGraphOrThrow(defineProject({ name: 't', assets: [report, pipeline, staging, rawEvents, rawCrm, landing] }))
const ALL = ['landing/crm', 'raw/crm', 'raw/events', 'staging/crm', 'marts/pipeline', 'reports/pipeline']

function selectionError(selection: string, code: string, message: RegExp, hint?: RegExp): SelectionError {
  let caught: unknown
  try {
    select(graph, selection)
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof SelectionError, `expected ${JSON.stringify(selection)} to throw a SelectionError`)
  assert.equal(caught.code, code, caught.message)
  assert.match(caught.message, message)
  assert.ok(caught.hint, 'has a hint')
  if (hint) assert.match(caught.hint, hint)
  return caught
}

test('the graph order used below', () => {
  assert.deepEqual(graph.order, ALL)
})

test('empty, whitespace, undefined and * select everything in order', () => {
  assert.deepEqual(select(graph, ''), ALL)
  assert.deepEqual(select(graph, '   '), ALL)
  assert.deepEqual(select(graph, undefined), ALL)
  assert.deepEqual(select(graph, '*'), ALL)
})

test('a key selects itself', () => {
  assert.deepEqual(select(graph, 'staging/crm'), ['staging/crm'])
  assert.deepEqual(select(graph, '  raw/crm  '), ['raw/crm'])
})

test('+key adds everything upstream, key+ everything downstream, +key+ both', () => {
  assert.deepEqual(select(graph, '+staging/crm'), ['landing/crm', 'raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, 'staging/crm+'), ['staging/crm', 'marts/pipeline', 'reports/pipeline'])
  assert.deepEqual(select(graph, '+staging/crm+'), ['landing/crm', 'raw/crm', 'staging/crm', 'marts/pipeline', 'reports/pipeline'])
  assert.deepEqual(select(graph, '+raw/events+'), ['raw/events'])
})

test('a number limits the depth: 2+key and key+1', () => {
  assert.deepEqual(select(graph, '2+marts/pipeline'), ['raw/crm', 'staging/crm', 'marts/pipeline'])
  assert.deepEqual(select(graph, '1+marts/pipeline'), ['staging/crm', 'marts/pipeline'])
  assert.deepEqual(select(graph, 'raw/crm+1'), ['raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, 'landing/crm+2'), ['landing/crm', 'raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, '1+staging/crm+1'), ['raw/crm', 'staging/crm', 'marts/pipeline'])
  assert.deepEqual(select(graph, '0+staging/crm'), ['staging/crm'])
  assert.deepEqual(select(graph, 'raw/crm+10'), ['raw/crm', 'staging/crm', 'marts/pipeline', 'reports/pipeline'])
})

test('tag:, owner:, group: filters', () => {
  assert.deepEqual(select(graph, 'tag:daily'), ['landing/crm', 'raw/crm'])
  assert.deepEqual(select(graph, 'tag:pii'), ['raw/crm'])
  assert.deepEqual(select(graph, 'tag:finance'), ['marts/pipeline', 'reports/pipeline'])
  assert.deepEqual(select(graph, 'owner:team:data'), ['raw/crm', 'raw/events'])
  assert.deepEqual(select(graph, 'owner:team:crm'), ['landing/crm'])
  assert.deepEqual(select(graph, 'group:ingest'), ['landing/crm', 'raw/crm', 'raw/events'])
  assert.deepEqual(select(graph, 'group:marts'), ['marts/pipeline'])
})

test('kind: uses the declared kind, else source, table or asset', () => {
  assert.equal(kindOf(graph.get('landing/crm')), 'source')
  assert.equal(kindOf(graph.get('raw/crm')), 'table')
  assert.equal(kindOf(graph.get('raw/events')), 'asset')
  assert.equal(kindOf(graph.get('staging/crm')), 'table')
  assert.equal(kindOf(graph.get('marts/pipeline')), 'model')
  assert.equal(kindOf(graph.get('reports/pipeline')), 'dashboard')
  assert.deepEqual(select(graph, 'kind:source'), ['landing/crm'])
  assert.deepEqual(select(graph, 'kind:table'), ['raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, 'kind:asset'), ['raw/events'])
  assert.deepEqual(select(graph, 'kind:model'), ['marts/pipeline'])
  assert.deepEqual(select(graph, 'kind:dashboard'), ['reports/pipeline'])
})

test('filters combine with graph operators', () => {
  assert.deepEqual(select(graph, 'tag:pii+'), ['raw/crm', 'staging/crm', 'marts/pipeline', 'reports/pipeline'])
  assert.deepEqual(select(graph, '+kind:model'), ['landing/crm', 'raw/crm', 'staging/crm', 'marts/pipeline'])
})

test('globs match keys with *', () => {
  assert.deepEqual(select(graph, 'raw/*'), ['raw/crm', 'raw/events'])
  assert.deepEqual(select(graph, '*/crm'), ['landing/crm', 'raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, '*pipeline'), ['marts/pipeline', 'reports/pipeline'])
  assert.deepEqual(select(graph, 'r*'), ['raw/crm', 'raw/events', 'reports/pipeline'])
  assert.deepEqual(select(graph, 'raw/*+1'), ['raw/crm', 'raw/events', 'staging/crm'])
})

test('spaces are a union, returned in graph order without repeats', () => {
  assert.deepEqual(select(graph, 'reports/pipeline raw/events'), ['raw/events', 'reports/pipeline'])
  assert.deepEqual(select(graph, 'raw/crm  tag:daily\tstaging/crm'), ['landing/crm', 'raw/crm', 'staging/crm'])
  assert.deepEqual(select(graph, 'raw/crm raw/crm'), ['raw/crm'])
})

test('commas are an intersection', () => {
  assert.deepEqual(select(graph, 'group:ingest,owner:team:data'), ['raw/crm', 'raw/events'])
  assert.deepEqual(select(graph, 'tag:daily,kind:table'), ['raw/crm'])
  assert.deepEqual(select(graph, '+marts/pipeline,group:ingest'), ['landing/crm', 'raw/crm'])
  assert.deepEqual(select(graph, 'raw/*,tag:pii group:marts'), ['raw/crm', 'marts/pipeline'])
})

test('TRB2001: malformed selections', () => {
  selectionError('tag:', 'TRB2001', /"tag:", which is not a known filter/, /tag:<value>, owner:<value>, group:<value>, kind:<value>/)
  selectionError('foo:bar', 'TRB2001', /"foo:bar", which is not a known filter/)
  selectionError('raw/crm,,staging/crm', 'TRB2001', /has an empty or malformed part ""/)
  selectionError('raw/crm,', 'TRB2001', /empty or malformed part ""/)
  selectionError('+', 'TRB2001', /empty or malformed part "\+"/)
  selectionError('raw/crm++', 'TRB2001', /malformed part "raw\/crm\+\+"/)
})

test('TRB2001: syntax is checked before names are resolved', () => {
  selectionError('a,,b', 'TRB2001', /has an empty or malformed part ""/)
  selectionError('nope foo:bar', 'TRB2001', /"foo:bar", which is not a known filter/)
})

test('TRB2002: an empty intersection', () => {
  const error = selectionError('tag:pii,group:marts', 'TRB2002', /selection "tag:pii,group:marts" matches no asset/, /comma means AND/)
  assert.equal(error.name, 'SelectionError')
})

test('TRB2002: an unknown filter value lists the known values', () => {
  selectionError('tag:weekly', 'TRB2002', /no asset has tag "weekly"/, /^Known values: daily, finance, pii\.$/)
  selectionError('owner:team:nobody', 'TRB2002', /no asset has owner "team:nobody"/, /team:crm, team:data, team:finance/)
  selectionError('kind:view', 'TRB2002', /no asset has kind "view"/, /^Known values: asset, dashboard, model, source, table\.$/)
  selectionError('group:nothing', 'TRB2002', /no asset has group "nothing"/, /ingest, marts, staging/)
  selectionError('raw/crm tag:weekly', 'TRB2002', /no asset has tag "weekly"/)
})

test('TRB2002: a glob matching nothing', () => {
  selectionError('nope/*', 'TRB2002', /pattern nope\/\* matches no asset key/)
})

test('TRB2003: an unknown key, with did-you-mean for a typo', () => {
  selectionError('raw/crn', 'TRB2003', /names raw\/crn, which is not an asset of this project/, /^Did you mean raw\/crm\?$/)
  selectionError('+marts/pipline+', 'TRB2003', /names marts\/pipline/, /Did you mean marts\/pipeline\?/)
  selectionError('completely/different', 'TRB2003', /completely\/different/, /tributary status/)
})

test('globs match in linear time: 30 stars then a character against a long key finishes at once', () => {
  // A regular expression built from this pattern (.*.*…x) backtracks for hours on a key this long.
  const key = 'a'.repeat(100_000)
  assert.equal(wildcardMatch(`${'*'.repeat(30)}x`, key), false)
  assert.equal(wildcardMatch(`${'*a'.repeat(30)}x`, 'a'.repeat(5_000)), false)
  assert.equal(wildcardMatch(`${'*'.repeat(30)}a`, key), true)
  selectionError(`${'*'.repeat(30)}x`, 'TRB2002', /matches no asset key/)
})

test('wildcardMatch: stars match any run, slashes included; everything else is literal', () => {
  assert.equal(wildcardMatch('marts/*', 'marts/revenue'), true)
  assert.equal(wildcardMatch('*/crm', 'raw/crm'), true)
  assert.equal(wildcardMatch('*', 'a/b/c'), true)
  assert.equal(wildcardMatch('r*/*m', 'raw/crm'), true)
  assert.equal(wildcardMatch('r*/*m', 'raw/crm/x'), false)
  assert.equal(wildcardMatch('a.b*', 'axb'), false)
  assert.equal(wildcardMatch('a?b', 'axb'), false)
  assert.equal(wildcardMatch('*ab*ab', 'xabyab'), true)
  assert.equal(wildcardMatch('', ''), true)
  assert.deepEqual(select(graph, 'raw/*'), ['raw/crm', 'raw/events'])
})

test('a selection longer than MAX_SELECTION_LENGTH is refused before matching (TRB2010)', () => {
  selectionError(`${'raw/crm '.repeat(200)}`, 'TRB2010', /characters long; at most 1000/, /tag:/)
  assert.equal(MAX_SELECTION_LENGTH, 1000)
})
