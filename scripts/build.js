#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json), then copies the files the
// code reads at run time (SQL migrations, anything in src/ that is not TypeScript) beside it.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'

const root = join(import.meta.dirname, '..')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
// tsc builds incrementally from its build info: with dist/ gone (or emptied) but the build info
// kept, it would find nothing to do and emit nothing. Start over then.
if (!existsSync(join(root, 'dist', 'index.js'))) rmSync(join(root, 'node_modules', '.cache', 'tributary', 'tsconfig.build.tsbuildinfo'), { force: true })
// tsc emits even when a type is wrong; the build still fails then, after copying, so the error is seen.
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })

let copied = 0
function copyRuntimeFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) copyRuntimeFiles(path)
    else if (!entry.name.endsWith('.ts')) {
      const target = join(root, 'dist', relative(join(root, 'src'), path))
      mkdirSync(dirname(target), { recursive: true })
      copyFileSync(path, target)
      copied++
    }
  }
}
copyRuntimeFiles(join(root, 'src'))
if (result.status !== 0) {
  console.error('dist/ was written, but tsc reported the type errors above')
  process.exit(result.status ?? 1)
}
console.log(`built dist/ (${copied} runtime file${copied === 1 ? '' : 's'} copied)`)
