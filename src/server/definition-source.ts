// The code of a TypeScript asset as the user wrote it, read from the file that declares it.
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AssetDefinition } from '../model/asset.js'
import { callSiteOf } from '../model/call-site.js'

/** The source of an asset's code: its text, and where it is. */
export interface DefinitionSource {
  readonly code: string
  readonly file: string
  /** 1-based line where `code` starts. */
  readonly line: number
}

const files = new Map<string, { mtimeMs: number; text: string }>()

/**
 * The `materialize` member of the `defineAsset({...})` call that declared `def`, as written in
 * its file (the whole call when `materialize` names a function declared elsewhere). Undefined
 * when the call site or the file is unknown, or the file no longer holds that call (edited since).
 */
export function definitionSource(def: AssetDefinition): DefinitionSource | undefined {
  const site = callSiteOf(def)
  if (!site) return undefined
  try {
    const file = site.file.startsWith('file:') ? fileURLToPath(site.file) : site.file
    const text = readCached(file)
    const start = offsetOf(text, site.line, site.column)
    const open = text.indexOf('(', start)
    if (open < 0 || !/^[\w$.]*\s*$/.test(text.slice(start, open))) return undefined
    const call = scanGroup(text, open)
    if (!call) return undefined
    const brace = text.indexOf('{', open)
    const member = brace > 0 && brace < call.end ? materializeMember(text, brace) : undefined
    const from = member?.start ?? start
    const to = member?.end ?? call.end + 1
    return { code: dedent(text.slice(from, to), columnOf(text, from)), file, line: text.slice(0, from).split('\n').length }
  } catch {
    return undefined
  }
}

function readCached(file: string): string {
  const { mtimeMs } = statSync(file)
  const cached = files.get(file)
  if (cached?.mtimeMs === mtimeMs) return cached.text
  const text = readFileSync(file, 'utf8')
  files.set(file, { mtimeMs, text })
  return text
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0
  for (let i = 1; i < line; i++) offset = text.indexOf('\n', offset) + 1
  return offset + column - 1
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1)
}

/**
 * From the bracket at `open`, the offset of its matching close bracket, skipping strings,
 * template literals (with their `${}`), and comments. Undefined when unbalanced.
 */
function scanGroup(text: string, open: number, onTopLevel?: (offset: number) => boolean): { end: number } | undefined {
  const closers: string[] = []
  for (let i = open; i < text.length; i++) {
    const c = text[i]!
    if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i)
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) + 1 || text.length
    else if (c === '"' || c === "'") i = skipString(text, i, c)
    else if (c === '`') closers.push('`')
    else if (c === '(' || c === '[' || c === '{') {
      closers.push(c === '(' ? ')' : c === '[' ? ']' : '}')
      continue
    } else if (c === ')' || c === ']' || c === '}') {
      if (closers.pop() !== c) return undefined
      if (closers.length === 0) return { end: i }
    }
    if (closers.length === 1 && onTopLevel?.(i)) return { end: i }
    // Inside a template literal: text until `${` (a nested group) or the closing backtick.
    while (closers.at(-1) === '`') {
      i++
      if (i >= text.length) return undefined
      if (text[i] === '\\') i++
      else if (text[i] === '`') closers.pop()
      else if (text[i] === '$' && text[i + 1] === '{') {
        closers.push('}')
        i++
      }
    }
  }
  return undefined
}

function skipString(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === quote || text[i] === '\n') return i
  }
  return text.length
}

/** The `materialize` member of the object literal at `brace`: `async materialize(…) {…}` or `materialize: …`. */
function materializeMember(text: string, brace: number): { start: number; end: number } | undefined {
  const commas: number[] = []
  const object = scanGroup(text, brace, (offset) => {
    if (text[offset] === ',') commas.push(offset)
    return false
  })
  if (!object) return undefined
  const bounds = [brace, ...commas, object.end]
  for (let i = 0; i + 1 < bounds.length; i++) {
    const segment = text.slice(bounds[i]! + 1, bounds[i + 1])
    // Leading blank lines and comments (a doc comment on the member) are not the member.
    const lead = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/.exec(segment)![0].length
    const member = segment.slice(lead)
    // `materialize: load` names code written elsewhere: the whole definition says more than the name.
    if (!/^(?:async\s+)?materialize\s*[(:<]/.test(member) || /^materialize\s*:\s*[\w$.]+\s*$/.test(member)) continue
    const start = bounds[i]! + 1 + lead
    return { start, end: trimEnd(text, start, bounds[i + 1]!) }
  }
  return undefined
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /[\s,]/.test(text[end - 1]!)) end--
  return end
}

/** Removes the indentation the lines after the first share (never more than the member's column). */
function dedent(code: string, column: number): string {
  const [first, ...rest] = code.split('\n')
  const shared = Math.min(column, ...rest.filter((line) => line.trim()).map((line) => /^[ \t]*/.exec(line)![0].length))
  return [first!, ...rest.map((line) => line.slice(Math.min(shared, /^[ \t]*/.exec(line)![0].length)))].join('\n')
}
