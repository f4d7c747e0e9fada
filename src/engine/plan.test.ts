import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGraphOrThrow } from '../graph/build-graph.js'
import { select } from '../graph/selection.js'
import { defineAsset, sqlAsset } from '../model/asset.js'
import { SelectionError } from '../model/errors.js'
import { defineProject } from '../model/project.js'
import { defineSource, files, table } from '../model/source.js'
import { planRun } from './plan.js'

const noop = () => []

// landing/crm (source) → raw/crm → staging/crm → marts/pipeline; replica/accounts (source) → marts/pipeline; raw/other alone.
const landing = defineSource({ key: 'landing/crm', observe: files('landing/crm/*.csv') })
const accounts = defineSource({ key: 'replica/accounts', observe: table('replica.accounts') })
const rawCrm = defineAsset({ key: 'raw/crm', ins: { landing }, materialize: noop })
const staging = sqlAsset({ key: 'staging/crm', sql: 'select * from raw.crm' })
const pipeline = sqlAsset({ key: 'marts/pipeline', sql: 'select * from staging.crm join replica.accounts using (account_id)' })
const other = defineAsset({ key: 'raw/other', materialize: noop })
const graph = buildGraphOrThrow(defineProject({ name: 't', assets: [pipeline, staging, rawCrm, accounts, landing, other] }))

test('only produced assets become steps, in dependency order', () => {
  const plan = planRun(graph, select(graph, ''))
  assert.deepEqual(plan.steps.map((s) => s.key), ['raw/crm', 'raw/other', 'staging/crm', 'marts/pipeline'])
  for (const step of plan.steps) assert.equal(step.partition, null)
})

test('edges inside the run and readiness checks outside it', () => {
  const plan = planRun(graph, select(graph, ''))
  const step = (key: string) => plan.steps.find((s) => s.key === key)!
  assert.deepEqual(step('raw/crm').upstreamInRun, [])
  assert.deepEqual(step('raw/crm').upstreamOutside, ['landing/crm'])
  assert.deepEqual(step('raw/crm').downstreamInRun, ['staging/crm'])
  assert.deepEqual(step('staging/crm').upstreamInRun, ['raw/crm'])
  assert.deepEqual(step('staging/crm').upstreamOutside, [])
  assert.deepEqual(step('marts/pipeline').upstreamInRun, ['staging/crm'])
  assert.deepEqual(step('marts/pipeline').upstreamOutside, ['replica/accounts'])
  assert.deepEqual(step('marts/pipeline').downstreamInRun, [])
  assert.deepEqual(step('raw/other'), { key: 'raw/other', partition: null, upstreamInRun: [], upstreamOutside: [], downstreamInRun: [] })
})

test('upstream assets left out of the selection are checked for readiness, not run', () => {
  const plan = planRun(graph, ['marts/pipeline'])
  assert.equal(plan.steps.length, 1)
  assert.deepEqual(plan.steps[0], { key: 'marts/pipeline', partition: null, upstreamInRun: [], upstreamOutside: ['replica/accounts', 'staging/crm'], downstreamInRun: [] })
  const partial = planRun(graph, ['staging/crm', 'raw/crm'])
  assert.deepEqual(partial.steps.map((s) => s.key), ['raw/crm', 'staging/crm'])
  // Downstream not selected is not part of the run.
  assert.deepEqual(partial.steps[1]!.downstreamInRun, [])
  assert.deepEqual(partial.steps[0]!.downstreamInRun, ['staging/crm'])
})

test('sources in the selection are dropped; the plan is frozen', () => {
  const plan = planRun(graph, select(graph, 'landing/crm+1'))
  assert.deepEqual(plan.steps.map((s) => s.key), ['raw/crm'])
  assert.deepEqual(plan.steps[0]!.upstreamOutside, ['landing/crm'])
  assert.ok(Object.isFrozen(plan))
  assert.ok(Object.isFrozen(plan.steps[0]))
})

test('a selection of only sources throws TRB2002', () => {
  for (const keys of [['landing/crm'], ['landing/crm', 'replica/accounts'], []]) {
    assert.throws(
      () => planRun(graph, keys),
      (error: unknown) => {
        assert.ok(error instanceof SelectionError)
        assert.equal(error.code, 'TRB2002')
        assert.match(error.message, /only sources/)
        assert.match(error.hint ?? '', /source_key\+/)
        return true
      },
    )
  }
})
