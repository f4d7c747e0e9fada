import { breakingChange, describeSchemaChange, type SchemaShape } from '../engine/schema-change.js'

/** What changed between two observed schemas, in words, or undefined when nothing was removed or retyped. */
export function schemaDrift(previous: SchemaShape | undefined, current: SchemaShape): string | undefined {
  const change = breakingChange(previous, current)
  return change && describeSchemaChange(change)
}
