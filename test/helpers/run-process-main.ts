// The process startRunProcess starts: `run-process-main.ts <projectDir> [selection]` materializes
// and prints each of the instance's events as one JSON line on stdout.
import { Tributary } from '../../src/instance/tributary.js'

const [projectDir, selection] = process.argv.slice(2)
const instance = await Tributary.open({ projectDir: projectDir! })
for (const type of ['staging_written', 'checks_done', 'published'] as const) {
  instance.events.on(type, (event) => process.stdout.write(`${JSON.stringify(event)}\n`))
}
try {
  const result = await instance.materialize(selection || undefined)
  process.stderr.write(`run ${result.runId} ended ${result.status}\n`)
} finally {
  await instance.close()
}
