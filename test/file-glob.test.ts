import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { matchFiles } from '../src/engine/observe.js'

const dir = await mkdtemp(join(tmpdir(), 'trb-glob-'))
after(() => rm(dir, { recursive: true, force: true }))

test('matchFiles walks ** and braces on disk, sorted, without dotfiles', async () => {
  for (const file of ['landing/crm/a.csv', 'landing/crm/b.txt', 'landing/erp/2026/03/c.csv', 'landing/erp/.d.csv', 'other/e.csv']) {
    await mkdir(join(dir, file, '..'), { recursive: true })
    await writeFile(join(dir, file), 'id\n1\n')
  }
  assert.deepEqual(await matchFiles(dir, 'landing/crm/*.csv'), [join(dir, 'landing/crm/a.csv')])
  assert.deepEqual(await matchFiles(dir, 'landing/**/*.csv'), [join(dir, 'landing/crm/a.csv'), join(dir, 'landing/erp/2026/03/c.csv')])
  assert.deepEqual(await matchFiles(dir, '{landing/crm,other}/*.{csv,txt}'), [join(dir, 'landing/crm/a.csv'), join(dir, 'landing/crm/b.txt'), join(dir, 'other/e.csv')])
  assert.deepEqual(await matchFiles(dir, 'missing/*.csv'), [])
  assert.deepEqual(await matchFiles(dir, `landing/crm/${'*'.repeat(30)}x`), [])
})
