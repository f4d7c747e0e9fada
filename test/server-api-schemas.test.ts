// The server's answers against the zod schemas the API's types and OpenAPI components come from:
// each body parses, and parsing drops nothing (an object schema strips fields it does not name),
// so a field the server sends and the contract does not declare, or a wrong type, fails here.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { z } from 'zod'
import { ManualClock } from '../src/engine/clock.js'
import { RESPONSES } from '../src/server/openapi-schemas.js'
import { servedCatalog } from './helpers/server.js'

describe('server: responses match the API schemas', () => {
  const clock = new ManualClock(new Date())
  let served: Awaited<ReturnType<typeof servedCatalog>>
  let s: Awaited<ReturnType<typeof servedCatalog>>['s']
  let runId: string
  before(async () => {
    served = await servedCatalog(clock)
    ;({ s, runId } = served)
  })
  after(() => served.close())

  const cases: [string, z.ZodType, number?][] = [
    ['/api/health', RESPONSES.ApiHealth],
    ['/api/control-plane', RESPONSES.ApiControlPlane],
    ['/api/workers', RESPONSES.ApiWorkers],
    ['/api/assets', RESPONSES.ApiAssetList],
    ['/api/assets/raw/accounts', RESPONSES.ApiAssetDetail],
    ['/api/assets/marts/accounts_by_region', RESPONSES.ApiAssetDetail],
    ['/api/assets/landing/crm_accounts', RESPONSES.ApiAssetDetail],
    ['/api/assets/raw/acounts', RESPONSES.ApiError, 404],
    ['/api/materializations?key=raw/accounts', z.array(RESPONSES.ApiMaterialization)],
    ['/api/check-results?key=marts/accounts_by_region', z.array(RESPONSES.ApiCheckResult)],
    ['/api/partitions?key=raw/accounts', RESPONSES.ApiPartitionStatus],
    ['/api/lineage', RESPONSES.ApiLineage],
    ['/api/lineage/columns?asset=marts/accounts_by_region', RESPONSES.ApiAssetColumns],
    ['/api/ready', z.array(RESPONSES.ApiReadyItem)],
    ['/api/runs', z.array(RESPONSES.ApiRun)],
    ['/api/backfills', z.array(RESPONSES.ApiBackfill)],
    ['/api/incidents', z.array(RESPONSES.ApiIncident)],
    ['/api/deliveries', z.array(RESPONSES.ApiDelivery)],
    ['/api/decisions', z.array(RESPONSES.ApiDecision)],
  ]
  for (const [path, schema, status = 200] of cases) {
    test(`GET ${path}`, async () => {
      const response = await s.api.get(path)
      assert.equal(response.status, status, response.text)
      assert.deepEqual(schema.parse(response.body), response.body)
    })
  }

  test('GET /api/runs/{id}', async () => {
    const response = await s.api.get(`/api/runs/${runId}`)
    assert.equal(response.status, 200, response.text)
    assert.ok(response.body.steps.length > 0)
    assert.deepEqual(RESPONSES.ApiRunDetail.parse(response.body), response.body)
  })
})
