import assert from 'node:assert/strict'
import { test } from 'node:test'
import { coalescedOutput } from './coalesced-output.js'

test('writes are kept and handed on in one piece at the flush; an empty flush writes nothing', () => {
  const written: string[] = []
  const output = coalescedOutput((text) => written.push(text))
  output.write('▶ running a\n')
  output.write('✓ succeeded a\n')
  assert.deepEqual(written, [])
  output.flush()
  assert.deepEqual(written, ['▶ running a\n✓ succeeded a\n'])
  output.flush()
  assert.equal(written.length, 1)
})

test('kept text goes out by itself after the delay', async () => {
  let resolve: (text: string) => void
  const written = new Promise<string>((done) => (resolve = done))
  const output = coalescedOutput((text) => resolve(text), 1)
  output.write('line\n')
  assert.equal(await written, 'line\n')
})
