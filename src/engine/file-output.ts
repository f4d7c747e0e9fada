import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'

const KEEP_VERSIONS = 3

/** Directory layout of an io 'files' asset: staging dirs, published versions, and a `current` link. */
export function fileOutputPaths(stateDir: string, assetKey: string, runId: string) {
  const root = join(stateDir, 'files', ...assetKey.split('/'))
  return { root, staging: join(root, `.staging-${runId}`), version: join(root, `v-${runId}`), current: join(root, 'current') }
}

/** Creates an empty staging directory for one attempt. */
export async function prepareFileStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
}

/** Publishes a staging directory: renames it to a version, then swaps `current` atomically. */
export async function publishFileOutput(paths: ReturnType<typeof fileOutputPaths>): Promise<void> {
  await rm(paths.version, { recursive: true, force: true })
  await rename(paths.staging, paths.version)
  const temporary = `${paths.current}.tmp-${process.pid}`
  await rm(temporary, { force: true })
  await symlink(paths.version.slice(paths.root.length + 1), temporary)
  // rename(2) over an existing symlink is atomic: readers see the old or the new version, never neither.
  await rename(temporary, paths.current)
  const versions = (await readdir(paths.root)).filter((name) => name.startsWith('v-')).sort()
  const currentName = paths.version.slice(paths.root.length + 1)
  for (const old of versions.slice(0, Math.max(0, versions.length - KEEP_VERSIONS))) {
    if (old !== currentName) await rm(join(paths.root, old), { recursive: true, force: true })
  }
}

/** Hash of every file's path and content under `dir`, and how many files there are. */
export async function hashDirectory(dir: string): Promise<{ version: string; files: number }> {
  const hash = createHash('sha256')
  let files = 0
  const walk = async (path: string, prefix: string): Promise<void> => {
    for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) await walk(full, `${prefix}${entry.name}/`)
      else {
        files++
        hash.update(`${prefix}${entry.name}\0`).update(await readFile(full))
      }
    }
  }
  await walk(dir, '')
  return { version: hash.digest('hex').slice(0, 16), files }
}
