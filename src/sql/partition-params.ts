/** The values a SQL asset's `{{ partition_* }}` placeholders stand for. */
export interface PartitionParams {
  readonly key: string
  /** Window start and end (UTC); null for static partitions. */
  readonly start: Date | null
  readonly end: Date | null
}

const PLACEHOLDER = /\{\{\s*partition_(key|start|end)\s*\}\}/g

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const timestamp = (date: Date | null) => (date ? `TIMESTAMP ${literal(date.toISOString().replace('T', ' ').replace('Z', ''))}` : 'NULL')

/**
 * Replaces `{{ partition_key }}` with the key as a string literal and `{{ partition_start }}`
 * / `{{ partition_end }}` with the window bounds as UTC `TIMESTAMP` literals. Without a
 * partition (or for static partitions' bounds) they become NULL.
 */
export function bindPartitionParams(sql: string, params: PartitionParams | null): string {
  return sql.replace(PLACEHOLDER, (_, name: string) => {
    if (!params) return 'NULL'
    return name === 'key' ? literal(params.key) : timestamp(name === 'start' ? params.start : params.end)
  })
}
