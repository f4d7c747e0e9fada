import { ErrorCode, TributaryError } from '../../model/errors.js'
import type { Relation } from '../../graph/asset-graph.js'

// PostgreSQL silently truncates identifiers past 63 bytes, so two long names could become one
// table; refuse them instead. Names are always quoted, so any other character is safe.
const MAX_BYTES = 63

/** Quotes one identifier after checking it (TRB5021 when empty, over 63 bytes or holding NUL). */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || Buffer.byteLength(name) > MAX_BYTES || name.includes('\0')) {
    throw new TributaryError(ErrorCode.InvalidWarehouseName, `${JSON.stringify(name.slice(0, 80))} is not a valid PostgreSQL name: names must be 1 to 63 bytes without NUL`, {
      hint: 'Shorten the asset\'s schema or table name (PostgreSQL would cut it at 63 bytes, silently merging names).',
    })
  }
  return `"${name.replaceAll('"', '""')}"`
}

/** `"schema"."name"`, both parts checked by {@link quoteIdentifier}. */
export function quoteTable(relation: Relation): string {
  return `${quoteIdentifier(relation.schema)}.${quoteIdentifier(relation.name)}`
}
