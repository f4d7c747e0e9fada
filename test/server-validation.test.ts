// Every request's query string and JSON body is checked against its route's schema
// (src/server/request-schemas.ts): unknown fields are 400 TRB6025 naming them, on every route;
// the OpenAPI document lists the same parameters and body fields.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createApp } from '../src/server/app.js'
import { REQUESTS, type RequestSchema } from '../src/server/request-schemas.js'
import { CRM_CSV, catalogAssets, serveInstance } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

const ROUTES = Object.entries(REQUESTS as Record<string, RequestSchema>)
/** A path that the route pattern matches: placeholders become `x` (the key a real one). */
const pathOf = (route: string) => route.split(' ')[1]!.replace('{key}', 'raw/accounts').replace(/\{\w+\}/g, 'x')

describe('server: strict request validation', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let s: Awaited<ReturnType<typeof serveInstance>>
  before(async () => {
    p = await openProject({ assets: catalogAssets() })
    await mkdir(join(p.dir, 'landing', 'crm'), { recursive: true })
    await writeFile(join(p.dir, 'landing', 'crm', 'accounts.csv'), CRM_CSV)
    s = await serveInstance(p.instance)
  })
  after(async () => {
    await s?.server.close()
    await p?.close()
  })

  test('POST /api/runs {"dry_run": true} is 400 TRB6025 naming dry_run, and runs nothing', async () => {
    const response = await s.api.post('/api/runs', { body: { dry_run: true } })
    assert.equal(response.status, 400)
    assert.equal(response.body.error.code, 'TRB6025')
    assert.equal(response.body.error.message, 'unknown field dry_run')
    assert.match(response.body.error.hint, /dryRun/)
    const two = await s.api.post('/api/runs', { body: { selection: 'raw/accounts', dry_run: true, forced: 1 } })
    assert.equal(two.body.error.message, 'unknown fields dry_run, forced')
    assert.deepEqual(await p.instance.store.listRuns({ limit: 10 }), [], 'nothing ran')
  })

  test('every route refuses an unknown query parameter by name, before doing anything', async () => {
    for (const [route] of ROUTES) {
      const method = route.split(' ')[0]!
      const response = await s.api.call(method, `${pathOf(route)}?zzz=1`, method === 'POST' && route !== 'POST /api/sensors/{name}' ? { body: {} } : {})
      assert.equal(response.status, 400, `${route}: ${response.text}`)
      assert.equal(response.body.error.code, 'TRB6025', route)
      assert.equal(response.body.error.message, 'unknown query parameter zzz', route)
    }
    assert.deepEqual(await p.instance.store.listRuns({ limit: 10 }), [], 'nothing ran')
  })

  test('every JSON body refuses an unknown field by name', async () => {
    for (const [route, schema] of ROUTES) {
      if (!schema.body || schema.body === 'raw') continue
      const response = await s.api.post(pathOf(route), { body: { nope: true } })
      assert.equal(response.status, 400, `${route}: ${response.text}`)
      assert.equal(response.body.error.code, 'TRB6025', route)
      assert.match(response.body.error.message, /^unknown field nope$/, route)
    }
  })

  test('wrong values say which parameter and what is expected; a parameter given twice is refused', async () => {
    const cases: [string, RegExp][] = [
      ['/api/runs?limit=ten', /^limit must be a non-negative integer, not "ten"$/],
      ['/api/runs?status=done', /^status must be one of running, succeeded, failed, canceled, paused, not "done"$/],
      ['/api/assets?offset=-1', /^offset must be a non-negative integer/],
      ['/api/lineage?direction=sideways', /^direction must be one of upstream, downstream, both/],
      ['/api/runs?limit=1&limit=2', /limit is given more than once/],
    ]
    for (const [path, message] of cases) {
      const response = await s.api.get(path)
      assert.equal(response.status, 400, path)
      assert.equal(response.body.error.code, 'TRB6001', path)
      assert.match(response.body.error.message, message, path)
    }
    const partition = await s.api.post('/api/runs', { body: { selection: 'raw/accounts', partition: 5 } })
    assert.match(partition.body.error.message, /^partition must be a non-empty string$/)
    assert.equal((await s.api.get('/api/assets?status=fresh&limit=5&q=crm')).status, 200, 'known parameters pass')
  })

  test('the OpenAPI document lists exactly the schemas\' query parameters and body fields, and every route has a schema', async () => {
    const app = createApp({ instance: () => p.instance, uiDir: '/nonexistent' })
    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { schema: { $ref?: string; properties?: Record<string, unknown> } }> } }>>
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
    }
    const registered = app.routes.filter((route) => route.path.startsWith('/api/') && route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`)
    for (const route of new Set(registered)) assert.ok(route in REQUESTS, `${route} has no request schema`)
    for (const [route, schema] of ROUTES) {
      const [method, path] = route.split(' ') as [string, string]
      const operation = doc.paths[path]?.[method.toLowerCase()]
      if (!operation) continue // a route of another part of the app, documented with it
      const documented = (operation.parameters ?? []).filter((param) => param.in === 'query').map((param) => param.name).sort()
      assert.deepEqual(documented, Object.keys(schema.query.shape).sort(), `${route}: query parameters`)
      if (schema.body && schema.body !== 'raw' && Object.keys(schema.body.shape).length > 0) {
        const body = operation.requestBody?.content['application/json']?.schema
        const properties = body?.$ref ? doc.components.schemas[body.$ref.split('/').pop()!]!.properties : body?.properties
        assert.deepEqual(Object.keys(properties ?? {}).sort(), Object.keys(schema.body.shape).sort(), `${route}: body fields`)
      }
    }
  })
})
