import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGraph } from '../graph/build-graph.js'
import { defineAsset } from '../model/asset.js'
import { defineProject } from '../model/project.js'
import { assetCodeVersion } from './code-version.js'

test("a worker's code version of a TypeScript asset equals the graph's, with and without an explicit version", () => {
  const plain = defineAsset({ key: 'raw/plain', async materialize() { return [{ id: 1 }] } })
  const versioned = defineAsset({ key: 'raw/versioned', version: '2', async materialize() { return [{ id: 1 }] } })
  const { graph } = buildGraph(defineProject({ name: 'v', assets: [plain, versioned] }))
  assert.equal(assetCodeVersion(plain), graph!.get('raw/plain').codeVersion)
  assert.equal(assetCodeVersion(versioned), graph!.get('raw/versioned').codeVersion)
  assert.notEqual(assetCodeVersion(plain), assetCodeVersion(versioned))
})
