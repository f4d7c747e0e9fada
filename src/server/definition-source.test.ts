import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, test } from 'node:test'
import type { AssetDefinition } from '../model/asset.js'
import { definitionSource } from './definition-source.js'

const MODEL = pathToFileURL(join(import.meta.dirname, '..', 'model', 'asset.ts')).href

// Written as a user would, in a file tsx transpiles on import (esbuild renames the destructured input).
const SOURCE = `import { defineAsset } from '${MODEL}'

const crmAccounts = defineAsset({ key: 'raw/crm', materialize: () => [{ id: 1 }] })

export const accounts = defineAsset({
  key: 'raw/accounts',
  ins: { crmAccounts },
  /** Loads the accounts (a comment with a stray paren: ( ). */
  async materialize({ crmAccounts }, ctx) {
    const label = \`rows from \${crmAccounts.table} } {\`
    return [{ label, brace: '}', other: "{" }]
  },
  description: 'after materialize',
})

function load() {
  return [{ ok: true }]
}
export const external = defineAsset({ key: 'raw/external', materialize: load })

export const arrow = defineAsset({ key: 'raw/arrow', materialize: async () => {
  return [{ ok: true }]
} })
`

describe('definitionSource: the code of a TypeScript asset as written', () => {
  let dir: string
  let module: Record<string, AssetDefinition>
  before(async () => {
    // .mts: an ES module, like a project's config, so it shares this process's Tributary modules.
    dir = await mkdtemp(join(tmpdir(), 'trb-definition-source-'))
    await writeFile(join(dir, 'assets.mts'), SOURCE)
    module = (await import(pathToFileURL(join(dir, 'assets.mts')).href)) as Record<string, AssetDefinition>
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  test('a method: its text as written, not what the transpiler made of it', () => {
    assert.match(module.accounts!.materialize.toString(), /crmAccounts2|__name/, 'the transpiled function differs from the source (else this test proves nothing)')
    const source = definitionSource(module.accounts!)!
    assert.equal(source.code, [
      'async materialize({ crmAccounts }, ctx) {',
      '  const label = `rows from ${crmAccounts.table} } {`',
      "  return [{ label, brace: '}', other: \"{\" }]",
      '}',
    ].join('\n'))
    assert.equal(source.line, 9)
    assert.equal(source.file, join(dir, 'assets.mts'))
  })

  test('an arrow property, and a function named from elsewhere (the whole definition)', () => {
    assert.equal(definitionSource(module.arrow!)!.code, 'materialize: async () => {\n  return [{ ok: true }]\n}')
    assert.equal(definitionSource(module.external!)!.code, "defineAsset({ key: 'raw/external', materialize: load })")
  })
})
