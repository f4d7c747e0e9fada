#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner and tsx.
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
const files = ['src', 'test'].flatMap(find).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
