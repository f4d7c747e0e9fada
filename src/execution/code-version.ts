import { createHash } from 'node:crypto'

/**
 * The code version of a TypeScript asset, as the graph computes it (build-graph's codeVersion;
 * code-version.test.ts pins that they agree). A worker checks it without building the whole
 * graph, which would analyse every SQL asset of the project on each worker start.
 */
export function assetCodeVersion(def: { readonly materialize: object; readonly version?: string | undefined }): string {
  const hash = createHash('sha256').update(def.materialize.toString())
  if (def.version !== undefined) hash.update(`\0${def.version}`)
  return hash.digest('hex').slice(0, 16)
}
