// CSRF and DNS rebinding on a loopback server without tokens: a foreign Origin or Host is refused
// on every route (API and UI pages) with a stable code; pages carry CSP and frame-ancestors.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { startServer, type RunningServer } from '../src/server/server.js'
import { ensureUiBuilt } from './helpers/browser.js'
import { landCrmExport, catalogAssets } from './helpers/server.js'
import { openProject } from './helpers/temp-project.js'

/** A raw HTTP request: fetch may not set Host, a browser's attacker page would. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }>((resolve, reject) => {
    const target = new URL(url)
    const req = request({ host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {} }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // A page, not JSON.
        }
        resolve({ status: res.statusCode!, headers: res.headers, body })
      })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

describe('server: same origin only (CSRF, DNS rebinding)', () => {
  let p: Awaited<ReturnType<typeof openProject>>
  let server: RunningServer
  let extra: RunningServer
  before(async () => {
    p = await openProject({ assets: catalogAssets() })
    await landCrmExport(p.dir)
    const uiDir = ensureUiBuilt()
    server = await startServer({ instance: () => p.instance, port: 0, auth: {}, uiDir, log: () => undefined, allowed: {} })
    extra = await startServer({ instance: () => p.instance, port: 0, auth: {}, uiDir, log: () => undefined, allowed: { hosts: ['tributary.internal'], origins: ['http://localhost:5173'] } })
  })
  after(async () => {
    await server?.close()
    await extra?.close()
    await p?.close()
  })

  test('a cross-origin text/plain POST /api/runs is refused (403 TRB6020) and starts nothing', async () => {
    const port = new URL(server.url).port
    const response = await raw(server.url, {
      method: 'POST', path: '/api/runs', body: '{"selection":"raw/accounts"}',
      headers: { host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'content-type': 'text/plain' },
    })
    assert.equal(response.status, 403)
    assert.equal(response.body.error.code, 'TRB6020')
    assert.match(response.body.error.message, /evil\.example/)
    assert.ok(response.body.error.hint)
    const nullOrigin = await raw(server.url, { method: 'POST', path: '/api/runs', headers: { host: `127.0.0.1:${port}`, origin: 'null' }, body: '{}' })
    assert.equal(nullOrigin.status, 403)
    assert.deepEqual(await p.instance.store.listRuns({ limit: 10 }), [], 'no run was started')
  })

  test('a foreign Host is refused on every route, pages included (403 TRB6021)', async () => {
    for (const path of ['/api/health', '/api/assets', '/', '/assets/raw/accounts', '/api/events', '/api/nope']) {
      const response = await raw(server.url, { path, headers: { host: `attacker.example:${new URL(server.url).port}` } })
      assert.equal(response.status, 403, path)
      assert.equal(response.body.error.code, 'TRB6021', path)
      assert.match(response.body.error.hint, /TRIBUTARY_ALLOWED_HOSTS/)
    }
    const posted = await raw(server.url, { method: 'POST', path: '/api/sensors/any', headers: { host: 'attacker.example' }, body: '{}' })
    assert.equal(posted.body.error.code, 'TRB6021', 'webhooks too')
  })

  test('the server\'s own names and origin, and callers without Origin, are served', async () => {
    const port = new URL(server.url).port
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      assert.equal((await raw(server.url, { path: '/api/health', headers: { host } })).status, 200, host)
    }
    const same = await raw(server.url, { method: 'POST', path: '/api/runs', body: '{"dryRun":true}', headers: { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'content-type': 'application/json' } })
    assert.equal(same.status, 200)
    const otherPort = await raw(server.url, { path: '/api/health', headers: { host: `localhost:${port}`, origin: `http://localhost:1` } })
    assert.equal(otherPort.status, 403, 'another port is another origin')
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200, 'no Origin: curl, the CLI')
  })

  test('the allow-list admits more hosts and origins', async () => {
    const port = new URL(extra.url).port
    assert.equal((await raw(extra.url, { path: '/api/health', headers: { host: `tributary.internal:${port}` } })).status, 200)
    assert.equal((await raw(extra.url, { path: '/api/health', headers: { host: `other.internal:${port}` } })).status, 403)
    const dev = await raw(extra.url, { method: 'POST', path: '/api/runs', body: '{"dryRun":true}', headers: { host: `127.0.0.1:${port}`, origin: 'http://localhost:5173', 'content-type': 'application/json' } })
    assert.equal(dev.status, 200)
  })

  test('pages and answers carry CSP with frame-ancestors \'none\' and X-Frame-Options DENY', async () => {
    for (const path of ['/', '/assets/raw/accounts', '/api/health']) {
      const response = await fetch(`${server.url}${path}`)
      assert.equal(response.status, 200, path)
      const csp = response.headers.get('content-security-policy') ?? ''
      assert.match(csp, /frame-ancestors 'none'/, path)
      assert.match(csp, /default-src 'self'/, path)
      assert.match(csp, /script-src 'self'(;|$)/, path)
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path)
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path)
      await response.body?.cancel()
    }
  })
})
