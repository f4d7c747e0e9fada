// API latency on a 10,000-asset project: the catalog's first page, a filtered search, and the
// whole lineage graph, as a browser would ask for them over loopback HTTP.
import { get } from 'node:http'
import { Tributary } from '../src/index.js'
import { startServer } from '../src/server/server.js'
import { buildProject, fillStore } from './large-project.js'
import { inTempDir, quantile, result, type BenchResult } from './harness.js'

const ROUNDS = 15

async function latency(url: string): Promise<{ p50: number; p95: number; bytes: number }> {
  const times: number[] = []
  let bytes = 0
  for (let round = 0; round < ROUNDS + 2; round++) {
    const started = performance.now()
    const response = await fetch(url)
    const body = await response.text()
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`)
    // The first two rounds warm caches and the JIT; they are not measured.
    if (round >= 2) times.push(performance.now() - started)
    bytes = body.length
  }
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), bytes }
}

// The bytes of one answer as they cross the wire to a client that accepts gzip (as browsers do).
function wireBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      let bytes = 0
      response.on('data', (chunk: Buffer) => (bytes += chunk.length)).on('end', () => resolve(bytes)).on('error', reject)
    }).on('error', reject)
  })
}

/** Benchmark: catalog and lineage latency of the HTTP API over a 10,000-asset project. */
export async function apiLatency(): Promise<BenchResult[]> {
  return inTempDir('trb-bench-api-', async (dir) => {
    const instance = await Tributary.open({ projectDir: dir, project: buildProject() })
    await fillStore(instance)
    const server = await startServer({ instance: () => instance, port: 0, log: () => undefined })
    try {
      const catalog = await latency(`${server.url}/api/assets?limit=100`)
      const search = await latency(`${server.url}/api/assets?q=layer7&status=fresh&limit=100`)
      const lineage = await latency(`${server.url}/api/lineage`)
      return [
        result('API 10k: GET /api/assets (first page of 100) p50', catalog.p50, 'ms'),
        result('API 10k: GET /api/assets (first page of 100) p95', catalog.p95, 'ms'),
        result('API 10k: GET /api/assets?q=…&status=… p50', search.p50, 'ms'),
        result('API 10k: GET /api/lineage (whole graph) p50', lineage.p50, 'ms'),
        result('API 10k: GET /api/lineage (whole graph) p95', lineage.p95, 'ms'),
        result('API 10k: whole lineage response size', lineage.bytes / 1024, 'KiB'),
        result('API 10k: whole lineage response, gzipped on the wire', await wireBytes(`${server.url}/api/lineage`) / 1024, 'KiB'),
      ]
    } finally {
      await server.close()
      await instance.close()
    }
  })
}
