import type { AnyNode } from '../model/asset.js'
import { DefinitionError, ErrorCode, type ErrorCodeValue } from '../model/errors.js'
import { bindPartitionParams } from '../sql/partition-params.js'
import { analyzeStatements, refusalError, type AnalyzeOptions } from '../sql/referenced-tables.js'
import type { AssetGraph } from './asset-graph.js'
import { closest } from '../model/similar.js'

type Problem = (code: ErrorCodeValue, assetKey: string, message: string, hint: string) => void

/**
 * The upstream keys of every SQL asset, from one batch of the warehouse parser: tables map to
 * assets and table sources through `relationIndex` (`schema.table`, lower case); files read by
 * read_csv/read_parquet/… map to file sources whose pattern matches. Problems are reported, not thrown.
 */
export function sqlDependencies(byKey: ReadonlyMap<string, AnyNode>, relationIndex: ReadonlyMap<string, string>, options: AnalyzeOptions, problems: DefinitionError[], problem: Problem): Map<string, string[]> {
  const statements = new Map<string, string>()
  for (const [key, def] of byKey) if (def.type === 'sql' && typeof def.sql === 'string' && def.sql.trim() !== '') statements.set(key, bindPartitionParams(def.sql, null))
  const analyses = analyzeStatements([...statements.values()], options)
  const fileSources = [...byKey.values()].flatMap((def) => (def.type === 'source' && def.observe?.type === 'files' && typeof def.observe.pattern === 'string' ? [{ key: def.key, pattern: normalize(def.observe.pattern) }] : []))
  const result = new Map<string, string[]>()
  for (const [key, sql] of statements) {
    const analysis = analyses.get(sql)!
    if (!analysis.ok) {
      problems.push(refusalError(analysis, key, options.analyzer?.dialect.startsWith('postgres') ? 'PostgreSQL' : 'DuckDB'))
      continue
    }
    const deps = new Set<string>()
    for (const ref of analysis.tables) {
      const name = `${ref.schema ?? 'main'}.${ref.name}`.toLowerCase()
      const target = relationIndex.get(name)
      if (target === undefined) {
        const guess = closest(name, relationIndex.keys())
        problem(ErrorCode.SqlUnknownTable, key, `SQL asset ${key} reads ${ref.schema ? `${ref.schema}.` : ''}${ref.name}, which is neither an asset nor a declared source`,
          guess ? `Did you mean ${guess} (asset ${relationIndex.get(guess)})?` : `Declare it: defineSource({ key: '${ref.schema ?? 'main'}/${ref.name}', observe: table('${name}') }), or fix the table name.`)
      } else if (target !== key) deps.add(target)
    }
    // Files outside every source are allowed (DuckDB reads any path or URL); they just add no lineage.
    for (const path of analysis.files.map(normalize)) {
      for (const source of fileSources) if (globMatch(source.pattern, path) || globMatch(path, source.pattern)) deps.add(source.key)
    }
    result.set(key, [...deps])
  }
  return result
}

/** The files source whose pattern matches a path read by SQL (either may be a glob), if any. */
export function fileSourceFor(graph: AssetGraph, path: string): string | undefined {
  const wanted = normalize(path)
  for (const node of graph.nodes.values()) {
    const observe = node.def.type === 'source' ? node.def.observe : undefined
    if (observe?.type !== 'files') continue
    const pattern = normalize(observe.pattern)
    if (globMatch(pattern, wanted) || globMatch(wanted, pattern)) return node.key
  }
  return undefined
}

function normalize(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '')
}

// `*` and `?` within one path segment, as files() patterns and DuckDB's globs use them. Linear: no backtracking regex.
function globMatch(pattern: string, path: string): boolean {
  let p = 0
  let s = 0
  let star = -1
  let mark = 0
  while (s < path.length) {
    if (p < pattern.length && (pattern[p] === '?' ? path[s] !== '/' : pattern[p] === path[s] && pattern[p] !== '*')) {
      p++
      s++
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++
      mark = s
    } else if (star >= 0 && path[mark] !== '/') {
      p = star + 1
      s = ++mark
    } else return false
  }
  while (pattern[p] === '*') p++
  return p === pattern.length
}
