// OpenLineage run events of a project's steps, posted to a real HTTP receiver (as Marquez takes
// them): START and COMPLETE, FAIL with the error, inputs, outputs and the column lineage of SQL.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { defineAsset, sqlAsset } from '../src/model/asset.js'
import { ErrorCode } from '../src/model/errors.js'
import { buildGraph } from '../src/graph/build-graph.js'
import { defineProject } from '../src/model/project.js'
import type { RunEvent } from '../src/lineage/openlineage.js'
import { openProject } from './helpers/temp-project.js'
import { poll } from './helpers/poll.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

// A receiver answering `status` to every post, keeping what it was sent.
async function receiver(status = 201) {
  const received: { path: string; authorization: string | undefined; event: RunEvent }[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      received.push({ path: request.url ?? '', authorization: request.headers.authorization, event: JSON.parse(body) as RunEvent })
      response.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('each step that runs sends START, then COMPLETE or FAIL, with its inputs, its output and the column lineage of its SQL', async () => {
  const { url, received } = await receiver()
  const orders = sqlAsset({ key: 'raw/orders', owner: 'team:shop', sql: 'SELECT 1 AS id, 10.5 AS amount' })
  const revenue = sqlAsset({ key: 'marts/revenue', description: 'Revenue, all time.', sql: 'SELECT sum(amount) AS total, count(id) AS n FROM raw.orders WHERE amount > 0' })
  const report = defineAsset({ key: 'reports/daily', io: 'none', ins: { revenue }, materialize: () => { throw new Error('the printer is out of paper') } })
  let tries = 0
  const flaky = defineAsset({
    key: 'raw/rates', io: 'none', retry: { attempts: 2, initialDelay: '1ms', jitter: 0 },
    materialize: () => { if (++tries === 1) throw new Error('the rates API timed out') },
  })
  const project = await openProject({ assets: [orders, revenue, report, flaky], openLineage: { url, namespace: 'shop', apiKey: 'k3y' } })
  cleanups.push(() => project.close())
  const result = await project.instance.materialize()
  assert.equal(result.status, 'failed')
  await poll('the ten events', async () => (received.length >= 10 ? true : undefined))
  assert.equal(received.length, 10)
  assert.ok(received.every((r) => r.path === '/api/v1/lineage' && r.authorization === 'Bearer k3y'))
  const events = received.map((r) => r.event)
  const of = (name: string) => events.filter((e) => e.job.name === name)
  assert.deepEqual(of('raw/orders').map((e) => e.eventType), ['START', 'COMPLETE'])
  assert.deepEqual(of('reports/daily').map((e) => e.eventType), ['START', 'FAIL'])
  // A retried attempt ends FAIL when the next one starts: each attempt is a run of its own.
  const rates = of('raw/rates')
  assert.deepEqual(rates.map((e) => e.eventType), ['START', 'FAIL', 'START', 'COMPLETE'])
  assert.equal(rates[0]!.run.runId, rates[1]!.run.runId)
  assert.equal(rates[2]!.run.runId, rates[3]!.run.runId)
  assert.notEqual(rates[0]!.run.runId, rates[2]!.run.runId)
  assert.match((rates[1]!.run.facets.errorMessage as { message: string }).message, /attempt 1 failed; retried as attempt 2/)
  assert.deepEqual(rates.map((e) => (e.run.facets.tributary_run as { attempt: number }).attempt), [1, 1, 2, 2])

  const [start, complete] = of('marts/revenue')
  assert.equal(start!.eventType, 'START')
  assert.equal(complete!.eventType, 'COMPLETE')
  // One OpenLineage run per step attempt, its parent the Tributary run.
  assert.match(complete!.run.runId, UUID)
  assert.equal(start!.run.runId, complete!.run.runId)
  assert.notEqual(complete!.run.runId, of('raw/orders')[0]!.run.runId)
  const parent = complete!.run.facets.parent as { run: { runId: string }; job: { namespace: string; name: string } }
  assert.equal(parent.run.runId, (of('raw/orders')[0]!.run.facets.parent as typeof parent).run.runId)
  assert.match(parent.run.runId, UUID)
  assert.deepEqual(complete!.run.facets.tributary_run, { ...(complete!.run.facets.tributary_run as object), runId: result.runId, attempt: 1, partition: null })
  assert.equal(complete!.job.namespace, 'shop')
  assert.match((complete!.job.facets.sql as { query: string }).query, /sum\(amount\)/)
  assert.equal((complete!.job.facets.documentation as { description: string }).description, 'Revenue, all time.')
  assert.deepEqual((of('raw/orders')[0]!.job.facets.ownership as { owners: unknown }).owners, [{ name: 'team:shop' }])
  assert.match(complete!.schemaURL, /^https:\/\/openlineage\.io\/spec\/2-0-2\/OpenLineage\.json/)
  assert.ok(!Number.isNaN(Date.parse(complete!.eventTime)))

  // Datasets: the warehouse's tables, by relation, in the DuckDB file's namespace.
  const warehouse = `duckdb://${project.dir}/.tributary/warehouse.duckdb`
  // With their columns (Marquez stores column lineage only for columns it knows).
  const [input] = complete!.inputs
  assert.deepEqual([input!.namespace, input!.name], [warehouse, 'raw.orders'])
  const names = (dataset: typeof input) => (dataset!.facets!.schema as { fields: { name: string; type: string }[] }).fields.map((f) => f.name)
  assert.deepEqual(names(input), ['id', 'amount'])
  assert.equal(complete!.outputs.length, 1)
  const output = complete!.outputs[0]!
  assert.deepEqual([output.namespace, output.name], [warehouse, 'marts.revenue'])
  assert.deepEqual(names(output), ['total', 'n'])
  const fields = (output.facets!.columnLineage as { fields: Record<string, { inputFields: { name: string; field: string; transformations: { type: string; subtype: string }[] }[] }> }).fields
  const from = (column: string) => fields[column]!.inputFields.map((f) => `${f.name}.${f.field}:${f.transformations[0]!.type}/${f.transformations[0]!.subtype}`).sort()
  assert.deepEqual(from('total'), ['raw.orders.amount:DIRECT/TRANSFORMATION', 'raw.orders.amount:INDIRECT/FILTER'])
  assert.deepEqual(from('n'), ['raw.orders.amount:INDIRECT/FILTER', 'raw.orders.id:DIRECT/TRANSFORMATION'])

  const failed = of('reports/daily')[1]!
  assert.match((failed.run.facets.errorMessage as { message: string }).message, /the printer is out of paper/)
  assert.deepEqual(failed.outputs, [{ namespace: 'shop', name: 'reports/daily' }])

  // Up to date (its input unchanged), nothing runs: nothing is sent.
  received.length = 0
  await project.instance.materialize('marts/revenue')
  // Events go out in order: once those of a run after it arrived, none of it is on its way.
  await project.instance.materialize('raw/orders')
  await poll('the next run\'s events', async () => (received.length >= 2 ? true : undefined))
  assert.deepEqual(received.map((r) => `${r.event.job.name} ${r.event.eventType}`), ['raw/orders START', 'raw/orders COMPLETE'])
})

test('an endpoint that refuses events holds up no run: the run ends as it would, and the failure is said once', async () => {
  const { url, received } = await receiver(503)
  const lines: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write
  try {
    const a = defineAsset({ key: 'a', io: 'none', materialize: () => undefined })
    const project = await openProject({ assets: [a], openLineage: { url: `${url}/`, endpoint: '/lineage' } })
    cleanups.push(() => project.close())
    assert.equal((await project.instance.materialize()).status, 'succeeded')
    await poll('the refusal to be said', async () => (lines.some((l) => l.startsWith('openlineage: ')) ? true : undefined))
  } finally {
    process.stderr.write = write
  }
  // Each event tried 3 times, at the endpoint's own path.
  assert.ok(received.length >= 3 && received.every((r) => r.path === '/lineage'), String(received.length))
  assert.match(lines.find((l) => l.startsWith('openlineage: '))!, /^openlineage: an event could not be sent to http:\/\/127\.0\.0\.1:\d+\/lineage after 3 attempts \(HTTP 503\); events are dropped until it takes them again\n$/)
  assert.equal(lines.filter((l) => l.startsWith('openlineage: ')).length, 1)
})

test('openLineage: a URL that is not http(s) or carries credentials, an empty apiKey: TRB1016; a field it does not take: TRB1019', () => {
  const a = defineAsset({ key: 'a', materialize: () => undefined })
  const { problems } = buildGraph(defineProject({ name: 'p', assets: [a], openLineage: { url: 'kafka://broker:9092', namespace: 'x', topic: 'y' } as never }))
  assert.deepEqual(problems.map((p) => p.code).sort(), [ErrorCode.InvalidSettings, ErrorCode.UnknownDefinitionField])
  assert.match(problems.find((p) => p.code === ErrorCode.InvalidSettings)!.message, /openLineage\.url must be an http:\/\/ or https:\/\/ URL, got "kafka:\/\/broker:9092"/)
  assert.match(problems.find((p) => p.code === ErrorCode.UnknownDefinitionField)!.message, /openLineage sets topic, which it does not take/)
  // Credentials in the URL: fetch would refuse them at every post; said at validation, redacted.
  const secret = buildGraph(defineProject({ name: 'p', assets: [a], openLineage: { url: 'https://me:s3cret@lineage.example', apiKey: '' } })).problems
  assert.deepEqual(secret.map((p) => p.code), [ErrorCode.InvalidSettings, ErrorCode.InvalidSettings])
  assert.match(secret[0]!.message, /openLineage\.url \S+ carries credentials/)
  assert.doesNotMatch(secret.map((p) => p.message).join(' '), /s3cret/)
  assert.match(secret[1]!.message, /openLineage\.apiKey must be a non-empty string, got string/)
})
