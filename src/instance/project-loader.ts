import { register } from 'node:module'

/** The package name users import from; `<name>/testing` too. */
export const PACKAGE_NAME = 'tributary-orchestrator'

// Resolution hook (runs on Node's loader thread, so it is plain JavaScript): a project that has not
// installed the package still imports it, as the copy that is running. Anything installed wins.
const SELF_RESOLVE_HOOK = `
let entries = {}
export function initialize(data) { entries = data.entries }
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    const url = entries[specifier]
    if (url && error && error.code === 'ERR_MODULE_NOT_FOUND') return { url, shortCircuit: true, format: 'module' }
    throw error
  }
}
`

let registered: Promise<void> | undefined

/**
 * Makes the user's project importable: registers the TypeScript loader (tsx) unless this process
 * already runs through it, and resolves `import … from 'tributary-orchestrator'` to this copy of
 * Tributary when the project has not installed it. Idempotent; called only when a config loads.
 */
export function registerProjectLoader(): Promise<void> {
  registered ??= (async () => {
    // Running from src/ (tests, the repository's own scripts) means tsx is already registered.
    const fromSource = import.meta.url.endsWith('.ts')
    if (!fromSource) {
      const tsx = await import('tsx/esm/api')
      tsx.register()
    }
    const ext = fromSource ? 'ts' : 'js'
    const entries = {
      [PACKAGE_NAME]: new URL(`../index.${ext}`, import.meta.url).href,
      [`${PACKAGE_NAME}/testing`]: new URL(`../testing/index.${ext}`, import.meta.url).href,
    }
    register(`data:text/javascript,${encodeURIComponent(SELF_RESOLVE_HOOK)}`, { data: { entries } })
  })()
  return registered
}
