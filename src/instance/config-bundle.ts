import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Plugin } from 'esbuild'
import { VERSION } from '../version.js'

/** The package name users import from; `<name>/testing` too. */
export const PACKAGE_NAME = 'tributary-orchestrator'

/** Where compiled configs are kept, in the project. */
export const CONFIG_CACHE_DIR = join('.tributary', 'config-cache')

/** What the cache remembers of one compile: the inputs by content hash, and the module it made. */
interface Manifest {
  readonly key: string
  readonly inputs: Readonly<Record<string, string>>
  readonly output: string
}

const hashOf = (text: string | Buffer) => createHash('sha256').update(text).digest('hex').slice(0, 16)

/**
 * The user's config compiled to one ES module (the config and every local module it imports;
 * packages stay imports), reused while none of those files changed. Loading a project then costs
 * one import, with no TypeScript loader in the process: no hooks thread that every later import
 * (DuckDB, the SQL parser) would have to cross. Returns the module's file URL.
 */
export async function compiledConfig(configFile: string): Promise<string> {
  const projectDir = dirname(configFile)
  const cacheDir = join(projectDir, CONFIG_CACHE_DIR)
  const self = selfEntries(configFile)
  const light = lightEntry(configFile)
  // Same config path, same Tributary, same package resolution: else a compile from another setup would be reused.
  const key = hashOf(JSON.stringify([configFile, VERSION, self, light, import.meta.url]))
  const manifestFile = join(cacheDir, `${key}.json`)
  const cached = readManifest(manifestFile)
  if (cached && Object.entries(cached.inputs).every(([file, hash]) => hashOfFile(file) === hash)) return pathToFileURL(join(cacheDir, cached.output)).href

  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: [configFile], bundle: true, format: 'esm', platform: 'node', target: 'node20',
    write: false, metafile: true, keepNames: true, sourcemap: 'inline', logLevel: 'silent',
    outfile: join(cacheDir, 'config.mjs'), absWorkingDir: projectDir, plugins: [externals(self)],
  })
  const code = light ? await preferLight(result.outputFiles[0]!.text, self[PACKAGE_NAME]!, light) : result.outputFiles[0]!.text
  const output = `config-${key}-${hashOf(code)}.mjs`
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((file) => {
    const path = isAbsolute(file) ? file : resolve(projectDir, file)
    return [path, hashOfFile(path)!]
  }))
  mkdirSync(cacheDir, { recursive: true })
  // Each file appears whole (written aside, then renamed), and the manifest last: a process
  // compiling at the same time, or reading, never sees half a module.
  writeAtomically(join(cacheDir, output), code)
  writeAtomically(manifestFile, JSON.stringify({ key, inputs, output } satisfies Manifest))
  return pathToFileURL(join(cacheDir, output)).href
}

function writeAtomically(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, content)
  renameSync(temp, file)
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest
  } catch {
    return undefined
  }
}

function hashOfFile(file: string): string | undefined {
  try {
    return hashOf(readFileSync(file))
  } catch {
    return undefined
  }
}

/**
 * Where `tributary-orchestrator` (and `/testing`) come from: the project's own install when it has
 * one, else this running copy, so a project works before anything is installed.
 */
function selfEntries(configFile: string): Record<string, string> {
  const fromSource = import.meta.url.endsWith('.ts')
  const ext = fromSource ? 'ts' : 'js'
  const own: Record<string, string> = {
    [PACKAGE_NAME]: new URL(`../index.${ext}`, import.meta.url).href,
    [`${PACKAGE_NAME}/testing`]: new URL(`../testing/index.${ext}`, import.meta.url).href,
  }
  const require = createRequire(configFile)
  return Object.fromEntries(Object.entries(own).map(([name, url]) => {
    try {
      require.resolve(name)
      return [name, name]
    } catch {
      return [name, url]
    }
  }))
}

/**
 * The package's light entry (`<name>/definitions`) as the config would import it: this running
 * copy's, or the project's install when it has one that provides it. Undefined when it has none.
 */
function lightEntry(configFile: string): { readonly specifier: string; readonly url: string } | undefined {
  const fromSource = import.meta.url.endsWith('.ts')
  const name = `${PACKAGE_NAME}/definitions`
  const require = createRequire(configFile)
  try {
    require.resolve(PACKAGE_NAME)
  } catch {
    const url = new URL(`../definitions.${fromSource ? 'ts' : 'js'}`, import.meta.url).href
    return { specifier: url, url }
  }
  try {
    return { specifier: name, url: pathToFileURL(require.resolve(name)).href }
  } catch {
    return undefined
  }
}

// `import { a, b as c } from "<specifier>"` as esbuild writes an external import.
const NAMED_IMPORT = /import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g

/**
 * The compiled config importing the package's light entry instead of its root, when every import
 * of the root names only what the light entry exports (defineAsset, defineProject, checks, …).
 * Both entries export the same modules, so nothing changes but what gets loaded: a config never
 * pulls the engine, the stores and the automation daemon into a worker process that only runs
 * asset code. Anything else (a namespace import, Tributary, buildGraph) keeps the root.
 */
async function preferLight(code: string, root: string, light: { readonly specifier: string; readonly url: string }): Promise<string> {
  const quoted = JSON.stringify(root)
  const uses = code.split(quoted).length - 1
  if (uses === 0) return code
  const names = new Set(Object.keys((await import(light.url)) as object))
  const imports = [...code.matchAll(NAMED_IMPORT)].filter((match) => match[2] === root)
  const imported = imports.flatMap((match) => match[1]!.split(',').map((part) => part.trim().split(/\s+as\s+/)[0]!).filter(Boolean))
  if (imports.length !== uses || !imported.every((name) => names.has(name))) return code
  return code.replace(NAMED_IMPORT, (statement: string, _names: string, specifier: string) => (specifier === root ? statement.replace(quoted, JSON.stringify(light.specifier)) : statement))
}

/** Packages, node: built-ins and file: URLs stay imports; the package's own name maps as selfEntries says. */
function externals(self: Record<string, string>): Plugin {
  return {
    name: 'tributary-externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isAbsolute(args.path)) return undefined
        return { path: self[args.path] ?? args.path, external: true }
      })
    },
  }
}
