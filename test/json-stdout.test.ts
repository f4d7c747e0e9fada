// `--json` promises exactly one JSON document on stdout, even when asset code prints.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { cli } from './helpers/cli.js'
import { tempDir } from './helpers/temp-project.js'

const CONFIG = `
import { defineAsset, defineProject } from 'tributary-orchestrator'

console.log('the config prints while it loads')

export const chatty = defineAsset({
  key: 'raw/chatty',
  async materialize() {
    console.log('hello from console.log')
    console.info({ debugging: true })
    process.stdout.write('a raw write to stdout\\n')
    return [{ id: 1 }]
  },
})
export default defineProject({ name: 'chatty', assets: [chatty] })
`

test('materialize --json: asset code that prints leaves stdout one JSON document; its output goes to stderr', async () => {
  const { dir, cleanup } = await tempDir('json-stdout-')
  try {
    await writeFile(join(dir, 'tributary.config.ts'), CONFIG)
    const result = cli(['materialize', '--project', dir, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const document = JSON.parse(result.stdout) as { runId: string; status: string; steps: { assetKey: string; status: string }[] }
    assert.equal(document.status, 'succeeded')
    assert.deepEqual(document.steps.map((s) => [s.assetKey, s.status]), [['raw/chatty', 'succeeded']])
    assert.ok(result.stderr.includes('the config prints while it loads'), result.stderr)
    // Asset code's output lands on stderr when it runs in this process, in the step's log when a worker runs it.
    const detail = cli(['run', document.runId, '--project', dir, '--json'])
    const logs = (JSON.parse(detail.stdout) as { logs: { message: string }[] }).logs.map((l) => l.message).join('\n')
    for (const printed of ['hello from console.log', 'debugging: true', 'a raw write to stdout']) {
      assert.ok(result.stderr.includes(printed) || logs.includes(printed), `${printed} is on stderr or in the step's log: ${result.stderr}`)
      assert.ok(!result.stdout.includes(printed))
    }
  } finally {
    await cleanup()
  }
})
