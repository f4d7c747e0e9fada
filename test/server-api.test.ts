// The read side of the HTTP API on a real server (loopback, port 0) over real SQLite and DuckDB.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/engine/clock.js'
import { createApp } from '../src/server/app.js'
import { catalogAssets, servedCatalog, serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const HOUR = 3_600_000

describe('server: catalog, lineage, history, readiness', () => {
  const clock = new ManualClock(new Date())
  let served: Awaited<ReturnType<typeof servedCatalog>>
  let s: Awaited<ReturnType<typeof servedCatalog>>['s']
  let runId: string
  before(async () => {
    served = await servedCatalog(clock, async (server) => {
      const before = await server.api.get('/api/assets?q=raw/accounts')
      assert.equal(before.body.items[0].status, 'missing')
    })
    ;({ s, runId } = served)
  })
  after(() => served.close())

  test('GET /api/health: project, asset count, role', async () => {
    const health = await s.api.get('/api/health')
    assert.equal(health.status, 200)
    assert.match(health.headers.get('content-type')!, /application\/json/)
    assert.deepEqual(health.body, { ok: true, project: 'test', assets: 6, role: 'operator' })
  })

  test('GET /api/assets: every summary field, sorted by key, with facets', async () => {
    const list = await s.api.get('/api/assets')
    assert.equal(list.status, 200)
    assert.equal(list.body.total, 6)
    assert.deepEqual(list.body.items.map((i: { key: string }) => i.key), [
      'dashboards/sales', 'landing/crm_accounts', 'marts/accounts_by_region', 'ops/heartbeat', 'raw/accounts', 'reports/regions',
    ])
    assert.deepEqual(list.body.facets, {
      owners: ['alice@example.com', 'team:bi', 'team:crm', 'team:data'], tags: ['business', 'crm', 'pii'], groups: ['ops', 'sales'],
      kinds: ['dashboard', 'model', 'source', 'table'],
    })
    const raw = list.body.items.find((i: { key: string }) => i.key === 'raw/accounts')
    assert.deepEqual(Object.keys(raw).sort(), [
      'description', 'downstreamCount', 'freshness', 'group', 'key', 'kind', 'lastUpdated', 'owner', 'ready', 'reason', 'rootCause',
      'status', 'tags', 'type', 'upstreamCount',
    ])
    assert.deepEqual({ ...raw, lastUpdated: typeof raw.lastUpdated }, {
      key: 'raw/accounts', type: 'asset', kind: 'table', owner: 'team:data', group: 'sales', tags: ['crm', 'pii'], description: null,
      status: 'fresh', ready: true, lastUpdated: 'string', reason: '', rootCause: null, freshness: null, upstreamCount: 1, downstreamCount: 1,
    })
    assert.equal(new Date(raw.lastUpdated).toISOString(), raw.lastUpdated)
    const source = list.body.items.find((i: { key: string }) => i.key === 'landing/crm_accounts')
    assert.equal(source.type, 'source')
    assert.equal(source.freshness, 'maxAge 26h')
    const mart = list.body.items.find((i: { key: string }) => i.key === 'marts/accounts_by_region')
    assert.equal(mart.type, 'sql')
    assert.equal(mart.freshness, 'daily by 07:00 Europe/London')
  })

  test('GET /api/assets: search, filters and paging', async () => {
    const keys = async (query: string) => {
      const response = await s.api.get(`/api/assets?${query}`)
      assert.equal(response.status, 200, response.text)
      return { total: response.body.total, keys: response.body.items.map((i: { key: string }) => i.key), facets: response.body.facets }
    }
    assert.deepEqual((await keys('q=REGION')).keys, ['marts/accounts_by_region', 'reports/regions'], 'q matches keys, case-insensitive')
    assert.deepEqual((await keys('q=nightly')).keys, ['landing/crm_accounts'], 'q matches descriptions')
    assert.deepEqual((await keys('q=alice')).keys, ['ops/heartbeat'], 'q matches owners')
    assert.deepEqual((await keys('owner=team:bi')).keys, ['dashboards/sales', 'reports/regions'])
    assert.deepEqual((await keys('tag=pii')).keys, ['raw/accounts'])
    assert.deepEqual((await keys('group=sales&kind=model')).keys, ['marts/accounts_by_region'])
    assert.deepEqual((await keys('kind=source')).keys, ['landing/crm_accounts'])
    assert.equal((await keys('status=fresh')).total, 6)
    assert.equal((await keys('status=late')).total, 0)
    const page = await keys('limit=2&offset=2')
    assert.deepEqual(page, { ...page, total: 6, keys: ['marts/accounts_by_region', 'ops/heartbeat'] })
    assert.equal(page.facets.owners.length, 4, 'facets come from the whole catalog')
    assert.equal((await keys('limit=5000')).keys.length, 6, 'limit is capped, not refused')
    assert.deepEqual((await keys('offset=10')).keys, [])
    for (const bad of ['limit=-1', 'limit=ten', 'offset=1.5', 'status=green']) {
      const response = await s.api.get(`/api/assets?${bad}`)
      assert.equal(response.status, 400, bad)
      assert.equal(response.body.error.code, 'TRB6001')
    }
  })

  test('GET /api/assets/{key}: detail with code, columns, checks and neighbours', async () => {
    const detail = await s.api.get('/api/assets/raw/accounts')
    assert.equal(detail.status, 200)
    const d = detail.body
    assert.equal(d.key, 'raw/accounts')
    assert.equal(d.io, 'table')
    assert.equal(d.relation, 'raw.accounts')
    assert.equal(d.codeLanguage, 'typescript')
    assert.match(d.code, /loadCsv/)
    assert.match(d.codeVersion, /\w+/)
    assert.deepEqual(d.columns.map((c: { name: string }) => c.name), ['account_id', 'region'])
    assert.deepEqual(d.chain, [])
    assert.deepEqual(d.reasons, [])
    assert.equal(d.checks.length, 1)
    assert.deepEqual({ ...d.checks[0], lastResult: undefined }, { name: d.checks[0].name, type: 'unique', severity: 'error', blocking: true, lastResult: undefined })
    assert.equal(d.checks[0].lastResult.passed, true)
    assert.equal(d.checks[0].lastResult.runId, runId)
    assert.deepEqual(d.upstream, ['landing/crm_accounts'])
    assert.deepEqual(d.downstream, ['marts/accounts_by_region'])
    assert.equal(d.lastRunId, runId)

    const sql = (await s.api.get('/api/assets/marts/accounts_by_region')).body
    assert.equal(sql.codeLanguage, 'sql')
    assert.match(sql.code, /from raw\.accounts/)
    const source = (await s.api.get('/api/assets/landing/crm_accounts')).body
    assert.deepEqual([source.io, source.relation, source.code, source.codeLanguage], [null, null, null, null])
    assert.deepEqual(source.columns.map((c: { name: string }) => c.name), ['account_id', 'region'])

    const unknown = await s.api.get('/api/assets/raw/acounts')
    assert.equal(unknown.status, 404)
    assert.deepEqual(unknown.body, { error: { code: 'TRB2003', message: 'raw/acounts is not an asset of this project', hint: 'Did you mean raw/accounts?' } })
  })

  test('GET /api/materializations and /api/check-results: newest first, limited', async () => {
    const mats = await s.api.get('/api/materializations?key=raw/accounts')
    assert.equal(mats.status, 200)
    assert.equal(mats.body.length, 1)
    assert.deepEqual(Object.keys(mats.body[0]).sort(), ['codeVersion', 'createdAt', 'dataVersion', 'durationMs', 'id', 'partition', 'rowCount', 'runId'])
    assert.equal(mats.body[0].rowCount, 3)
    assert.equal(mats.body[0].runId, runId)
    const checks = await s.api.get('/api/check-results?key=marts/accounts_by_region&limit=1')
    assert.equal(checks.status, 200)
    assert.equal(checks.body.length, 1)
    assert.deepEqual(Object.keys(checks.body[0]).sort(), ['blocking', 'checkName', 'createdAt', 'failingRows', 'message', 'passed', 'runId', 'sample', 'severity'])
    assert.equal((await s.api.get('/api/materializations')).status, 400, 'key is required')
    assert.equal((await s.api.get('/api/check-results?key=nope')).body.error.code, 'TRB2003')
  })

  test('GET /api/lineage: the whole graph, or one asset by direction and depth', async () => {
    const whole = (await s.api.get('/api/lineage')).body
    assert.equal(whole.nodes.length, 6)
    assert.deepEqual(whole.nodes[0], { key: 'landing/crm_accounts', kind: 'source', type: 'source', status: 'fresh', owner: 'team:crm', group: null })
    assert.deepEqual(whole.edges.length, 4)
    assert.ok(whole.edges.some((e: { from: string; to: string }) => e.from === 'marts/accounts_by_region' && e.to === 'reports/regions'))
    const keys = (lineage: { nodes: { key: string }[] }) => lineage.nodes.map((n) => n.key)
    const focused = (await s.api.get('/api/lineage?key=marts/accounts_by_region')).body
    assert.deepEqual(keys(focused).sort(), ['dashboards/sales', 'landing/crm_accounts', 'marts/accounts_by_region', 'raw/accounts', 'reports/regions'])
    const up1 = (await s.api.get('/api/lineage?key=marts/accounts_by_region&direction=upstream&depth=1')).body
    assert.deepEqual(keys(up1), ['raw/accounts', 'marts/accounts_by_region'])
    assert.deepEqual(up1.edges, [{ from: 'raw/accounts', to: 'marts/accounts_by_region' }])
    const down = (await s.api.get('/api/lineage?key=raw/accounts&direction=downstream')).body
    assert.deepEqual(keys(down).sort(), ['dashboards/sales', 'marts/accounts_by_region', 'raw/accounts', 'reports/regions'])
    assert.equal((await s.api.get('/api/lineage?key=nope')).status, 404)
    assert.equal((await s.api.get('/api/lineage?key=raw/accounts&direction=sideways')).status, 400)
    assert.equal((await s.api.get('/api/lineage?key=raw/accounts&depth=0')).status, 400)
  })

  test('GET /api/runs and /api/runs/{id}', async () => {
    const runs = await s.api.get('/api/runs')
    assert.equal(runs.status, 200)
    assert.equal(runs.body.length, 1)
    assert.deepEqual({ ...runs.body[0], startedAt: typeof runs.body[0].startedAt, finishedAt: typeof runs.body[0].finishedAt }, {
      id: runId, status: 'succeeded', selection: '', trigger: 'test', startedAt: 'string', finishedAt: 'string', stepCount: 5, error: null, requested: null,
    })
    assert.equal((await s.api.get('/api/runs?status=failed')).body.length, 0)
    assert.equal((await s.api.get('/api/runs?status=done')).status, 400)
    const detail = await s.api.get(`/api/runs/${runId}`)
    assert.equal(detail.status, 200)
    assert.equal(detail.body.run.id, runId)
    assert.equal(detail.body.steps.length, 5)
    assert.deepEqual(Object.keys(detail.body.steps[0]).sort(), ['assetKey', 'attempt', 'durationMs', 'error', 'finishedAt', 'partition', 'reason', 'startedAt', 'status'])
    assert.ok(Array.isArray(detail.body.logs))
    const missing = await s.api.get('/api/runs/20990101-000000-abcdef')
    assert.equal(missing.status, 404)
    assert.equal(missing.body.error.code, 'TRB6002')
    assert.match(missing.body.error.message, /no run 20990101-000000-abcdef/)
  })

  test('GET /api/ready: the board, then a late CRM export explained from the root cause', async () => {
    const board = await s.api.get('/api/ready')
    assert.equal(board.status, 200)
    assert.deepEqual(board.body.map((i: { key: string }) => i.key), ['dashboards/sales', 'reports/regions'])
    const dashboard = board.body[0]
    assert.deepEqual(Object.keys(dashboard).sort(), ['description', 'expectedAt', 'explanation', 'key', 'kind', 'owner', 'ready', 'rootCause', 'since', 'status'])
    assert.equal(dashboard.ready, true)
    assert.equal(dashboard.kind, 'dashboard')
    assert.match(dashboard.explanation, /^Ready/)
    assert.equal(dashboard.expectedAt, null)

    clock.advance(30 * HOUR)
    const late = (await s.api.get('/api/ready')).body
    for (const item of late) {
      assert.equal(item.ready, false)
      assert.equal(item.explanation, 'Not ready: landing/crm_accounts is late (owner team:crm).')
      assert.equal(item.rootCause.key, 'landing/crm_accounts')
      assert.equal(item.rootCause.owner, 'team:crm')
    }
    const raw = (await s.api.get('/api/assets/raw/accounts')).body
    assert.equal(raw.ready, false)
    assert.equal(raw.reason, 'upstream landing/crm_accounts is late')
    assert.deepEqual(raw.chain.map((l: { key: string }) => l.key), ['raw/accounts', 'landing/crm_accounts'])
    assert.equal((await s.api.get('/api/assets?status=late')).body.items[0].key, 'landing/crm_accounts')
  })

  test('answers gzipped to a client that accepts it, plain to one that does not; never the event stream', async () => {
    const raw = (path: string, encoding?: string) => new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const request = httpGet(`${s.server.url}${path}`, { headers: encoding ? { 'accept-encoding': encoding } : {} }, (response) => {
        // The event stream never ends: its headers are what is asked here.
        if (path === '/api/events') {
          resolve({ headers: response.headers, body: Buffer.alloc(0) })
          request.destroy()
          return
        }
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) })).on('error', reject)
      }).on('error', reject)
    })
    const expected = (await s.api.get('/api/lineage')).body
    const zipped = await raw('/api/lineage', 'gzip, deflate')
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.match(String(zipped.headers.vary), /accept-encoding/i)
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), expected)
    const plain = await raw('/api/lineage')
    assert.equal(plain.headers['content-encoding'], undefined)
    assert.deepEqual(JSON.parse(plain.body.toString('utf8')), expected)
    assert.ok(zipped.body.length < plain.body.length, `gzipped ${zipped.body.length} bytes, plain ${plain.body.length}`)
    const events = await raw('/api/events', 'gzip')
    assert.match(String(events.headers['content-type']), /text\/event-stream/)
    assert.equal(events.headers['content-encoding'], undefined)
  })

  test('errors: unknown /api routes answer JSON 404; other paths get the UI placeholder', async () => {
    for (const [method, path] of [['GET', '/api/nope'], ['DELETE', '/api/runs'], ['GET', '/api']] as const) {
      const response = await s.api.call(method, path)
      assert.equal(response.status, 404, `${method} ${path}`)
      assert.equal(response.body.error.code, 'TRB6001')
      assert.match(response.body.error.message, /no route/)
    }
    const page = await s.api.get('/some/ui/route')
    assert.equal(page.status, 200)
    assert.match(page.text, /npm run build:ui/)
  })
})

describe('server: static UI', () => {
  test('serves ui files at /, falls back to index.html for UI routes, never for /api', async () => {
    const p = await openProject({ assets: catalogAssets() })
    const uiDir = join(p.dir, 'ui-dist')
    await mkdir(join(uiDir, 'assets'), { recursive: true })
    await writeFile(join(uiDir, 'index.html'), '<!doctype html><div id="root"></div>')
    await writeFile(join(uiDir, 'assets', 'app.js'), 'console.log("ui")')
    const s = await serveInstance(p.instance, { uiDir })
    try {
      for (const path of ['/', '/assets/marts/revenue', '/runs/20260101-000000-abcdef']) {
        const page = await s.api.get(path)
        assert.equal(page.status, 200, path)
        assert.match(page.headers.get('content-type')!, /text\/html/)
        assert.equal(page.text, '<!doctype html><div id="root"></div>', path)
      }
      const script = await s.api.get('/assets/app.js')
      assert.equal(script.text, 'console.log("ui")')
      assert.match(script.headers.get('content-type')!, /javascript/)
      const api = await s.api.get('/api/assets/app.js')
      assert.equal(api.status, 404)
      assert.equal(api.body.error.code, 'TRB2003')
      const traversal = await fetch(`${s.server.url}/%2e%2e/%2e%2e/package.json`)
      assert.doesNotMatch(await traversal.text(), /"name"/)
    } finally {
      await s.server.close()
      await p.close()
    }
  })
})

describe('server: OpenAPI', () => {
  test('/api/openapi.json describes exactly the /api routes the app registers', async () => {
    const app = createApp({ instance: () => { throw new Error('not used') }, uiDir: '/nonexistent' })
    const registered = new Set(app.routes
      .filter((route) => route.path.startsWith('/api/') && route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`))
    const response = await app.request('/api/openapi.json')
    assert.equal(response.status, 200)
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }
    assert.equal(doc.openapi, '3.1.0')
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)))
    assert.ok(registered.size >= 13, [...registered].join(', '))
    assert.deepEqual([...registered].sort(), [...documented].sort())
    // Every $ref resolves.
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/(\w+)"/g)) assert.ok(doc.components.schemas[name!], `schema ${name} is missing`)
  })
})
