import { ErrorCode, SelectionError } from '../model/errors.js'
import type { AssetGraph, GraphNode } from './asset-graph.js'
import { closest } from '../model/similar.js'
import { starMatch } from './star-match.js'

const ATTRIBUTES = ['tag', 'owner', 'group', 'kind'] as const
const ATOM = /^(\d*\+)?([^+]+?)(\+\d*)?$/

/** Longest selection accepted, in characters: longer is refused (TRB2010) before any matching. */
export const MAX_SELECTION_LENGTH = 1000

/**
 * Resolves a selection to keys, upstream first. Terms separated by spaces are a union;
 * atoms joined by commas are an intersection. An atom is a key (globs with `*`), `tag:x`,
 * `owner:x`, `group:x` or `kind:x`, with optional `+` (or `2+`) before for upstream and after
 * for downstream. An empty selection means every node. Throws TRB2001/2002/2003.
 */
export function select(graph: AssetGraph, selection: string | undefined): string[] {
  const text = (selection ?? '').trim()
  if (text === '' || text === '*') return [...graph.order]
  if (text.length > MAX_SELECTION_LENGTH) {
    throw new SelectionError(ErrorCode.SelectionTooLong, `the selection is ${text.length} characters long; at most ${MAX_SELECTION_LENGTH} are accepted`, {
      hint: 'Select by tag:, owner:, group: or kind:, or with a shorter glob such as marts/*, instead of listing many keys.',
    })
  }
  const terms = text.split(/\s+/)
  // Check every part's syntax before resolving any name, so a typo in syntax is reported as such.
  for (const term of terms) for (const atom of term.split(',')) checkSyntax(atom, text)
  const union = new Set<string>()
  for (const term of terms) {
    let intersection: Set<string> | undefined
    for (const atom of term.split(',')) {
      const matched = resolveAtom(graph, atom, text)
      intersection = intersection ? new Set([...intersection].filter((key) => matched.has(key))) : matched
    }
    for (const key of intersection ?? []) union.add(key)
  }
  if (union.size === 0) {
    throw new SelectionError(ErrorCode.EmptySelection, `selection "${text}" matches no asset`, {
      hint: 'Each part matched something on its own, but not together; comma means AND, a space means OR.',
    })
  }
  return graph.sort(union)
}

function checkSyntax(atom: string, whole: string): void {
  const match = ATOM.exec(atom)
  if (atom === '' || !match) {
    throw new SelectionError(ErrorCode.MalformedSelection, `selection "${whole}" has an empty or malformed part ${JSON.stringify(atom)}`, {
      hint: "Write keys, tag:x, owner:x, group:x or kind:x; '+' before/after for upstream/downstream; spaces for OR, commas for AND.",
    })
  }
  const body = match[2]!
  const colon = body.indexOf(':')
  if (colon >= 0 && (!ATTRIBUTES.includes(body.slice(0, colon) as (typeof ATTRIBUTES)[number]) || body.slice(colon + 1) === '')) {
    throw new SelectionError(ErrorCode.MalformedSelection, `selection "${whole}" has ${JSON.stringify(body)}, which is not a known filter`, {
      hint: `Filters are ${ATTRIBUTES.map((a) => `${a}:<value>`).join(', ')}.`,
    })
  }
}

function resolveAtom(graph: AssetGraph, atom: string, whole: string): Set<string> {
  const [, up, body, down] = ATOM.exec(atom)!
  const base = matchBody(graph, body!, whole)
  const result = new Set(base)
  for (const key of base) {
    if (up) for (const k of graph.upstreamOf(key, depth(up))) result.add(k)
    if (down) for (const k of graph.downstreamOf(key, depth(down))) result.add(k)
  }
  return result
}

function depth(marker: string): number {
  const digits = marker.replace('+', '')
  return digits === '' ? Number.POSITIVE_INFINITY : Number(digits)
}

function matchBody(graph: AssetGraph, body: string, whole: string): Set<string> {
  const colon = body.indexOf(':')
  if (colon >= 0) {
    const attribute = body.slice(0, colon) as (typeof ATTRIBUTES)[number]
    const value = body.slice(colon + 1)
    if (!ATTRIBUTES.includes(attribute) || value === '') {
      throw new SelectionError(ErrorCode.MalformedSelection, `selection "${whole}" has ${JSON.stringify(body)}, which is not a known filter`, {
        hint: `Filters are ${ATTRIBUTES.map((a) => `${a}:<value>`).join(', ')}.`,
      })
    }
    const matched = new Set<string>()
    for (const node of graph.nodes.values()) if (attributeMatches(node, attribute, value)) matched.add(node.key)
    if (matched.size === 0) {
      throw new SelectionError(ErrorCode.EmptySelection, `selection "${whole}": no asset has ${attribute} ${JSON.stringify(value)}`, {
        hint: `Known values: ${[...knownValues(graph, attribute)].sort().slice(0, 10).join(', ') || 'none'}.`,
      })
    }
    return matched
  }
  if (body.includes('*')) {
    const matched = new Set([...graph.nodes.keys()].filter((key) => wildcardMatch(body, key)))
    if (matched.size === 0) throw new SelectionError(ErrorCode.EmptySelection, `selection "${whole}": pattern ${body} matches no asset key`, { hint: 'Run `tributary status` to list the keys.' })
    return matched
  }
  if (!graph.has(body)) {
    const guess = closest(body, graph.nodes.keys())
    throw new SelectionError(ErrorCode.UnknownAsset, `selection "${whole}" names ${body}, which is not an asset of this project`, {
      hint: guess ? `Did you mean ${guess}?` : 'Run `tributary status` to list the keys.',
    })
  }
  return new Set([body])
}

function attributeMatches(node: GraphNode, attribute: (typeof ATTRIBUTES)[number], value: string): boolean {
  const def = node.def
  switch (attribute) {
    case 'tag':
      return (def.tags ?? []).includes(value)
    case 'owner':
      return def.owner === value
    case 'group':
      return def.group === value
    case 'kind':
      return kindOf(node) === value
  }
}

function knownValues(graph: AssetGraph, attribute: (typeof ATTRIBUTES)[number]): Set<string> {
  const values = new Set<string>()
  for (const node of graph.nodes.values()) {
    const def = node.def
    if (attribute === 'tag') for (const tag of def.tags ?? []) values.add(tag)
    else if (attribute === 'kind') values.add(kindOf(node))
    else if (def[attribute]) values.add(def[attribute]!)
  }
  return values
}

/**
 * True when `text` matches `pattern`, where `*` stands for any run of characters (slashes included).
 * Greedy with one remembered star, as in shells: at most O(pattern × text) steps, never the
 * exponential backtracking of a regular expression built from the pattern.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  return starMatch(pattern, text, (c) => c === '*', (c, char) => c === char)
}

/** The kind shown to people: the declared kind, else 'source', 'table' or 'asset'. */
export function kindOf(node: GraphNode): string {
  const def = node.def
  if (def.kind) return def.kind
  if (def.type === 'source') return 'source'
  return def.io === 'table' ? 'table' : 'asset'
}
