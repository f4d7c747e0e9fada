import { createHash } from 'node:crypto'
import type { Relation } from '../graph/asset-graph.js'

const STAGING_PREFIX = '__trb_stage_'
// PostgreSQL truncates identifiers past 63 bytes; staying under it keeps names portable.
const MAX_IDENTIFIER = 63
const HASH_LENGTH = 10

/** `__trb_stage_<name>_<hash of run and partition>` beside the target, at most 63 characters. */
export function stagingRelation(target: Relation, runId: string, partition: string | null): Relation {
  const hash = createHash('sha256').update(JSON.stringify([runId, partition])).digest('hex').slice(0, HASH_LENGTH)
  const room = MAX_IDENTIFIER - STAGING_PREFIX.length - 1 - HASH_LENGTH
  return { schema: target.schema, name: `${STAGING_PREFIX}${target.name.slice(0, room)}_${hash}` }
}
