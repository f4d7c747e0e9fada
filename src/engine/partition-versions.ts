import { createHash } from 'node:crypto'

/**
 * One version for a set of partitions read together: a hash of each partition's key and data
 * version, in key order, so it changes when any of them is republished. Undefined for none.
 */
export function combinedVersion(materializations: readonly { readonly partition: string | null; readonly dataVersion: string }[]): string | undefined {
  if (materializations.length === 0) return undefined
  const hash = createHash('sha256')
  for (const m of [...materializations].sort((a, b) => ((a.partition ?? '') < (b.partition ?? '') ? -1 : 1))) hash.update(`${m.partition ?? ''}\0${m.dataVersion}\0`)
  return `p:${hash.digest('hex').slice(0, 16)}`
}
