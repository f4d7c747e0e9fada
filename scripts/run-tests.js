#!/usr/bin/env node
// Runs every *.test.ts under src/, test/, examples/ and ui/src/ with Node's test runner and tsx.
// Usage: node scripts/run-tests.js [substring…] to run only matching files.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

function find(dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...find(path))
    else if (entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

const filters = process.argv.slice(2)
const files = ['src', 'test', 'examples', 'ui/src'].flatMap(find).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// Browser tests lay out thousands of nodes in Chromium: they run last, alone, so a
// CPU-heavy test file beside them on a 2-core machine cannot starve the page.
const browser = files.filter((f) => /[\\/]ui[^\\/]*\.test\.ts$/.test(f))
const rest = files.filter((f) => !browser.includes(f))
// Tests run Tributary from src/ through tsx: `--conditions=tributary-source` makes the package's own
// name (and the CLI's `#cli`) resolve to src/ in every process they start, CLI runs included. The
// packed-install test and the benchmarks run the built package instead.
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=tributary-source`.trim() }
// --test-force-exit: once every test has finished, a file's leftover handle (a server a failed test
// never closed) cannot keep the run waiting. --test-timeout: a test (or suite) still running after
// 10 minutes fails, saying so, instead of holding the whole run until CI gives up (the longest
// takes about 1.5 minutes here).
const TEST_TIMEOUT_MS = 600_000
let status = 0
for (const [group, concurrency] of [[rest, 2], [browser, 1]]) {
  if (group.length === 0) continue
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', `--test-timeout=${TEST_TIMEOUT_MS}`, `--test-concurrency=${concurrency}`, ...group], { stdio: 'inherit', env })
  if (result.status !== 0) status = result.status ?? 1
}
process.exit(status)
