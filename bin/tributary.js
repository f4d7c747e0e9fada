#!/usr/bin/env node
// The `tributary` and `trib` commands. Runs the compiled CLI in dist/; nothing here transpiles
// Tributary itself. Inside the repository, tests set `--conditions=tributary-source` so `#cli`
// resolves to src/cli/main.ts instead, and only then is the TypeScript loader registered.
const entry = import.meta.resolve('#cli')
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api')
  register()
}
try {
  await import(entry)
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(new URL('../dist/', import.meta.url).pathname)) throw error
  process.stderr.write('TRB6010 Tributary is not built: dist/ is missing.\n        hint: run `npm run build` in the Tributary checkout (npm install runs it too).\n')
  process.exitCode = 3
}
